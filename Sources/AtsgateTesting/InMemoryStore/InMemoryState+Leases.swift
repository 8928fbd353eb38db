import AtsgateCore
import Foundation

/// A row a worker leases: an outbox row or a notification.
protocol LeasedRow: Sendable {
    var id: Int64 { get }
    var organisationID: OrganisationID { get }
    var isInFlight: Bool { get }
    var isPending: Bool { get }
    var nextAttemptAt: Date? { get }
    var leaseExpiresAt: Date? { get }
    var leaseOwner: String? { get }
    var attempts: Int { get }
    var updatedAt: Date { get }
    /// `nil` for a notification.
    var operation: SubmissionOperation? { get }
    var attemptSubject: AttemptRow.Subject { get }

    mutating func lease(to owner: String, until: Date, now: Date)
    mutating func markOutcomeUnknown()
}

extension SubmissionRow: LeasedRow {
    var id: Int64 { entry.id }
    var organisationID: OrganisationID { entry.organisationID }
    var isInFlight: Bool { entry.status == .inFlight }
    var isPending: Bool { entry.status == .pending }
    var nextAttemptAt: Date? { entry.nextAttemptAt }
    var leaseExpiresAt: Date? { entry.leaseExpiresAt }
    var leaseOwner: String? { entry.leaseOwner }
    var attempts: Int { entry.attempts }
    var updatedAt: Date { entry.updatedAt }
    var operation: SubmissionOperation? { entry.operation }
    var attemptSubject: AttemptRow.Subject { .submission(entry.id) }

    mutating func lease(to owner: String, until: Date, now: Date) {
        entry.status = .inFlight
        entry.leaseOwner = owner
        entry.leaseExpiresAt = until
        entry.attempts += 1
        entry.updatedAt = now
    }

    mutating func markOutcomeUnknown() { outcomeUnknown = true }
}

extension NotificationRow: LeasedRow {
    var id: Int64 { notification.id }
    var organisationID: OrganisationID { notification.organisationID }
    var isInFlight: Bool { notification.status == .inFlight }
    var isPending: Bool { notification.status == .pending }
    var attempts: Int { notification.attempts }
    var operation: SubmissionOperation? { nil }
    var attemptSubject: AttemptRow.Subject { .notification(notification.id) }

    mutating func lease(to owner: String, until: Date, now: Date) {
        notification.status = .inFlight
        leaseOwner = owner
        leaseExpiresAt = until
        notification.attempts += 1
        updatedAt = now
    }

    // `decision_maker_notifications` has no outcome_unknown; LapsedLease never asks for a notification.
    mutating func markOutcomeUnknown() {}
}

extension InMemoryState {
    /// Mirrors `SQLiteStore.claimRows`: in-flight rows whose lease lapsed first (by lease expiry),
    /// then pending due rows (by due time, then id), at most `limit`; a lapsed lease is recorded
    /// as a `lease_lost` attempt. Returns the leased rows in id order.
    mutating func claimRows<Row: LeasedRow>(
        _ table: WritableKeyPath<InMemoryState, [Int64: Row]>, where belongs: (Row) -> Bool,
        limit: Int, owner: String, now: Date, leaseUntil: Date, running: Set<Int64>
    ) -> [Row] {
        let now = now.atStoragePrecision
        let leaseUntil = leaseUntil.atStoragePrecision
        let rows = self[keyPath: table].values.filter(belongs)
        let lapsed = rows
            .filter { $0.isInFlight && !running.contains($0.id) && ($0.leaseExpiresAt.map { $0 <= now } ?? false) }
            .sorted { ($0.leaseExpiresAt ?? now, $0.id) < ($1.leaseExpiresAt ?? now, $1.id) }
            .limited(to: limit)
        let due = rows
            .filter { $0.isPending && ($0.nextAttemptAt.map { $0 <= now } ?? false) }
            .sorted { ($0.nextAttemptAt ?? now, $0.id) < ($1.nextAttemptAt ?? now, $1.id) }
            .limited(to: limit < 0 ? limit : limit - lapsed.count)
        guard !lapsed.isEmpty || !due.isEmpty else { return [] }

        for row in lapsed {
            let lease = LapsedLease(
                id: row.id, organisationID: row.organisationID, attempts: row.attempts, owner: row.leaseOwner,
                claimedAt: row.updatedAt, operation: row.operation
            )
            if let lost = lease.lostAttempt(now: now) {
                attempts[nextID(.attempts)] = AttemptRow(
                    organisationID: row.organisationID, subject: row.attemptSubject,
                    history: AttemptHistoryEntry(
                        attemptNumber: lost.attempt, operation: nil, worker: lost.worker, startedAt: lost.startedAt.atStoragePrecision,
                        finishedAt: lost.finishedAt.atStoragePrecision, outcome: "lease_lost", httpStatus: nil, errorKind: nil,
                        message: lost.message, durationMilliseconds: nil, requestHash: nil
                    )
                )
            }
            if lease.makesOutcomeUnknown { self[keyPath: table][row.id]?.markOutcomeUnknown() }
        }
        var leased: [Row] = []
        for id in (lapsed + due).map(\.id).sorted() {
            guard var row = self[keyPath: table][id] else { continue }
            row.lease(to: owner, until: leaseUntil, now: now)
            self[keyPath: table][id] = row
            leased.append(row)
        }
        return leased
    }
}
