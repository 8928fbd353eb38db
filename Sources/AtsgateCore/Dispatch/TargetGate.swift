import Foundation
import Synchronization

/// One target's send rate within this worker: a token bucket that a 429 slows down and
/// successes bring back to the configured rate.
final class TargetGate: Sendable {
    private struct State {
        var bucket: TokenBucket
        /// 1 at the configured rate; halved by each 429, down to 1/64.
        var slowdown: Double = 1
    }

    private let configuredRate: Double
    private let state: Mutex<State>
    private let clock: any GatewayClock

    init(settings: RateLimitSettings, clock: any GatewayClock) {
        self.configuredRate = settings.requestsPerSecond
        self.clock = clock
        self.state = Mutex(State(bucket: TokenBucket(rate: settings.requestsPerSecond, burst: settings.burst, now: clock.now())))
    }

    /// Waits for a token.
    func acquire() async throws {
        while true {
            let now = clock.now()
            let wait = state.withLock { $0.bucket.take(now: now) }
            guard let wait else { return }
            try await clock.sleep(until: now.adding(wait))
        }
    }

    func observe(_ error: ConnectorError?) {
        let now = clock.now()
        state.withLock { state in
            if error?.kind == .rateLimited {
                state.slowdown = max(state.slowdown / 2, 1.0 / 64)
            } else if error == nil, state.slowdown < 1 {
                state.slowdown = min(1, state.slowdown * 1.25)
            } else {
                return
            }
            state.bucket.setRate(configuredRate * state.slowdown, now: now)
        }
    }

    var currentRate: Double { state.withLock { $0.bucket.rate } }
}
