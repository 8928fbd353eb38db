import Synchronization

/// "Commit, then hold the answer": while on, a fake stores a write and then waits here before
/// answering, so the client cannot tell whether its request landed.
final class AnswerHold: Sendable {
    private struct State {
        var holding = false
        var held: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func set(_ holding: Bool) {
        state.withLock { $0.holding = holding }
    }

    /// Answers every held request now.
    func releaseAll() {
        let held = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state.held.removeAll() }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }

    /// Returns at once unless holding; then waits for ``releaseAll()``.
    func waitIfHolding() async {
        await withCheckedContinuation { continuation in
            let holding = state.withLock { state -> Bool in
                if state.holding { state.held.append(continuation) }
                return state.holding
            }
            if !holding { continuation.resume() }
        }
    }
}
