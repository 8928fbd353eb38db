import AtsgateCore
import AtsgateTesting
import Foundation
import Synchronization

/// Passes every call to the real store, but holds settlements until the test opens the gate:
/// a test can then act while a delivery has its answer and is not yet settled. It also records
/// the leases the dispatcher gave back unattempted.
final class GatedDispatchStore: DispatchStore {
    private struct State {
        var open = false
        var settleCalls = 0
        var held: [CheckedContinuation<Void, Never>] = []
        var callWaiters = WaitList<Void>()
        var givenBack: [UnattemptedLease] = []
    }

    private let base: any DispatchStore
    private let state = Mutex(State())

    init(_ base: any DispatchStore) {
        self.base = base
    }

    /// Lets every held settlement, and every later one, through.
    func openGate() {
        let held = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.held.removeAll() }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }

    /// Returns once a settlement has reached the gate.
    func untilSettling() async {
        let id = state.withLock { $0.callWaiters.makeID() }
        await cancellableWait { continuation in
            state.withLock { $0.settleCalls > 0 || !$0.callWaiters.add(id, (), continuation) }
        } cancel: {
            self.state.withLock { $0.callWaiters.cancel(id) }
        }
    }

    private func passGate() async {
        await withCheckedContinuation { continuation in
            let (passes, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                state.settleCalls += 1
                if !state.open { state.held.append(continuation) }
                return (state.open, state.callWaiters.removeAll { _ in true })
            }
            for waiter in waiters { waiter.resume() }
            if passes { continuation.resume() }
        }
    }

    func settle(_ records: [DeliveryRecord]) async throws -> [Settlement.Result] {
        await passGate()
        return try await base.settle(records)
    }

    func settleNotifications(_ records: [NotificationRecord]) async throws -> [Bool] {
        await passGate()
        return try await base.settleNotifications(records)
    }

    func claim(_ request: ClaimRequest) async throws -> ClaimBatch {
        try await base.claim(request)
    }

    /// Every lease passed to ``releaseUnattempted(_:now:)`` so far.
    var givenBack: [UnattemptedLease] { state.withLock { $0.givenBack } }

    func releaseUnattempted(_ leases: [UnattemptedLease], now: Date) async throws -> Int {
        state.withLock { $0.givenBack += leases }
        return try await base.releaseUnattempted(leases, now: now)
    }

    func claimNotifications(owner: String, now: Date, limit: Int, leaseDuration: Duration, running: Set<Int64>) async throws -> [ClaimedNotification] {
        try await base.claimNotifications(owner: owner, now: now, limit: limit, leaseDuration: leaseDuration, running: running)
    }

    func nextDueDate(targets: [TargetName], includeNotifications: Bool) async throws -> Date? {
        try await base.nextDueDate(targets: targets, includeNotifications: includeNotifications)
    }

    func hasDueOrInFlightWork(now: Date, targets: [TargetName], includeNotifications: Bool) async throws -> Bool {
        try await base.hasDueOrInFlightWork(now: now, targets: targets, includeNotifications: includeNotifications)
    }

    func targetHealth() async throws -> [DeliveryLane: TargetHealth] {
        try await base.targetHealth()
    }
}
