public import AtsgateCore
import Synchronization

/// Finds or creates each company and person at a target at most once per key in this process,
/// and remembers the id.
///
/// Two deliveries of the same company's jobs running at once would otherwise both miss in the
/// search and both create; and a target's search is an index, which may not show a record created
/// a moment ago. So one find-or-create runs at a time per key, and the ones waiting for it reuse
/// its answer. (Several worker processes do not share this; see the README.)
public final class FindOrCreateDirectory: Sendable {
    private struct State {
        var known: [String: String] = [:]
        var busy: Set<String> = []
        var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func id(for key: String, findOrCreate: () async throws(ConnectorError) -> String) async throws(ConnectorError) -> String {
        if let known = state.withLock({ $0.known[key] }) { return known }
        await acquire(key)
        defer { release(key) }
        if let known = state.withLock({ $0.known[key] }) { return known }
        let id = try await findOrCreate()
        state.withLock { $0.known[key] = id }
        return id
    }

    private func acquire(_ key: String) async {
        await withCheckedContinuation { continuation in
            let mustWait = state.withLock { state -> Bool in
                guard state.busy.insert(key).inserted else {
                    state.waiting[key, default: []].append(continuation)
                    return true
                }
                return false
            }
            if !mustWait { continuation.resume() }
        }
    }

    /// Hands the key to the next waiter, if any; it stays busy until nobody waits.
    private func release(_ key: String) {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard var queue = state.waiting[key], !queue.isEmpty else {
                state.busy.remove(key)
                return nil
            }
            let next = queue.removeFirst()
            state.waiting[key] = queue.isEmpty ? nil : queue
            return next
        }
        next?.resume()
    }
}
