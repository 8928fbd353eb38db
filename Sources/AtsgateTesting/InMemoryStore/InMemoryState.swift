import AtsgateCore
import Foundation

/// Everything the in-memory store holds: one value, so a transaction works on a copy and the
/// store swaps it in only when the whole transaction succeeded.
///
/// Collections mirror the SQLite schema's tables (same keys, same uniqueness), rows keep every
/// column the SQLite engine keeps, and dates are kept at its precision (milliseconds).
struct InMemoryState: Sendable {
    var organisations: [OrganisationID: Timestamped<Organisation>] = [:]
    var companies: [Scoped<CompanyID>: Timestamped<Company>] = [:]
    var people: [Scoped<PersonID>: Timestamped<Person>] = [:]
    var associations: [AssociationKey: Timestamped<CompanyContactAssociation>] = [:]
    var jobs: [Scoped<JobID>: Timestamped<StoredJob>] = [:]
    var externalRefs: [RemoteLinkKey: Timestamped<String>] = [:]
    var submissions: [Int64: SubmissionRow] = [:]
    var notifications: [Int64: NotificationRow] = [:]
    var attempts: [Int64: AttemptRow] = [:]
    var reconcileRuns: [Int64: ReconcileRunRow] = [:]
    var reconcileFindings: [Int64: FindingRow] = [:]
    /// `target_states` (default lanes) and `connection_states` (organisations' own connections).
    var targetStates: [DeliveryLane: TargetStateRow] = [:]
    var auditLog: [Int64: AuditEntry] = [:]
    var credentials: [CredentialKey: CredentialRow] = [:]
    var creationClaims: [CreationKey: CreationClaimRecord] = [:]
    var connections: [ConnectionKey: StoredConnection] = [:]
    var apiKeys: [String: APIKeyRecord] = [:]
    var idempotencyKeys: [Scoped<String>: IdempotencyRow] = [:]

    /// The last id each AUTOINCREMENT table handed out (SQLite's `sqlite_sequence`).
    var sequences: [SequenceName: Int64] = [:]
    /// Failures a test planted; they stay until the store is gone.
    var plantedFailures: Set<PlantedFailure> = []

    mutating func nextID(_ table: SequenceName) -> Int64 {
        let id = (sequences[table] ?? 0) + 1
        sequences[table] = id
        return id
    }
}

enum SequenceName: Hashable, Sendable {
    case submissions, notifications, attempts, reconcileRuns, reconcileFindings, auditLog
}

/// A row with the timestamps every CRM table and `external_refs` carry.
struct Timestamped<Value: Sendable>: Sendable {
    var value: Value
    var createdAt: Date
    var updatedAt: Date
}

/// A key scoped to its organisation: CRM ids are unique only within one.
struct Scoped<ID: Hashable & Sendable>: Hashable, Sendable {
    var organisationID: OrganisationID
    var id: ID

    init(_ organisationID: OrganisationID, _ id: ID) {
        self.organisationID = organisationID
        self.id = id
    }
}

struct AssociationKey: Hashable, Sendable {
    var organisationID: OrganisationID
    var companyID: CompanyID
    var personID: PersonID
    var label: AssociationLabel
}

/// `external_refs`' primary key; (organisation, target, kind, remote id) is unique as well.
struct RemoteLinkKey: Hashable, Sendable {
    var organisationID: OrganisationID
    var kind: RemoteLink.Kind
    var localID: String
    var target: TargetName
}

struct ConnectionKey: Hashable, Sendable, Comparable {
    var organisationID: OrganisationID
    var target: TargetName

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.organisationID.rawValue, lhs.target.rawValue) < (rhs.organisationID.rawValue, rhs.target.rawValue)
    }
}

struct CredentialKey: Hashable, Sendable {
    var target: TargetName
    var name: String
}

struct CredentialRow: Sendable {
    var value: String
    var updatedAt: Date
}

/// A `job_external_submissions` row: the entry and the columns ``OutboxEntry`` does not carry.
struct SubmissionRow: Sendable {
    var entry: OutboxEntry
    var outcomeUnknown = false
    var enqueuedAt: Date
    var responseData: String?
    var sentFieldsDigest: String?
}

/// A `decision_maker_notifications` row.
struct NotificationRow: Sendable {
    var notification: DecisionMakerNotification
    var nextAttemptAt: Date?
    var leaseOwner: String?
    var leaseExpiresAt: Date?
    var externalID: String?
    var errorKind: ErrorKind?
    var updatedAt: Date
}

/// A `submission_attempts` row: an attempt of a submission or of a notification.
struct AttemptRow: Sendable {
    enum Subject: Hashable, Sendable {
        case submission(Int64)
        case notification(Int64)
    }

    var organisationID: OrganisationID?
    var subject: Subject
    var history: AttemptHistoryEntry
}

/// A `reconcile_runs` row.
struct ReconcileRunRow: Sendable {
    var run: ReconcileRun
    var heartbeatAt: Date?
}

/// A `reconcile_findings` row.
struct FindingRow: Sendable {
    var runID: Int64
    var organisationID: OrganisationID
    var finding: ReconcileFinding
}

/// A `target_states` row.
struct TargetStateRow: Sendable {
    var health: TargetHealth
    var updatedAt: Date
}
