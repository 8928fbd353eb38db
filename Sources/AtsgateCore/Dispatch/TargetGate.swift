import Foundation
import Synchronization

/// One target's send rate within this worker: a token bucket, one token per *request*, that a
/// 429 slows down and answers bring back to the configured rate.
///
/// A burst of 429s answered to requests that were already in flight halves the rate once, not
/// once per answer: a 429 halves it only if its request started after the last cut (as TCP cuts
/// its window once per round trip). Each answer then adds 1/32 of the configured rate (additive
/// increase, so a halved rate takes 16 answers to recover), up to the configured rate; it never
/// falls below 1/64 of it. A 429 also holds this worker's next requests to the target until its
/// Retry-After.
///
/// It also keeps the target's ``RetryBudget``, which its answers fill.
final class TargetGate: Sendable {
    private struct State {
        var bucket: TokenBucket
        /// 1 at the configured rate; halved by a burst of 429s, down to ``minimumSlowdown``.
        var slowdown: Double = 1
        /// When the rate was last cut: 429s to requests started before then are the same burst.
        var lastCut: Date?
        /// A 429's Retry-After: no request starts before this instant.
        var pausedUntil: Date?
    }

    static let minimumSlowdown = 1.0 / 64
    static let recoveryStep = 1.0 / 32

    private let configuredRate: Double
    private let state: Mutex<State>
    private let clock: any GatewayClock
    let retryBudget = RetryBudget()

    init(settings: RateLimitSettings, clock: any GatewayClock) {
        self.configuredRate = settings.requestsPerSecond
        self.clock = clock
        self.state = Mutex(State(bucket: TokenBucket(rate: settings.requestsPerSecond, burst: settings.burst, now: clock.now())))
    }

    /// Waits for a token (and for a 429 pause to end), unless that means starting after `latestStart`.
    /// - Returns: `false`, without waiting or taking a token, when the request could not start in time.
    func acquire(latestStart: Date) async throws -> Bool {
        while true {
            let now = clock.now()
            let wait: Date? = state.withLock { state in
                if let paused = state.pausedUntil, paused > now { return paused }
                return state.bucket.peek(now: now).map { now.adding(max($0, .milliseconds(1))) }
            }
            guard let wait else {
                // A token is there; take it unless another task took it first.
                if state.withLock({ $0.bucket.take(now: now) == nil }) { return true }
                continue
            }
            guard wait <= latestStart else { return false }
            try await clock.sleep(until: wait)
        }
    }

    /// What a request that started at `startedAt` was answered.
    func observe(_ signal: TargetHealth.Signal, startedAt: Date) {
        if case .answered = signal { retryBudget.deposit() }
        let now = clock.now()
        state.withLock { state in
            switch signal {
            case .rateLimited(let until):
                state.pausedUntil = max(state.pausedUntil ?? until, until)
                if let lastCut = state.lastCut, startedAt < lastCut { return }
                state.slowdown = max(state.slowdown / 2, Self.minimumSlowdown)
                state.lastCut = now
            case .answered where state.slowdown < 1:
                state.slowdown = min(1, state.slowdown + Self.recoveryStep)
            case .answered, .unwell, .none:
                return
            }
            state.bucket.setRate(configuredRate * state.slowdown, now: now)
        }
    }

    var currentRate: Double { state.withLock { $0.bucket.rate } }
}
