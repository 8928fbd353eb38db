import Synchronization

/// "Commit, then hold the answer": a fake stores a write and then waits here before answering,
/// so the client cannot tell whether its request landed.
final class AnswerHold: Sendable {
    private struct State {
        var holding = false
        var closed = false
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

    /// Answers every held request and holds none from now on. A fake calls this as it stops,
    /// because the server waits for its handlers and a handler held past that point would hang it.
    func close() {
        state.withLock { $0.closed = true }
        releaseAll()
    }

    /// Returns at once unless holding; then waits for ``releaseAll()``.
    func waitIfHolding() async {
        await wait(onlyIfHolding: true)
    }

    /// Waits for ``releaseAll()`` or ``close()``, whether holding or not.
    func waitForRelease() async {
        await wait(onlyIfHolding: false)
    }

    private func wait(onlyIfHolding: Bool) async {
        await withCheckedContinuation { continuation in
            let waits = state.withLock { state -> Bool in
                let waits = !state.closed && (state.holding || !onlyIfHolding)
                if waits { state.held.append(continuation) }
                return waits
            }
            if !waits { continuation.resume() }
        }
    }
}
