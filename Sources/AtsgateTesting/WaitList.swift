/// Tasks waiting for something a test double records ("5 requests arrived", "someone sleeps"),
/// kept in the double's locked state. A wait ends when its condition comes true or when its task
/// is cancelled, so a test's time limit can end a wait that never comes true instead of holding
/// the whole run.
///
/// The owner stores a `WaitList` in its `Mutex`-guarded state, calls ``cancellableWait(register:cancel:)``
/// to wait and ``removeAll(where:)`` whenever what it records changes.
public struct WaitList<Condition: Sendable>: Sendable {
    public typealias ID = UInt64

    private var waiting: [ID: (condition: Condition, continuation: CheckedContinuation<Void, Never>)] = [:]
    /// Waits cancelled before they registered: they must not register afterwards.
    private var cancelledEarly: Set<ID> = []
    private var lastID: ID = 0

    public init() {}

    /// A fresh id for one wait.
    public mutating func makeID() -> ID {
        lastID += 1
        return lastID
    }

    /// Stores a waiter; returns `false` (resume it now) if its wait was already cancelled.
    public mutating func add(_ id: ID, _ condition: Condition, _ continuation: CheckedContinuation<Void, Never>) -> Bool {
        if cancelledEarly.remove(id) != nil { return false }
        waiting[id] = (condition, continuation)
        return true
    }

    /// The waiter of a cancelled wait, to resume; remembers the id if it has not registered yet.
    public mutating func cancel(_ id: ID) -> CheckedContinuation<Void, Never>? {
        guard let waiter = waiting.removeValue(forKey: id) else {
            cancelledEarly.insert(id)
            return nil
        }
        return waiter.continuation
    }

    /// Takes out the waiters whose condition now holds, to resume outside the lock.
    public mutating func removeAll(where satisfied: (Condition) -> Bool) -> [CheckedContinuation<Void, Never>] {
        let ready = waiting.filter { satisfied($0.value.condition) }
        for id in ready.keys { waiting[id] = nil }
        return ready.values.map(\.continuation)
    }
}

/// Waits until `register` reports the condition already met (`true`) or the continuation it
/// stored is resumed, or until the task is cancelled. Both closures run under the owner's lock.
public func cancellableWait(
    register: (CheckedContinuation<Void, Never>) -> Bool,
    cancel: @Sendable () -> CheckedContinuation<Void, Never>?
) async {
    await withTaskCancellationHandler {
        await withCheckedContinuation { continuation in
            if register(continuation) { continuation.resume() }
        }
    } onCancel: {
        cancel()?.resume()
    }
}
