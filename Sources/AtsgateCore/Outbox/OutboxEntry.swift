public import Foundation

/// One row of the outbox: "target `target` must reflect job `jobID`".
public struct OutboxEntry: Hashable, Sendable, Codable {
    public var id: Int64
    public var organisationID: OrganisationID
    public var jobID: JobID
    public var target: TargetName
    public var operation: SubmissionOperation
    public var status: OutboxStatus
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var externalID: String?
    /// The job version the row must deliver.
    public var jobVersion: Int
    /// The job version the target last confirmed, if any.
    public var sentJobVersion: Int?
    public var lastErrorKind: ErrorKind?
    public var lastErrorMessage: String?
    public var submittedBy: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var sentAt: Date?

    public init(
        id: Int64,
        organisationID: OrganisationID,
        jobID: JobID,
        target: TargetName,
        operation: SubmissionOperation,
        status: OutboxStatus,
        attempts: Int = 0,
        nextAttemptAt: Date? = nil,
        leaseOwner: String? = nil,
        leaseExpiresAt: Date? = nil,
        externalID: String? = nil,
        jobVersion: Int,
        sentJobVersion: Int? = nil,
        lastErrorKind: ErrorKind? = nil,
        lastErrorMessage: String? = nil,
        submittedBy: String? = nil,
        createdAt: Date,
        updatedAt: Date,
        sentAt: Date? = nil
    ) {
        self.id = id
        self.organisationID = organisationID
        self.jobID = jobID
        self.target = target
        self.operation = operation
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.externalID = externalID
        self.jobVersion = jobVersion
        self.sentJobVersion = sentJobVersion
        self.lastErrorKind = lastErrorKind
        self.lastErrorMessage = lastErrorMessage
        self.submittedBy = submittedBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.sentAt = sentAt
    }
}

/// Filters for listing outbox rows; `nil` means any.
public struct OutboxFilter: Hashable, Sendable {
    public var organisationID: OrganisationID?
    public var status: OutboxStatus?
    public var target: TargetName?
    public var errorKind: ErrorKind?
    public var jobID: JobID?
    /// Only rows with a greater id (a page's cursor).
    public var afterID: Int64?
    public var limit: Int?

    public init(
        organisationID: OrganisationID? = nil,
        status: OutboxStatus? = nil,
        target: TargetName? = nil,
        errorKind: ErrorKind? = nil,
        jobID: JobID? = nil,
        afterID: Int64? = nil,
        limit: Int? = nil
    ) {
        self.organisationID = organisationID
        self.status = status
        self.target = target
        self.errorKind = errorKind
        self.jobID = jobID
        self.afterID = afterID
        self.limit = limit
    }
}
