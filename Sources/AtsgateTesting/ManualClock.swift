public import AtsgateCore
public import Foundation
import Synchronization

/// A clock that moves only when a test says so. Sleepers wake when ``advance(by:)`` passes
/// their deadline, or when their task is cancelled.
public final class ManualClock: GatewayClock {
    private struct Sleeper {
        var id: UInt64
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0
        var sleepWaiters = WaitList<Void>()
    }

    private let state: Mutex<State>

    public init(now: Date = Fixtures.now) {
        state = Mutex(State(now: now))
    }

    public func now() -> Date { state.withLock { $0.now } }

    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.adding(duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// How many tasks are sleeping on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Returns once some task sleeps on this clock, so a test advances time only when the code
    /// under test is actually waiting for it.
    public func untilSomeoneSleeps() async {
        let id = state.withLock { $0.sleepWaiters.makeID() }
        await cancellableWait { continuation in
            state.withLock { !$0.sleepers.isEmpty || !$0.sleepWaiters.add(id, (), continuation) }
        } cancel: {
            self.state.withLock { $0.sleepWaiters.cancel(id) }
        }
    }

    /// Returns once some task sleeps on this clock until no later than `window` from now: the
    /// short pause a test waits for, not a loop's long poll.
    public func untilSomeoneSleeps(endingWithin window: Duration) async {
        @Sendable func sleepsSoon(_ state: State) -> Bool { state.sleepers.contains { $0.deadline <= state.now.adding(window) } }
        while !Task.isCancelled, !state.withLock({ sleepsSoon($0) }) {
            // Woken by the next sleeper to register, whatever its deadline; then look again.
            let id = state.withLock { $0.sleepWaiters.makeID() }
            await cancellableWait { continuation in
                state.withLock { sleepsSoon($0) || !$0.sleepWaiters.add(id, (), continuation) }
            } cancel: {
                self.state.withLock { $0.sleepWaiters.cancel(id) }
            }
        }
    }

    public func sleep(for duration: Duration) async throws {
        try await sleep { now in now.adding(duration) }
    }

    public func sleep(until deadline: Date) async throws {
        try await sleep { _ in deadline }
    }

    /// Sleeps until the deadline `deadline(now)` gives, `now` read when the sleeper registers.
    private func sleep(_ deadline: @Sendable (Date) -> Date) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (resumeNow, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                    let deadline = deadline(state.now)
                    if deadline <= state.now || Task.isCancelled { return (true, []) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return (false, state.sleepWaiters.removeAll { _ in true })
                }
                for waiter in waiters { waiter.resume() }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
