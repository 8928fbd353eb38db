public import Foundation

/// A row in flight whose lease ran out before its attempt was settled: its worker crashed or
/// stalled. A claim takes such a row again; this decides what that records and changes, the same
/// way for every engine.
public struct LapsedLease: Hashable, Sendable {
    public var id: Int64
    public var organisationID: OrganisationID?
    /// Attempts the row has had; the lapsed one is the last of them.
    public var attempts: Int
    /// The worker whose lease lapsed.
    public var owner: String?
    /// When that worker took the row (the row's last update).
    public var claimedAt: Date?
    /// The row's operation; `nil` for a notification.
    public var operation: SubmissionOperation?

    public init(
        id: Int64, organisationID: OrganisationID?, attempts: Int, owner: String?, claimedAt: Date?, operation: SubmissionOperation?
    ) {
        self.id = id
        self.organisationID = organisationID
        self.attempts = attempts
        self.owner = owner
        self.claimedAt = claimedAt
        self.operation = operation
    }

    /// The `lease_lost` record of the attempt that never settled; `nil` for a row that was never attempted.
    public func lostAttempt(now: Date) -> LostAttempt? {
        guard attempts > 0 else { return nil }
        return LostAttempt(
            attempt: attempts, worker: owner ?? "unknown", startedAt: claimedAt ?? now, finishedAt: now,
            message: "the worker's lease lapsed before it settled the attempt (crashed or stalled); outcome unknown"
        )
    }

    /// A create whose worker vanished may have made the job: the next attempt looks it up by
    /// marker before creating it. An update or close is safe to repeat.
    public var makesOutcomeUnknown: Bool { operation == .create }

    /// What the store records for the attempt a lapsed lease cut short.
    public struct LostAttempt: Hashable, Sendable {
        public var attempt: Int
        public var worker: String
        public var startedAt: Date
        public var finishedAt: Date
        public var message: String
    }
}
