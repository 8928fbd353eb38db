/// A change the workflow makes to one (job, target) outbox row.
public enum SubmissionChange: Hashable, Sendable {
    /// No row yet: insert a pending one.
    case enqueue(target: TargetName, operation: SubmissionOperation)
    /// A settled row (sent, failed, cancelled) becomes pending again with `operation`; its history stays.
    case requeue(entryID: Int64, target: TargetName, operation: SubmissionOperation)
    /// A row still waiting (or in flight) now has to do `operation` instead; no new row, no extra request.
    case retarget(entryID: Int64, target: TargetName, operation: SubmissionOperation)
    /// A row whose work is no longer wanted (a create never sent for a skipped or closed job).
    case cancel(entryID: Int64, target: TargetName)
    /// Nothing to do for this row, and why.
    case unchanged(entryID: Int64, target: TargetName, reason: String)

    public var target: TargetName {
        switch self {
        case .enqueue(let target, _), .requeue(_, let target, _), .retarget(_, let target, _),
             .cancel(_, let target), .unchanged(_, let target, _):
            target
        }
    }
}

/// A notification the workflow creates for one decision maker.
public struct NotificationDraft: Hashable, Sendable {
    public var personID: PersonID
    public var type: NotificationType
    public var status: NotificationStatus
    /// Why the notification was skipped; `nil` when it is pending.
    public var reason: String?

    public init(personID: PersonID, type: NotificationType, status: NotificationStatus, reason: String? = nil) {
        self.personID = personID
        self.type = type
        self.status = status
        self.reason = reason
    }
}

/// Everything one qualification command writes, decided before anything is written.
///
/// A store applies the whole plan in one transaction, so the job's new status, its outbox rows,
/// its notifications and the audit entry commit together or not at all.
public struct QualificationPlan: Hashable, Sendable {
    public var job: StoredJob
    public var submissionChanges: [SubmissionChange]
    public var notifications: [NotificationDraft]
    public var audit: AuditEntry

    public init(job: StoredJob, submissionChanges: [SubmissionChange], notifications: [NotificationDraft], audit: AuditEntry) {
        self.job = job
        self.submissionChanges = submissionChanges
        self.notifications = notifications
        self.audit = audit
    }
}

/// What a store knows about a job when it plans a command, read inside the command's transaction.
public struct QualificationContext: Hashable, Sendable {
    public var job: StoredJob
    public var submissions: [OutboxEntry]
    public var decisionMakers: [Person]
    /// Decision makers who already have a `job_qualified` notification for this job.
    public var alreadyNotified: Set<PersonID>

    public init(job: StoredJob, submissions: [OutboxEntry], decisionMakers: [Person], alreadyNotified: Set<PersonID>) {
        self.job = job
        self.submissions = submissions
        self.decisionMakers = decisionMakers
        self.alreadyNotified = alreadyNotified
    }
}

/// What a command did, for the CLI and API to report.
public struct QualificationOutcome: Hashable, Sendable {
    public var job: StoredJob
    public var submissionChanges: [SubmissionChange]
    public var notifications: [NotificationDraft]

    public init(plan: QualificationPlan) {
        self.job = plan.job
        self.submissionChanges = plan.submissionChanges
        self.notifications = plan.notifications
    }
}
