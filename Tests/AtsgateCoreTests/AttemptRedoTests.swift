@testable import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

/// When a failed delivery is done again within its attempt, and with what.
@Suite("Redos within an attempt")
struct AttemptRedoTests {
    let unavailable = ConnectorError.transient("Loxo answered POST /jobs/L-1/contacts with 503", httpStatus: 503, mayHaveReachedTarget: true)
    static let snapshot = JobSnapshot(
        job: Job(organisationID: "org-a", id: "job-1", companyID: "co-1", title: "Backend Engineer"),
        version: 1,
        company: Company(organisationID: "org-a", id: "co-1", name: "Halcyon Robotics")
    )
    /// A create whose job exists (an earlier try made it): what most redos finish.
    let finishing = SubmissionRequest(operation: .create, snapshot: Self.snapshot, externalID: "L-1")

    func pause(
        after error: ConnectorError, of request: SubmissionRequest? = nil, redo: Int = 1, capabilities: ConnectorCapabilities = .ats,
        timeLeft: Duration = .seconds(300), jitter: Double = 1
    ) -> Duration? {
        AttemptRedo.pause(
            after: error, of: request ?? finishing, redo: redo, maximumRedos: 3, capabilities: capabilities,
            searchWait: .seconds(5), timeLeft: timeLeft, requestTimeout: .seconds(30), jitter: jitter
        )
    }

    @Test("A transient failure is redone after half a second, doubling, 50–100 % jittered; at most the configured number of times")
    func transientPauses() {
        #expect(pause(after: unavailable, redo: 1) == .milliseconds(500))
        #expect(pause(after: unavailable, redo: 2) == .seconds(1))
        #expect(pause(after: unavailable, redo: 3, jitter: 0) == .seconds(1))
        #expect(pause(after: unavailable, redo: 4) == nil)
        #expect(AttemptRedo.pause(
            after: unavailable, of: finishing, redo: 1, maximumRedos: 0, capabilities: .ats,
            searchWait: .seconds(5), timeLeft: .seconds(300), requestTimeout: .seconds(30), jitter: 1
        ) == nil, "redos_per_attempt: 0 turns redos off")
    }

    @Test("A 429 is redone after its Retry-After, or a second without one")
    func rateLimitedPauses() {
        #expect(pause(after: .rateLimited("slow down", retryAfter: .seconds(7))) == .seconds(7))
        #expect(pause(after: .rateLimited("slow down", retryAfter: nil)) == .seconds(1))
    }

    @Test("Final failures are not redone: rejected, auth, mapping, config")
    func finalFailures() {
        #expect(pause(after: .rejected("title is required", httpStatus: 422)) == nil)
        #expect(pause(after: .auth("bad key", httpStatus: 401)) == nil)
        #expect(pause(after: .mapping(field: "title", job: "job-1", reason: "missing")) == nil)
        #expect(pause(after: .config(setting: "base_url", reason: "redirect")) == nil)
    }

    @Test("A failure that may have reached the target is redone only where the job can be found by its marker")
    func unknownOutcome() {
        #expect(pause(after: unavailable, capabilities: .ats) != nil)
        #expect(pause(after: unavailable, capabilities: .mailbox) == nil, "an email that may have gone out is not sent again")
        #expect(pause(after: .transient("connection refused"), capabilities: .mailbox) != nil, "nothing left: safe to repeat")
    }

    @Test("A create that may have made a record only a search finds is redone no sooner than the outbox's first backoff")
    func unknownCreates() {
        let fresh = SubmissionRequest(operation: .create, snapshot: Self.snapshot)
        let jobPost = ConnectorError.transient("Loxo answered POST /jobs with 503", httpStatus: 503, mayHaveReachedTarget: true)
        #expect(pause(after: jobPost, of: fresh) == .seconds(5), "the job's id is unknown: only a marker search would find it")
        #expect(pause(after: jobPost, of: fresh, timeLeft: .seconds(34)) == nil, "the wait and one request must fit before the deadline")
        #expect(pause(after: jobPost.with(progress: DeliveryProgress(externalID: "L-1")), of: fresh) == .milliseconds(500), "the failed try made the job and knows its id")
        #expect(pause(after: .transient("connection refused"), of: fresh) == .milliseconds(500), "nothing reached the target")
        var personPost = ConnectorError.transient("Loxo answered POST /people with 503", httpStatus: 503, mayHaveReachedTarget: true)
        personPost.isUnknownCreate = true
        #expect(pause(after: personPost, of: finishing) == .seconds(5), "a person found again only by an email search")
        #expect(pause(after: personPost, of: finishing, capabilities: .mailbox) == nil)
        let update = SubmissionRequest(operation: .update, snapshot: Self.snapshot, externalID: "L-1")
        #expect(pause(after: unavailable, of: update) == .milliseconds(500), "a PUT of the job's fields is safe to repeat")
    }

    @Test("No redo whose pause and one whole request do not fit before the deadline")
    func deadline() {
        #expect(pause(after: unavailable, timeLeft: .seconds(30.5)) == .milliseconds(500))
        #expect(pause(after: unavailable, timeLeft: .seconds(30.4)) == nil)
        #expect(pause(after: .rateLimited("slow down", retryAfter: .seconds(60)), timeLeft: .seconds(60)) == nil)
    }

    @Test("The redo carries the job the failed try created, the references it learned, and whether anything may have reached the target")
    func nextRequest() {
        let first = SubmissionRequest(
            operation: .create, snapshot: Self.snapshot,
            references: RemoteReferences(companies: ["co-1": "C-1"])
        )
        let progress = DeliveryProgress(externalID: "L-1", learnedReferences: RemoteReferences(people: ["p-1": "P-1"]))
        let next = AttemptRedo.request(after: first, progress: progress, mayHaveReachedTarget: true)
        #expect(next.externalID == "L-1")
        #expect(next.references == RemoteReferences(companies: ["co-1": "C-1"], people: ["p-1": "P-1"]))
        #expect(next.outcomeOfEarlierAttemptUnknown)
        let untouched = AttemptRedo.request(after: first, progress: DeliveryProgress(), mayHaveReachedTarget: false)
        #expect(untouched == first)
    }

    @Test("Two tries' progress together: the later job id and references win, nothing learned is lost")
    func mergedProgress() {
        let first = DeliveryProgress(externalID: "L-1", learnedReferences: RemoteReferences(companies: ["co-1": "C-1"]))
        let second = DeliveryProgress(externalID: nil, learnedReferences: RemoteReferences(people: ["p-1": "P-1"]))
        #expect(first.merging(second) == DeliveryProgress(
            externalID: "L-1", learnedReferences: RemoteReferences(companies: ["co-1": "C-1"], people: ["p-1": "P-1"])
        ))
        #expect(first.merging(nil) == first)
    }
}

