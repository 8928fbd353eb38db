public import Foundation

/// What a worker asks for when it claims work.
public struct ClaimRequest: Hashable, Sendable {
    /// The worker's identity, written as the lease owner.
    public var owner: String
    public var now: Date
    /// Rows wanted per lane (its free delivery slots); a lane missing here is not claimed.
    public var limits: [DeliveryLane: Int]
    public var leaseDurations: [TargetName: Duration]
    /// The organisations with a connection of their own to each target: their rows queue in their
    /// own lanes, never in the target's default lane.
    public var ownConnections: [TargetName: Set<OrganisationID>]
    /// Targets whose connectors use the remote ids of companies and people (``RemoteReferences``);
    /// the others' claims skip reading them.
    public var referencesWanted: Set<TargetName>
    /// Rows whose earlier attempt is still running in this worker: never claimed again, even if
    /// their lease lapsed (the attempt stops before its next request and settles them).
    public var running: Set<Int64>

    public init(
        owner: String, now: Date, limits: [DeliveryLane: Int], leaseDurations: [TargetName: Duration], referencesWanted: Set<TargetName> = [],
        running: Set<Int64> = [], ownConnections: [TargetName: Set<OrganisationID>] = [:]
    ) {
        self.owner = owner
        self.now = now
        self.limits = limits
        self.leaseDurations = leaseDurations
        self.ownConnections = ownConnections
        self.referencesWanted = referencesWanted
        self.running = running
    }
}

/// A row leased to one worker, with the job as it is now (payloads are mapped at send time).
public struct ClaimedSubmission: Hashable, Sendable {
    public var entry: OutboxEntry
    public var snapshot: JobSnapshot
    /// An earlier attempt of this create may have reached the target: look it up by marker first.
    public var outcomeUnknown: Bool
    public var enqueuedAt: Date
    /// The target's ids of the job's company and contacts, from `external_refs`.
    public var references: RemoteReferences
    /// The lane the row was claimed in.
    public var lane: DeliveryLane

    public init(
        entry: OutboxEntry, snapshot: JobSnapshot, outcomeUnknown: Bool, enqueuedAt: Date, references: RemoteReferences = RemoteReferences(),
        lane: DeliveryLane? = nil
    ) {
        self.entry = entry
        self.snapshot = snapshot
        self.outcomeUnknown = outcomeUnknown
        self.enqueuedAt = enqueuedAt
        self.references = references
        self.lane = lane ?? DeliveryLane(entry.target)
    }
}

/// What one claim transaction leased, and the health of the targets it looked at: the worker
/// plans its next look from these, without reading them again.
public struct ClaimBatch: Hashable, Sendable {
    public var submissions: [ClaimedSubmission]
    /// The state of every lane the request named, as the claim left it.
    public var health: [DeliveryLane: TargetHealth]

    public init(submissions: [ClaimedSubmission], health: [DeliveryLane: TargetHealth]) {
        self.submissions = submissions
        self.health = health
    }
}

/// A lease a worker holds on a row it claimed and never attempted, to give back.
public struct UnattemptedLease: Hashable, Sendable {
    public var entryID: Int64
    public var owner: String
    /// The attempt number the claim counted.
    public var attempt: Int

    public init(entryID: Int64, owner: String, attempt: Int) {
        self.entryID = entryID
        self.owner = owner
        self.attempt = attempt
    }

    public init(_ claim: ClaimedSubmission, owner: String) {
        self.init(entryID: claim.entry.id, owner: owner, attempt: claim.entry.attempts)
    }
}

/// A notification leased to one worker.
public struct ClaimedNotification: Hashable, Sendable {
    public var request: NotificationRequest
    public var organisationID: OrganisationID
    public var attempt: Int
    public var enqueuedAt: Date
    public var lastErrorKind: ErrorKind?
    /// When the lease was taken: the attempt's deadline counts from here.
    public var claimedAt: Date

    public init(
        request: NotificationRequest, organisationID: OrganisationID, attempt: Int, enqueuedAt: Date, lastErrorKind: ErrorKind?, claimedAt: Date
    ) {
        self.request = request
        self.organisationID = organisationID
        self.attempt = attempt
        self.enqueuedAt = enqueuedAt
        self.lastErrorKind = lastErrorKind
        self.claimedAt = claimedAt
    }
}

