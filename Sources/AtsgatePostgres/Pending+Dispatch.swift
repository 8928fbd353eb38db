// TEMPORARY: placeholders while the PostgreSQL store is written; each goes when its real method lands.
public import AtsgateCore
public import Foundation

private func pending(_ name: String) -> StoreError { StoreError(.unsupportedEngine, "PostgreSQL store: \(name) is not written yet") }

extension PostgresStore: DispatchStore {
    public func claim(_ request: ClaimRequest) async throws -> ClaimBatch { throw pending(#function) }
    public func settle(_ records: [DeliveryRecord]) async throws -> [Settlement.Result] { throw pending(#function) }
    public func releaseUnattempted(_ leases: [UnattemptedLease], now: Date) async throws -> Int { throw pending(#function) }
    public func claimNotifications(owner: String, now: Date, limit: Int, leaseDuration: Duration, running: Set<Int64>) async throws -> [ClaimedNotification] { throw pending(#function) }
    public func settleNotifications(_ records: [NotificationRecord]) async throws -> [Bool] { throw pending(#function) }
    public func nextDueDate(targets: [TargetName], includeNotifications: Bool) async throws -> Date? { throw pending(#function) }
    public func hasDueOrInFlightWork(now: Date, targets: [TargetName], includeNotifications: Bool) async throws -> Bool { throw pending(#function) }
    public func targetHealth() async throws -> [TargetName: TargetHealth] { throw pending(#function) }
}
