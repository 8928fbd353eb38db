public import Foundation

/// An outbox row as `outbox list --json` and the API show it.
public struct OutboxRowReport: Encodable, Sendable {
    public var id: Int64
    public var organisationId: String
    public var jobId: String
    public var externalSystem: String
    public var operation: String
    public var status: String
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var externalId: String?
    public var jobVersion: Int
    public var sentJobVersion: Int?
    public var lastErrorKind: String?
    public var lastErrorMessage: String?
    public var submittedBy: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var sentAt: Date?
    /// The target's health as `connectors status` shows it (`closed`, `open`, `paused`, …), when listed.
    public var targetState: String?

    public init(_ entry: OutboxEntry) {
        id = entry.id
        organisationId = entry.organisationID.rawValue
        jobId = entry.jobID.rawValue
        externalSystem = entry.target.rawValue
        operation = entry.operation.rawValue
        status = entry.status.rawValue
        attempts = entry.attempts
        nextAttemptAt = entry.nextAttemptAt
        leaseOwner = entry.leaseOwner
        leaseExpiresAt = entry.leaseExpiresAt
        externalId = entry.externalID
        jobVersion = entry.jobVersion
        sentJobVersion = entry.sentJobVersion
        lastErrorKind = entry.lastErrorKind?.rawValue
        lastErrorMessage = entry.lastErrorMessage
        submittedBy = entry.submittedBy
        createdAt = entry.createdAt
        updatedAt = entry.updatedAt
        sentAt = entry.sentAt
    }

    private enum CodingKeys: String, CodingKey {
        case id, organisationId, jobId, externalSystem, operation, status, attempts, nextAttemptAt, leaseOwner
        case leaseExpiresAt, externalId, jobVersion, sentJobVersion, lastErrorKind, lastErrorMessage, submittedBy
        case createdAt, updatedAt, sentAt, targetState
    }

    // Written by hand so absent values appear as `null`: scripts can rely on every key being present.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(organisationId, forKey: .organisationId)
        try container.encode(jobId, forKey: .jobId)
        try container.encode(externalSystem, forKey: .externalSystem)
        try container.encode(operation, forKey: .operation)
        try container.encode(status, forKey: .status)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(nextAttemptAt, forKey: .nextAttemptAt)
        try container.encode(leaseOwner, forKey: .leaseOwner)
        try container.encode(leaseExpiresAt, forKey: .leaseExpiresAt)
        try container.encode(externalId, forKey: .externalId)
        try container.encode(jobVersion, forKey: .jobVersion)
        try container.encode(sentJobVersion, forKey: .sentJobVersion)
        try container.encode(lastErrorKind, forKey: .lastErrorKind)
        try container.encode(lastErrorMessage, forKey: .lastErrorMessage)
        try container.encode(submittedBy, forKey: .submittedBy)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(sentAt, forKey: .sentAt)
        try container.encodeIfPresent(targetState, forKey: .targetState)
    }
}

/// A row with its attempts, as `outbox show --json` and `GET /v1/outbox/{id}` show it.
public struct OutboxShowReport: Encodable, Sendable {
    public var row: OutboxRowReport
    public var attempts: [AttemptReport]

    public init(row: OutboxRowReport, attempts: [AttemptReport]) {
        self.row = row
        self.attempts = attempts
    }
}

/// One attempt of a row.
public struct AttemptReport: Encodable, Sendable {
    public var attemptNumber: Int
    public var operation: String?
    public var worker: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var outcome: String?
    public var httpStatus: Int?
    public var errorKind: String?
    public var message: String?
    public var durationMs: Int?
    public var requestHash: String?

    public init(_ attempt: AttemptHistoryEntry) {
        attemptNumber = attempt.attemptNumber
        operation = attempt.operation?.rawValue
        worker = attempt.worker
        startedAt = attempt.startedAt
        finishedAt = attempt.finishedAt
        outcome = attempt.outcome
        httpStatus = attempt.httpStatus
        errorKind = attempt.errorKind?.rawValue
        message = attempt.message
        durationMs = attempt.durationMilliseconds
        requestHash = attempt.requestHash
    }
}

/// What a replay or cancel did (or, with `dry_run`, would do).
public struct OperatorActionReport: Encodable, Sendable {
    public var dryRun: Bool
    public var count: Int
    public var rows: [OutboxRowReport]

    public init(dryRun: Bool, count: Int, rows: [OutboxRowReport]) {
        self.dryRun = dryRun
        self.count = count
        self.rows = rows
    }
}

extension OperatorActionReport {
    public init(dryRun: Bool, rows: [OutboxEntry]) {
        self.init(dryRun: dryRun, count: rows.count, rows: rows.map(OutboxRowReport.init))
    }
}
