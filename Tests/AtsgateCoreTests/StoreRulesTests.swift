import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

/// Rules every storage engine applies the same way: engines read, call them, and write.
@Suite("Store rules")
struct StoreRulesTests {
    let now = Fixtures.now

    func person(_ id: PersonID, email: String?) -> Person {
        Person(organisationID: "org-a", id: id, firstName: "Ada", lastName: "Lovelace", email: email)
    }

    func record(_ operation: SubmissionOperation = .create, delivered: Bool = true, notifies: Bool = true) -> DeliveryRecord {
        DeliveryRecord(
            entryID: 1, organisationID: "org-a", target: "loxo", leaseOwner: "w1", attempt: 1, operation: operation,
            mappedJobVersion: 1, startedAt: now, finishedAt: now,
            outcome: delivered ? .delivered(SubmissionReceipt(externalID: "L-1")) : .retry(at: now, error: .transient("503")),
            requestHash: "h", circuitBreaker: CircuitBreakerSettings(), notifiesDecisionMakers: notifies
        )
    }

    @Test("Recipients: each decision maker not told yet, in id order; no email or a blank one is skipped with the reason")
    func recipients() {
        let drafts = NotificationRecipients.drafts(
            .jobQualified,
            for: [person("p-3", email: "c@x.test"), person("p-1", email: nil), person("p-2", email: "  "), person("p-4", email: "d@x.test")],
            alreadyNotified: ["p-4"]
        )
        #expect(drafts.map(\.personID) == ["p-1", "p-2", "p-3"])
        #expect(drafts.map(\.status) == [.skipped, .skipped, .pending])
        #expect(drafts.map(\.reason) == ["person has no email address", "person has no email address", nil])
        #expect(drafts.allSatisfy { $0.type == .jobQualified })
    }

    @Test("A delivered create to a notify_on_delivery target queues job_submitted; nothing else reads the recipients")
    func submittedNotifications() throws {
        let people = [person("p-1", email: "a@x.test"), person("p-2", email: nil)]
        let drafts = Settlement.notifications(after: record()) { (people, []) }
        #expect(drafts.map(\.type) == [.jobSubmitted, .jobSubmitted])
        #expect(drafts.map(\.status) == [.pending, .skipped])
        for quiet in [record(.update), record(delivered: false), record(notifies: false)] {
            let none = try Settlement.notifications(after: quiet) { () throws -> ([Person], Set<PersonID>) in
                Issue.record("recipients read for \(quiet.operation), \(quiet.outcome.storedName), notifies \(quiet.notifiesDecisionMakers)")
                return (people, [])
            }
            #expect(none.isEmpty)
        }
    }

    @Test("A lapsed lease: the cut-short attempt is recorded lease_lost, a create's outcome becomes unknown, a row never attempted records nothing")
    func lapsedLease() throws {
        let create = LapsedLease(id: 7, organisationID: "org-a", attempts: 2, owner: "w1", claimedAt: now, operation: .create)
        let lost = try #require(create.lostAttempt(now: now.addingTimeInterval(40)))
        #expect(lost.attempt == 2)
        #expect(lost.worker == "w1")
        #expect(lost.startedAt == now)
        #expect(lost.finishedAt == now.addingTimeInterval(40))
        #expect(lost.message.contains("outcome unknown"))
        #expect(create.makesOutcomeUnknown)
        #expect(!LapsedLease(id: 7, organisationID: "org-a", attempts: 1, owner: nil, claimedAt: nil, operation: .update).makesOutcomeUnknown)
        #expect(!LapsedLease(id: 7, organisationID: nil, attempts: 1, owner: nil, claimedAt: nil, operation: nil).makesOutcomeUnknown)
        #expect(LapsedLease(id: 7, organisationID: "org-a", attempts: 0, owner: "w1", claimedAt: now, operation: .create).lostAttempt(now: now) == nil)
        #expect(LapsedLease(id: 7, organisationID: nil, attempts: 1, owner: nil, claimedAt: nil, operation: nil).lostAttempt(now: now)?.worker == "unknown")
    }

    @Test("Health updates of one transaction: each target read once, attempts recorded in order, an opening audited once")
    func healthUpdates() {
        var updates = TargetHealthUpdates()
        var reads: [DeliveryLane] = []
        let settings = CircuitBreakerSettings(failureRate: 0.5, minimumRequests: 4)
        for second in 0..<3 {
            let at = now.addingTimeInterval(Double(second))
            updates.record(RequestTally(failed: 2), startedAt: at, of: DeliveryLane("loxo"), at: at, settings: settings) { reads.append($0); return TargetHealth() }
            updates.record(RequestTally(answered: 1), startedAt: at, of: DeliveryLane("bullhorn", connectionOf: "org-a"), at: at, settings: settings) { reads.append($0); return TargetHealth() }
        }
        #expect(reads == [DeliveryLane("loxo"), DeliveryLane("bullhorn", connectionOf: "org-a")])
        #expect(updates.lastChange == now.addingTimeInterval(2))
        if case .open = updates.states[DeliveryLane("loxo")]?.circuit {} else {
            Issue.record("loxo's circuit should be open: \(String(describing: updates.states[DeliveryLane("loxo")]))")
        }
        #expect(updates.states[DeliveryLane("bullhorn", connectionOf: "org-a")]?.circuit == .closed)
        #expect(updates.auditEntries.map(\.action) == [.circuitOpened])
        #expect(updates.auditEntries.first?.subject == "target:loxo")
    }
}
