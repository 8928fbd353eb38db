import AtsgateCore
import Foundation
import Synchronization

/// Passes every call to the real store and counts the write transactions the dispatcher asks
/// for (each commits with an fsync): claims, settlements, and the rows in them; and how long
/// the dispatcher waited for them (queueing behind the single writer included).
struct CountingDispatchStore: DispatchStore {
    struct Counts: Sendable {
        var claimTransactions = 0
        var claimedRows = 0
        var settleTransactions = 0
        var settledRows = 0
        var claimWait = Duration.zero
        var settleWait = Duration.zero
        var releaseTransactions = 0
        var releasedRows = 0
        var healthReads = 0
        var nextDueReads = 0
    }

    let base: any DispatchStore
    private let counts = Counter()

    init(_ base: any DispatchStore) {
        self.base = base
    }

    var snapshot: Counts { counts.value.withLock { $0 } }

    func claim(_ request: ClaimRequest) async throws -> ClaimBatch {
        let started = ContinuousClock.now
        let batch = try await base.claim(request)
        let waited = ContinuousClock.now - started
        counts.value.withLock { $0.claimTransactions += 1; $0.claimedRows += batch.submissions.count; $0.claimWait += waited }
        return batch
    }

    func settle(_ records: [DeliveryRecord]) async throws -> [Settlement.Result] {
        let started = ContinuousClock.now
        let results = try await base.settle(records)
        let waited = ContinuousClock.now - started
        counts.value.withLock { $0.settleTransactions += 1; $0.settledRows += records.count; $0.settleWait += waited }
        return results
    }

    func releaseUnattempted(_ leases: [UnattemptedLease], now: Date) async throws -> Int {
        let released = try await base.releaseUnattempted(leases, now: now)
        counts.value.withLock { $0.releaseTransactions += 1; $0.releasedRows += released }
        return released
    }

    func claimNotifications(owner: String, now: Date, limit: Int, leaseDuration: Duration, running: Set<Int64>) async throws -> [ClaimedNotification] {
        try await base.claimNotifications(owner: owner, now: now, limit: limit, leaseDuration: leaseDuration, running: running)
    }

    func settleNotifications(_ records: [NotificationRecord]) async throws -> [Bool] {
        try await base.settleNotifications(records)
    }

    func nextDueDate(targets: [TargetName], includeNotifications: Bool) async throws -> Date? {
        counts.value.withLock { $0.nextDueReads += 1 }
        return try await base.nextDueDate(targets: targets, includeNotifications: includeNotifications)
    }

    func hasDueOrInFlightWork(now: Date, targets: [TargetName], includeNotifications: Bool) async throws -> Bool {
        try await base.hasDueOrInFlightWork(now: now, targets: targets, includeNotifications: includeNotifications)
    }

    func targetHealth() async throws -> [DeliveryLane: TargetHealth] {
        counts.value.withLock { $0.healthReads += 1 }
        return try await base.targetHealth()
    }

    private final class Counter: Sendable {
        let value = Mutex(Counts())
    }
}
