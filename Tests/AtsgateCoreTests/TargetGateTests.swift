@testable import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

/// One worker's send rate to a target: a token per request, slowed by 429s, recovering.
@Suite("Target gate: a send rate that recovers")
struct TargetGateTests {
    let clock = ManualClock()

    @Test("A burst of 429s to requests already in flight halves the rate once, not once per answer")
    func oneCutPerBurst() {
        let gate = TargetGate(settings: RateLimitSettings(requestsPerSecond: 8, burst: 8), clock: clock)
        let sentTogether = clock.now()
        clock.advance(by: .milliseconds(100))
        for _ in 0..<5 {
            gate.observe(.rateLimited(until: clock.now()), startedAt: sentTogether)
        }
        #expect(gate.currentRate == 4)
        clock.advance(by: .milliseconds(100))
        gate.observe(.rateLimited(until: clock.now()), startedAt: clock.now())
        #expect(gate.currentRate == 2, "a request sent after the cut and still answered 429 cuts again")
    }

    @Test("Answers bring the rate back to the configured one, and no further")
    func recovers() {
        let gate = TargetGate(settings: RateLimitSettings(requestsPerSecond: 8, burst: 8), clock: clock)
        gate.observe(.rateLimited(until: clock.now()), startedAt: clock.now())
        #expect(gate.currentRate == 4)
        for _ in 0..<8 { gate.observe(.answered, startedAt: clock.now()) }
        #expect(gate.currentRate == 6, "an answer adds 1/32 of the configured rate")
        for _ in 0..<20 { gate.observe(.answered, startedAt: clock.now()) }
        #expect(gate.currentRate == 8)
    }

    @Test("However many bursts, the rate keeps a floor of 1/64 of the configured one")
    func floor() {
        let gate = TargetGate(settings: RateLimitSettings(requestsPerSecond: 64, burst: 1), clock: clock)
        for _ in 0..<20 {
            clock.advance(by: .seconds(1))
            gate.observe(.rateLimited(until: clock.now()), startedAt: clock.now())
        }
        #expect(gate.currentRate == 1)
    }

    @Test("A request waits for its token, but not for one it could only use too late")
    func acquireWithinTheDeadline() async throws {
        let gate = TargetGate(settings: RateLimitSettings(requestsPerSecond: 1, burst: 1), clock: clock)
        #expect(try await gate.acquire(latestStart: clock.now()))
        #expect(try await !gate.acquire(latestStart: clock.now().addingTimeInterval(0.5)), "the next token comes in 1 s")
        async let waited = gate.acquire(latestStart: clock.now().addingTimeInterval(2))
        await clock.untilSomeoneSleeps()
        clock.advance(by: .seconds(1))
        #expect(try await waited)
    }

    @Test("A 429's Retry-After holds this worker's next request to the target")
    func pauseHoldsRequests() async throws {
        let gate = TargetGate(settings: RateLimitSettings(requestsPerSecond: 100, burst: 100), clock: clock)
        gate.observe(.rateLimited(until: clock.now().addingTimeInterval(20)), startedAt: clock.now())
        #expect(try await !gate.acquire(latestStart: clock.now().addingTimeInterval(10)))
        async let waited = gate.acquire(latestStart: clock.now().addingTimeInterval(30))
        await clock.untilSomeoneSleeps()
        clock.advance(by: .seconds(20))
        #expect(try await waited)
    }
}

/// What a budget lets a request do, asked the way every transport asks it.
@Suite("Attempt budget")
struct AttemptBudgetTests {
    let clock = ManualClock()

    @Test("A request starts only when its whole timeout fits before the deadline; the error says whether a write went out")
    func deadline() async throws {
        let budget = AttemptBudget(deadline: clock.now().addingTimeInterval(25), clock: clock)
        let read = try await budget.startRequest("GET /jobs", isWrite: false, timeout: .seconds(10))
        budget.finish(read, with: .answered)
        clock.advance(by: .seconds(14))
        await #expect(throws: ConnectorError.self) { _ = try await budget.startRequest("POST /jobs", isWrite: true, timeout: .seconds(12)) }
        do {
            _ = try await budget.startRequest("POST /jobs", isWrite: true, timeout: .seconds(12))
        } catch {
            #expect(error.kind == .transient)
            #expect(!error.mayHaveReachedTarget, "only a read went out")
            #expect(error.message.contains("stopped before POST /jobs"))
        }
        let write = try await budget.startRequest("POST /companies", isWrite: true, timeout: .seconds(11))
        budget.finish(write, with: .unwell)
        clock.advance(by: .seconds(1))
        do {
            _ = try await budget.startRequest("POST /jobs", isWrite: true, timeout: .seconds(11))
            Issue.record("started past the deadline")
        } catch {
            #expect(error.mayHaveReachedTarget, "a write went out earlier in this attempt")
        }
        #expect(budget.tally == RequestTally(answered: 1, failed: 1, trailingFailures: 1))
    }

    @Test("A budget nobody asked has no tally: the attempt's result counts instead")
    func unasked() {
        #expect(AttemptBudget(deadline: clock.now(), clock: clock).tally == nil)
    }
}
