import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

/// The circuit breaker as a pure state machine: requests in, states out, no I/O and no waiting.
@Suite("Target health: a breaker that tells down from flaky")
struct TargetHealthTests {
    let settings = CircuitBreakerSettings(
        failureRate: 0.5, minimumRequests: 10, window: .seconds(30), probes: 3, initialCoolDown: .seconds(5), coolDown: .seconds(60)
    )
    let start = Fixtures.now

    func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }

    /// One attempt's requests: `answered` answers, then `failed` failures.
    func tally(answered: Int = 0, failed: Int = 0) -> RequestTally {
        RequestTally(answered: answered, failed: failed, trailingFailures: failed)
    }

    @Test("Down: a target refusing every request opens after minimum_requests requests, within seconds")
    func down() {
        var health = TargetHealth()
        for second in 0..<9 {
            #expect(health.record(tally(failed: 1), now: at(Double(second) * 0.1), settings: settings) == nil)
        }
        #expect(health.circuit == .closed, "nine requests are too few to judge by")
        let change = health.record(tally(failed: 1), now: at(0.9), settings: settings)
        #expect(health.circuit == .open(until: at(5.9)))
        #expect(change == .opened(until: at(5.9), reason: "10 of the last 10 requests failed"))
        #expect(health.claimLimit(wanted: 4, now: at(5)) == 0)
        #expect(health.consecutiveFailures == 10)
    }

    @Test("Flaky: 20 % of requests failing at random never opens the circuit, however long it goes on")
    func flaky() {
        var health = TargetHealth()
        var random = SeededGenerator(seed: 2_026)
        var failed = 0
        // Deliveries of up to five requests that stop at the first failure, each request failing 1 time in 5.
        for delivery in 0..<5_000 {
            var tally = RequestTally()
            for _ in 0..<5 {
                let fails = random.next() % 5 == 0
                tally.record(fails ? .unwell : .answered)
                if fails { break }
            }
            failed += tally.failed
            health.record(tally, now: at(Double(delivery) * 0.02), settings: settings)
            #expect(health.circuit == .closed, "delivery \(delivery)")
            if health.circuit != .closed { return }
        }
        #expect(failed > 2_000, "most deliveries failed somewhere: \(failed) of 5,000")
    }

    @Test("While probing, only probes count: attempts that started before the circuit went half-open neither close nor reopen it")
    func onlyProbesCount() {
        var health = TargetHealth(circuit: .open(until: at(5)), openings: 1)
        health.recordClaim(now: at(5), probeDeadline: at(40))
        #expect(health.record(tally(failed: 3), startedAt: at(-20), now: at(6), settings: settings) == nil)
        #expect(health.record(tally(answered: 5), startedAt: at(-20), now: at(7), settings: settings) == nil)
        #expect(health.circuit == .halfOpen(probeUntil: at(40)), "an attempt of before the outage is no probe")
        #expect(health.record(tally(), startedAt: at(5), now: at(8), settings: settings) == nil)
        #expect(health.circuit == .halfOpen(probeUntil: at(8)), "a probe that made no request frees the next probe")
    }

    @Test("An open circuit whose cool-down is over takes a probe that never turned it half-open (a notification)")
    func probeWithoutClaim() {
        var health = TargetHealth(circuit: .open(until: at(5)), openings: 1)
        #expect(health.record(tally(answered: 1), startedAt: at(4), now: at(6), settings: settings) == nil, "started during the cool-down")
        #expect(health.circuit == .open(until: at(5)))
        health.record(tally(answered: 1), startedAt: at(5), now: at(6), settings: settings)
        #expect(health.circuit == .halfOpen(probeUntil: at(6)))
        health.record(tally(answered: 2), startedAt: at(6), now: at(7), settings: settings)
        #expect(health.circuit == .closed)
    }

    @Test("Just below and at the failure rate: the window's rate decides, not failures in a row")
    func threshold() {
        var below = TargetHealth()
        below.record(tally(answered: 6, failed: 4), now: at(0), settings: settings)
        below.record(tally(answered: 1, failed: 0), now: at(1), settings: settings)
        #expect(below.circuit == .closed, "4 of 11")
        var atRate = TargetHealth()
        atRate.record(tally(answered: 5, failed: 5), now: at(0), settings: settings)
        #expect(atRate.circuit == .open(until: at(5)), "5 of 10")
    }

    @Test("Old failures leave the window: failures spread thinner than the window never add up")
    func slidingWindow() {
        var health = TargetHealth()
        for minute in 0..<30 {
            health.record(tally(failed: 6), now: at(Double(minute) * 60), settings: settings)
            health.record(tally(answered: 3), now: at(Double(minute) * 60 + 1), settings: settings)
        }
        #expect(health.circuit == .closed, "6 of 9 failed each minute, but no 30 s window held 10 requests")
        #expect(health.window.totals(now: at(29 * 60 + 1), window: settings.window) == (9, 6))
    }

    @Test("Recovering: probes go one row at a time; the circuit closes after `probes` answered requests")
    func recovering() {
        var health = TargetHealth(circuit: .open(until: at(5)), openings: 1)
        #expect(health.claimLimit(wanted: 4, now: at(4.9)) == 0)
        #expect(health.claimLimit(wanted: 4, now: at(5)) == 1, "one probe row after the cool-down")
        health.recordClaim(now: at(5), probeDeadline: at(40))
        #expect(health.circuit == .halfOpen(probeUntil: at(40)))
        #expect(health.claimLimit(wanted: 4, now: at(6)) == 0, "one probe at a time")
        #expect(!health.isWaiting(at: at(6)), "a half-open circuit may change with any settlement")

        #expect(health.record(tally(answered: 2), now: at(6), settings: settings) == nil)
        #expect(health.circuit == .halfOpen(probeUntil: at(6)), "answered: the next probe may go at once")
        #expect(health.claimLimit(wanted: 4, now: at(6)) == 1)
        health.recordClaim(now: at(6), probeDeadline: at(41))
        #expect(health.record(tally(answered: 1), now: at(7), settings: settings) == .closed)
        #expect(health.circuit == .closed)
        #expect(health.openings == 0, "the next outage starts again at the initial cool-down")
        #expect(health.claimLimit(wanted: 4, now: at(7)) == 4)
    }

    @Test("Staying down: each failed probe doubles the cool-down, up to cool_down; one probe row per cool-down")
    func coolDownGrows() {
        var health = TargetHealth()
        health.record(tally(failed: 10), now: at(0), settings: settings)
        var now = 0.0
        var coolDowns: [Double] = []
        var probes = 0
        for _ in 0..<7 {
            guard case .open(let until) = health.circuit else { Issue.record("not open: \(health.circuit)"); return }
            coolDowns.append(until.timeIntervalSince(at(now)))
            now = until.timeIntervalSince(start)
            #expect(health.claimLimit(wanted: 10, now: at(now)) == 1)
            health.recordClaim(now: at(now), probeDeadline: at(now + 30))
            probes += 1
            health.record(tally(failed: 1), now: at(now), settings: settings)
        }
        #expect(coolDowns == [5, 10, 20, 40, 60, 60, 60])
        #expect(probes == 7)
    }

    @Test("A probe that is refused for its own reasons (422) proves the target answers; a 429 pauses without judging")
    func answersAndPauses() {
        var probing = TargetHealth(circuit: .halfOpen(probeUntil: at(30)), openings: 2)
        var rejected = RequestTally()
        rejected.record(TargetHealth.signal(for: .rejected("no such company"), now: at(0)))
        probing.record(rejected, now: at(1), settings: settings)
        #expect(probing.probeSuccesses == 1)

        var health = TargetHealth()
        var limited = RequestTally()
        limited.record(TargetHealth.signal(forStatus: 429, retryAfter: .seconds(30), now: at(0)))
        health.record(limited, now: at(0), settings: settings)
        #expect(health.claimLimit(wanted: 2, now: at(29)) == 0)
        #expect(health.claimLimit(wanted: 2, now: at(30)) == 2)
        #expect(health.isWaiting(at: at(29)), "a worker need not ask the store before the pause ends")
        #expect(health.stateName(now: at(0)) == "paused")
        #expect(health.window.totals(now: at(0), window: settings.window) == (0, 0), "a 429 is neither an answer nor a failure")

        let before = health
        health.record(RequestTally.of(.mapping(field: "f", job: "j", reason: "r"), now: at(1)), now: at(1), settings: settings)
        #expect(health == before, "no request reached the target")
    }

    @Test("What a status says: 5xx, 408, 401 and 403 are unwell, other answers are answers, 429 pauses")
    func statuses() {
        for status in [500, 502, 503, 504, 408, 401, 403] {
            #expect(TargetHealth.signal(forStatus: status, retryAfter: nil, now: start) == .unwell, "\(status)")
        }
        for status in [200, 201, 204, 302, 400, 404, 409, 422] {
            #expect(TargetHealth.signal(forStatus: status, retryAfter: nil, now: start) == .answered, "\(status)")
        }
        #expect(TargetHealth.signal(forStatus: 429, retryAfter: nil, now: start) == .rateLimited(until: at(1)))
    }

    @Test("The window survives the store: its text form reads back; a damaged one is refused")
    func windowText() throws {
        var window = RequestWindow()
        window.add(requests: 4, failures: 1, at: at(0), window: .seconds(30))
        window.add(requests: 2, failures: 2, at: at(10), window: .seconds(30))
        let read = try #require(RequestWindow(storedText: window.storedText))
        #expect(read == window)
        #expect(RequestWindow(storedText: "") == RequestWindow())
        var late = read
        late.add(requests: 1, failures: 1, at: at(5), window: .seconds(30))
        #expect(late.buckets.map(\.start) == [at(0), at(5), at(10)], "a settlement that arrives late goes where it belongs")
        late.add(requests: 1, failures: 0, at: at(6), window: .seconds(30))
        #expect(late.buckets.count == 3)
        #expect(late.totals(now: at(10), window: .seconds(30)) == (8, 4))
        #expect(RequestWindow(storedText: "12:3") == nil)
        #expect(RequestWindow(storedText: "12:3:4") == nil, "more failures than requests")
    }

    @Test("Cool-downs: initial, doubled, capped; an initial longer than cool_down is cut to it")
    func coolDowns() {
        #expect((1...6).map(settings.coolDown(afterOpenings:)) == [.seconds(5), .seconds(10), .seconds(20), .seconds(40), .seconds(60), .seconds(60)])
        #expect(CircuitBreakerSettings(initialCoolDown: .seconds(5), coolDown: .seconds(1)).coolDown(afterOpenings: 1) == .seconds(1))
    }
}
