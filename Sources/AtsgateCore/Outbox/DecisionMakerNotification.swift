public import Foundation

public enum NotificationType: String, Hashable, Sendable, Codable, CaseIterable {
    case jobQualified = "job_qualified"
    case jobSubmitted = "job_submitted"
}

public enum NotificationChannel: String, Hashable, Sendable, Codable, CaseIterable {
    case email
}

/// A notification's state: the outbox states, plus `skipped` for a message that can never be
/// sent (the person has no email address), recorded with its reason.
public enum NotificationStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case pending
    case inFlight = "in_flight"
    case sent
    case failed
    case cancelled
    case skipped
}

/// One message to one decision maker about one job; unique on (job, person, type).
public struct DecisionMakerNotification: Hashable, Sendable, Codable {
    public var id: Int64
    public var organisationID: OrganisationID
    public var jobID: JobID
    public var personID: PersonID
    public var companyID: CompanyID
    public var type: NotificationType
    public var channel: NotificationChannel
    public var status: NotificationStatus
    public var attempts: Int
    public var error: String?
    public var sentAt: Date?
    public var createdAt: Date

    public init(
        id: Int64,
        organisationID: OrganisationID,
        jobID: JobID,
        personID: PersonID,
        companyID: CompanyID,
        type: NotificationType,
        channel: NotificationChannel,
        status: NotificationStatus,
        attempts: Int = 0,
        error: String? = nil,
        sentAt: Date? = nil,
        createdAt: Date
    ) {
        self.id = id
        self.organisationID = organisationID
        self.jobID = jobID
        self.personID = personID
        self.companyID = companyID
        self.type = type
        self.channel = channel
        self.status = status
        self.attempts = attempts
        self.error = error
        self.sentAt = sentAt
        self.createdAt = createdAt
    }
}