/// A finished notification attempt.
public struct NotificationRecord: Hashable, Sendable {
    public var notificationID: Int64
    public var organisationID: OrganisationID
    public var target: TargetName
    public var leaseOwner: String
    public var attempt: Int
    public var startedAt: Date
    public var finishedAt: Date
    public var outcome: AttemptOutcome
    /// What the attempt's requests said about the target, for its circuit breaker.
    public var requests: RequestTally
    public var circuitBreaker: CircuitBreakerSettings

    public init(
        notificationID: Int64, organisationID: OrganisationID, target: TargetName, leaseOwner: String, attempt: Int,
        startedAt: Date, finishedAt: Date, outcome: AttemptOutcome, requests: RequestTally? = nil, circuitBreaker: CircuitBreakerSettings
    ) {
        self.notificationID = notificationID
        self.organisationID = organisationID
        self.target = target
        self.leaseOwner = leaseOwner
        self.attempt = attempt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.requests = requests ?? RequestTally.of(outcome.error, now: finishedAt)
        self.circuitBreaker = circuitBreaker
    }
}

/// The storage a dispatcher works on. Every method is one transaction.
public protocol DispatchStore: Sendable {
    /// Leases due rows (pending and due, or in flight with a lapsed lease) to `request.owner`,
    /// at most `limits[target]` per target, skipping targets whose circuit is open or that are
    /// paused (a half-open circuit gets one probe), and reports the named targets' health.
    func claim(_ request: ClaimRequest) async throws -> ClaimBatch

    /// Settles finished attempts in one transaction: each row's new state, its attempt record,
    /// the remote id in `external_refs`, and its target's health. A record whose lease was lost
    /// is recorded as an attempt but changes nothing else.
    func settle(_ records: [DeliveryRecord]) async throws -> [Settlement.Result]

    /// Gives back rows claimed and never attempted: each is pending again, due when it was, and
    /// its attempt count is what it was before the claim. A lease no longer held as described
    /// (it lapsed and the row was claimed again) is left alone. Returns how many were given back.
    func releaseUnattempted(_ leases: [UnattemptedLease], now: Date) async throws -> Int

    /// Leases due decision-maker notifications to `owner`, leaving alone those in `running`
    /// (still being delivered by this worker) even when their lease lapsed.
    func claimNotifications(owner: String, now: Date, limit: Int, leaseDuration: Duration, running: Set<Int64>) async throws -> [ClaimedNotification]

    /// Settles notification attempts; returns, per record, whether its lease still held.
    func settleNotifications(_ records: [NotificationRecord]) async throws -> [Bool]

    /// The earliest instant a row of `targets` (or a notification, if asked) becomes due or a lease lapses.
    func nextDueDate(targets: [TargetName], includeNotifications: Bool) async throws -> Date?

    /// Whether any row of `targets` (or a notification, if asked) is due at `now` or in flight.
    /// Work no connector of this worker can deliver does not count.
    func hasDueOrInFlightWork(now: Date, targets: [TargetName], includeNotifications: Bool) async throws -> Bool

    func targetHealth() async throws -> [DeliveryLane: TargetHealth]
}

extension DispatchStore {
    /// The rows of ``claim(_:)``, without the health.
    public func claimSubmissions(_ request: ClaimRequest) async throws -> [ClaimedSubmission] {
        try await claim(request).submissions
    }
}

/// Wakes a sleeping worker when work was committed elsewhere (another process, the same one).
public protocol WakeupNotifier: Sendable {
    /// Best effort and non-blocking: a worker that misses it still finds the work on its next poll.
    func notifyWorkers()
}

/// Where a worker hears about new work.
public protocol WakeupListener: Sendable {
    /// A stream that yields whenever a notifier rang; ends when the listener is closed. Listening
    /// has begun when it returns: no ring after that is lost (while the listener can reach its
    /// store; after losing it, the stream yields once when it listens again).
    func wakeups() async -> AsyncStream<Void>
    func close()
}
