/// What reconciliation can find (DESIGN "Reconciliation"), stored in `reconcile_findings.category`.
public enum ReconcileCategory: String, Hashable, Sendable, Codable, CaseIterable {
    /// Qualified and open locally, nothing at the target and no row delivering it.
    case unsynced
    /// Linked to a remote id the target no longer lists.
    case missingRemote = "missing_remote"
    /// The target holds a job with our marker that our row does not point at.
    case unlinkedRemote = "unlinked_remote"
    /// More than one remote job carries one marker.
    case duplicateRemote = "duplicate_remote"
    /// A remote job carries a marker of no local qualified job.
    case orphanRemote = "orphan_remote"
    /// The remote job's fields differ from what the mapping makes of the local job.
    case drift
    /// Open on one side, closed on the other.
    case statusMismatch = "status_mismatch"

    /// Categories that claim something is *absent* at the target: only a complete listing can show them.
    public var needsCompleteListing: Bool { self == .unsynced || self == .missingRemote }
}

/// What `--apply` does about a finding, through the outbox.
public enum ReconcileRepair: String, Hashable, Sendable, Codable {
    case enqueueCreate = "enqueue_create"
    case enqueueUpdate = "enqueue_update"
    case enqueueClose = "enqueue_close"
    /// Record the remote id as ours (the row becomes `sent`).
    case adopt
}

/// One difference between atsgate and a target.
public struct ReconcileFinding: Hashable, Sendable {
    public var category: ReconcileCategory
    public var jobID: JobID?
    public var remoteID: String?
    /// For people: what differs and why it matters.
    public var detail: String
    /// For `drift`: the target fields that differ.
    public var fields: [String]
    /// What `--apply` would do; `nil` for report-only findings.
    public var repair: ReconcileRepair?

    public init(category: ReconcileCategory, jobID: JobID?, remoteID: String?, detail: String, fields: [String] = [], repair: ReconcileRepair? = nil) {
        self.category = category
        self.jobID = jobID
        self.remoteID = remoteID
        self.detail = detail
        self.fields = fields
        self.repair = repair
    }
}

/// What reconciliation needs to know about one local job at one target.
public struct LocalJobState: Hashable, Sendable {
    /// The job's outbox row for the target.
    public struct Row: Hashable, Sendable {
        public var id: Int64
        public var status: OutboxStatus
        public var operation: SubmissionOperation
        public var externalID: String?
        public var sentVersion: Int?
        /// ``ComparableFields/digest`` of what the last delivery left at the target.
        public var sentDigest: String?

        public init(id: Int64, status: OutboxStatus, operation: SubmissionOperation, externalID: String?, sentVersion: Int?, sentDigest: String?) {
            self.id = id
            self.status = status
            self.operation = operation
            self.externalID = externalID
            self.sentVersion = sentVersion
            self.sentDigest = sentDigest
        }
    }

    public var jobID: JobID
    public var isQualified: Bool
    public var isOpen: Bool
    public var version: Int
    /// `nil` when the job has no row for the target, or only a cancelled one.
    public var row: Row?

    public init(jobID: JobID, isQualified: Bool, isOpen: Bool, version: Int, row: Row?) {
        self.jobID = jobID
        self.isQualified = isQualified
        self.isOpen = isOpen
        self.version = version
        self.row = row
    }

    /// Whether the target should hold the job open.
    var shouldBeOpenRemotely: Bool { isQualified && isOpen }
}
