import PostgresNIO
import Synchronization

/// Keeps a transaction's caller from waiting forever on the database.
///
/// postgres-nio 1.33 loses a query sent on a connection the server has just closed: it reaches
/// the channel after the connection's handler is gone, and its answer never comes (the fix,
/// vapor/postgres-nio#487, was reverted in #501). A worker whose settlement hit that during a
/// database restart stopped settling for good. So a transaction runs in a task of its own, and
/// its caller stops waiting, with a failure it can retry, once the transaction's connection is
/// closed or the transaction has run past its time limit. Past the limit the watchdog closes
/// the connection itself: that also ends one whose server vanished without closing it.
///
/// One ``monitor()`` loop (run with the store) looks at every open transaction twice a second,
/// so a transaction costs a task and a registration, not a timer of its own.
final class TransactionWatchdog: Sendable {
    private struct Watched {
        var lease: TransactionLease
        var startedAt: ContinuousClock.Instant
        var giveUp: @Sendable (TransactionAbandoned) -> Void
    }

    private struct State {
        var watched: [UInt64: Watched] = [:]
        var nextID: UInt64 = 0
    }

    let timeLimit: Duration
    /// How often the watchdog looks at the open transactions; a hang lasts about this long.
    let checkInterval: Duration
    private let state = Mutex(State())
    private let clock = ContinuousClock()

    init(timeLimit: Duration, checkInterval: Duration = .milliseconds(500)) {
        self.timeLimit = timeLimit
        self.checkInterval = checkInterval
    }

    /// Runs `transaction` and returns what it returns, or throws ``TransactionAbandoned``. The
    /// transaction reports the connection it leases to `lease`. One given up is cancelled (a
    /// lease still awaited is withdrawn; one granted later is refused) and left to end on its own.
    func run<T: Sendable>(watching lease: TransactionLease, _ transaction: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = Outcome<T>()
        let worker = Task {
            do {
                outcome.settle(.success(try await transaction()))
            } catch {
                outcome.settle(.failure(error))
            }
        }
        let id = watch(Watched(lease: lease, startedAt: clock.now) { reason in
            outcome.settle(.failure(reason))
            worker.cancel()
        })
        defer { unwatch(id) }
        return try await withTaskCancellationHandler {
            try await outcome.value
        } onCancel: {
            worker.cancel()
        }
    }

    /// Gives up on transactions whose connection closed or whose time is up, until cancelled.
    func monitor() async {
        while (try? await Task.sleep(for: checkInterval)) != nil {
            let now = clock.now
            let due = state.withLock { state in
                state.watched.filter { _, watched in
                    watched.lease.connection?.isClosed == true || watched.startedAt.duration(to: now) >= timeLimit
                }
            }
            for (id, watched) in due {
                unwatch(id)
                let connection = watched.lease.abandon()
                if connection?.isClosed == true {
                    watched.giveUp(.connectionClosed)
                } else {
                    watched.giveUp(.timedOut(timeLimit))
                    try? await connection?.close()
                }
            }
        }
    }

    private func watch(_ watched: Watched) -> UInt64 {
        state.withLock { state in
            state.nextID += 1
            state.watched[state.nextID] = watched
            return state.nextID
        }
    }

    private func unwatch(_ id: UInt64) {
        _ = state.withLock { $0.watched.removeValue(forKey: id) }
    }
}

/// Why a transaction's caller stopped waiting for it.
enum TransactionAbandoned: Error, CustomStringConvertible {
    case connectionClosed
    case timedOut(Duration)

    var description: String {
        switch self {
        case .connectionClosed:
            "its connection closed under it (the server went away or restarted)"
        case .timedOut(let limit):
            "it ran longer than the transaction time limit (\(limit.components.seconds) s); its connection was closed"
        }
    }
}

/// The connection a transaction leased, for the watchdog to look at.
final class TransactionLease: Sendable {
    private struct State {
        var connection: PostgresConnection?
        var isAbandoned = false
    }

    private let state = Mutex(State())

    var connection: PostgresConnection? { state.withLock { $0.connection } }

    /// Whether the transaction got a connection at all: an error before that is the pool's.
    var isLeased: Bool { connection != nil }

    /// Records the leased connection; false when the caller has already given up (then the
    /// transaction must not start).
    func leased(_ connection: PostgresConnection) -> Bool {
        state.withLock { state in
            state.connection = connection
            return !state.isAbandoned
        }
    }

    /// Marks the transaction given up; returns its connection, if it had one.
    @discardableResult
    func abandon() -> PostgresConnection? {
        state.withLock { state in
            state.isAbandoned = true
            return state.connection
        }
    }
}

/// A result delivered once, by whichever side comes first, to one waiter.
private final class Outcome<T: Sendable>: Sendable {
    private enum State {
        case pending(CheckedContinuation<T, any Error>?)
        case settled(Result<T, any Error>)
    }

    private let state = Mutex(State.pending(nil))

    func settle(_ result: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard case .pending(let waiter) = state else { return nil }
            state = .settled(result)
            return waiter
        }
        waiter?.resume(with: result)
    }

    var value: T {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let settled = state.withLock { state -> Result<T, any Error>? in
                    switch state {
                    case .pending:
                        state = .pending(continuation)
                        return nil
                    case .settled(let result):
                        return result
                    }
                }
                if let settled { continuation.resume(with: settled) }
            }
        }
    }
}