/// Redos spend a per-target budget that answers fill.
@Suite("Retry budget")
struct RetryBudgetTests {
    @Test("Ten redos to start with, then one per two answered requests; a target that answers nothing earns none")
    func spendsAndEarns() {
        let budget = RetryBudget()
        #expect((1...10).allSatisfy { _ in budget.withdraw() })
        #expect(!budget.withdraw())
        budget.deposit()
        #expect(!budget.withdraw(), "one answer is not enough for a redo")
        budget.deposit()
        #expect(budget.withdraw())
        #expect(!budget.withdraw())
    }

    @Test("Answers fill it to ten redos at most")
    func capped() {
        let budget = RetryBudget()
        for _ in 1...1_000 { budget.deposit() }
        #expect((1...10).allSatisfy { _ in budget.withdraw() })
        #expect(!budget.withdraw())
    }

    @Test("The gate deposits for answered requests only, not for 5xx, timeouts or 429s")
    func gateDeposits() {
        let clock = ManualClock()
        let gate = TargetGate(settings: RateLimitSettings(requestsPerSecond: 100, burst: 100), clock: clock)
        for _ in 1...10 { _ = gate.retryBudget.withdraw() }
        for _ in 1...10 {
            gate.observe(.unwell, startedAt: clock.now())
            gate.observe(.rateLimited(until: clock.now()), startedAt: clock.now())
        }
        #expect(!gate.retryBudget.withdraw())
        for _ in 1...2 { gate.observe(.answered, startedAt: clock.now()) }
        #expect(gate.retryBudget.withdraw())
    }
}
