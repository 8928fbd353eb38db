import AtsgateCore
import Foundation
import Synchronization

/// Passes every call to the real store and counts the write transactions the dispatcher asks
/// for (each commits with an fsync): claims, settlements, and the rows in them.
struct CountingDispatchStore: DispatchStore {
    struct Counts: Sendable {
        var claimTransactions = 0
        var claimedRows = 0
        var settleTransactions = 0
        var settledRows = 0
    }

    let base: any DispatchStore
    private let counts = Counter()

    init(_ base: any DispatchStore) {
        self.base = base
    }

    var snapshot: Counts { counts.value.withLock { $0 } }

    func claimSubmissions(_ request: ClaimRequest) async throws -> [ClaimedSubmission] {
        let claims = try await base.claimSubmissions(request)
        counts.value.withLock { $0.claimTransactions += 1; $0.claimedRows += claims.count }
        return claims
    }

    func settle(_ records: [DeliveryRecord]) async throws -> [Settlement.Result] {
        let results = try await base.settle(records)
        counts.value.withLock { $0.settleTransactions += 1; $0.settledRows += records.count }
        return results
    }

    func claimNotifications(owner: String, now: Date, limit: Int, leaseDuration: Duration) async throws -> [ClaimedNotification] {
        try await base.claimNotifications(owner: owner, now: now, limit: limit, leaseDuration: leaseDuration)
    }

    func settleNotifications(_ records: [NotificationRecord]) async throws -> [Bool] {
        try await base.settleNotifications(records)
    }

    func nextDueDate(targets: [TargetName], includeNotifications: Bool) async throws -> Date? {
        try await base.nextDueDate(targets: targets, includeNotifications: includeNotifications)
    }

    func hasDueOrInFlightWork(now: Date, targets: [TargetName], includeNotifications: Bool) async throws -> Bool {
        try await base.hasDueOrInFlightWork(now: now, targets: targets, includeNotifications: includeNotifications)
    }

    func targetHealth() async throws -> [TargetName: TargetHealth] {
        try await base.targetHealth()
    }

    private final class Counter: Sendable {
        let value = Mutex(Counts())
    }
}
