public import AtsgateCore
import Foundation
import Synchronization

/// A ``GatewayStore`` that keeps everything in memory, for tests: the SQLite
/// engine's behaviour (rows, states, ids, errors, ordering, fencing) without a database.
///
/// Every public method is one transaction: it works on a copy of the state and swaps the copy in
/// only when it succeeded, so a failure (a refused action, a planted one) leaves nothing behind.
/// The store rings its workers after the same commits the SQLite engine rings after.
public final class InMemoryStore: Sendable {
    private let state = Mutex(InMemoryState())
    private let doorbell = InProcessDoorbell()

    public init() {}

    /// Runs `body` on a copy of the state and keeps the copy only if `body` returns.
    func write<T: Sendable>(_ body: (inout InMemoryState) throws -> T) throws -> T {
        // As GRDB does: a cancelled task's store calls throw, so a caller that relies on it stops.
        try Task.checkCancellation()
        return try state.withLock { current in
            var copy = current
            let result = try body(&copy)
            current = copy
            return result
        }
    }

    /// A write that rings the workers after its commit when `queuedWork` says it queued or re-queued any.
    func write<T: Sendable>(ringingWorkersIf queuedWork: (T) -> Bool, _ body: (inout InMemoryState) throws -> T) throws -> T {
        let result = try write(body)
        if queuedWork(result) { doorbell.notifyWorkers() }
        return result
    }

    func read<T: Sendable>(_ body: (InMemoryState) throws -> T) throws -> T {
        try Task.checkCancellation()
        return try state.withLock { current in try body(current) }
    }

    /// The whole state as it is now, to read without holding the lock (calling out to a caller's closure).
    func snapshotOfState() -> InMemoryState {
        state.withLock { $0 }
    }
}

extension InMemoryStore: GatewayStore {
    public func wakeupListener() -> any WakeupListener {
        doorbell.listener()
    }

    public func describe() async throws -> StoreDescription {
        StoreDescription(engine: "in-memory", location: "memory", settings: [], appliedMigrations: [], knownMigrations: [])
    }
}
