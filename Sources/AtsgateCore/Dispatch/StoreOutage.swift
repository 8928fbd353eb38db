import Logging
import Synchronization

/// Waits out a store that cannot be reached (a database restarting, a network blip): the call is
/// made again after a growing pause (0.25 s doubling to 5 s) until the store answers, the worker
/// stops, or — where a limit is given — the outage has lasted too long.
///
/// The outage is logged once when it starts and once when it ends, not at every try. Errors that
/// are not about reaching the store (a corrupt row, a domain error) are thrown at once. The pauses
/// are real time, whatever clock the dispatcher runs on: a store comes back in the real world.
final class StoreOutage: Sendable {
    private let logger: Logger
    private let outageStartedAt = Mutex<ContinuousClock.Instant?>(nil)

    static let firstPause = Duration.milliseconds(250)
    static let longestPause = Duration.seconds(5)

    init(logger: Logger) {
        self.logger = logger
    }

    /// Calls `body` until the store answers.
    /// - Parameters:
    ///   - work: what the call does, for the log ("claim rows").
    ///   - giveUp: true when waiting longer is pointless (the worker is stopping); the last error is thrown then.
    ///   - limit: the longest outage this call waits out; `nil` waits as long as `giveUp` allows.
    func call<Result>(
        _ work: String, giveUp: () -> Bool = { false }, limit: Duration? = nil, _ body: () async throws -> Result
    ) async throws -> Result {
        var pause = Self.firstPause
        let started = ContinuousClock.now
        while true {
            do {
                let result = try await body()
                recovered()
                return result
            } catch let error as StoreError where error.code == .unavailable {
                let waited = ContinuousClock.now - started
                if giveUp() || Task.isCancelled || limit.map({ waited >= $0 }) == true { throw error }
                began(work, error: error)
                try await Task.sleep(for: pause)
                pause = min(pause * 2, Self.longestPause)
            }
        }
    }

    private func began(_ work: String, error: StoreError) {
        let isNew = outageStartedAt.withLock { started in
            guard started == nil else { return false }
            started = .now
            return true
        }
        if isNew {
            logger.warning("the store is unavailable; waiting for it and trying again", metadata: ["while": "\(work)", "error": "\(error.message)"])
        }
    }

    private func recovered() {
        guard let started = outageStartedAt.withLock({ started -> ContinuousClock.Instant? in
            defer { started = nil }
            return started
        }) else { return }
        logger.notice("the store answers again", metadata: ["outage": "\(ContinuousClock.now - started)"])
    }
}
