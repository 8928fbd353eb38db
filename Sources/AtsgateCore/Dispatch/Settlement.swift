public import Foundation

/// How an attempt ended, as the dispatcher decided.
public enum AttemptOutcome: Hashable, Sendable {
    case delivered(SubmissionReceipt)
    case retry(at: Date, error: ConnectorError)
    case failed(reason: String, error: ConnectorError)

    public var error: ConnectorError? {
        switch self {
        case .delivered: nil
        case .retry(_, let error), .failed(_, let error): error
        }
    }

    public var receipt: SubmissionReceipt? {
        if case .delivered(let receipt) = self { return receipt }
        return nil
    }

    /// The value stored in `submission_attempts.outcome`.
    public var storedName: String {
        switch self {
        case .delivered: "sent"
        case .retry: "retry"
        case .failed: "failed"
        }
    }
}

/// What the store knows about a row and its job when it settles an attempt.
public struct SettlementContext: Hashable, Sendable {
    public var row: OutboxEntry
    /// The job's version and status now, which may have moved while the request was in flight.
    public var currentJobVersion: Int
    public var currentJobStatus: JobStatus

    public init(row: OutboxEntry, currentJobVersion: Int, currentJobStatus: JobStatus) {
        self.row = row
        self.currentJobVersion = currentJobVersion
        self.currentJobStatus = currentJobStatus
    }
}

/// One finished attempt, on its way to the store.
public struct DeliveryRecord: Hashable, Sendable {
    public var entryID: Int64
    public var organisationID: OrganisationID
    public var target: TargetName
    /// The lane (ATS account) whose health the attempt's requests count towards.
    public var lane: DeliveryLane
    /// The lease this attempt held: fencing. A record whose lease was lost changes nothing.
    public var leaseOwner: String
    public var attempt: Int
    public var operation: SubmissionOperation
    public var mappedJobVersion: Int
    public var startedAt: Date
    public var finishedAt: Date
    public var outcome: AttemptOutcome
    /// What the attempt's requests said about the target, for its circuit breaker.
    public var requests: RequestTally
    public var requestHash: String
    public var circuitBreaker: CircuitBreakerSettings
    /// The target's `notify_on_delivery`: a delivered create queues a `job_submitted` message for
    /// each decision maker, in the transaction that marks the row sent.
    public var notifiesDecisionMakers: Bool

    public init(
        entryID: Int64, organisationID: OrganisationID, target: TargetName, leaseOwner: String, attempt: Int,
        operation: SubmissionOperation, mappedJobVersion: Int, startedAt: Date, finishedAt: Date,
        outcome: AttemptOutcome, requests: RequestTally? = nil, requestHash: String, circuitBreaker: CircuitBreakerSettings,
        notifiesDecisionMakers: Bool = false, lane: DeliveryLane? = nil
    ) {
        self.entryID = entryID
        self.organisationID = organisationID
        self.target = target
        self.lane = lane ?? DeliveryLane(target)
        self.leaseOwner = leaseOwner
        self.attempt = attempt
        self.operation = operation
        self.mappedJobVersion = mappedJobVersion
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.requests = requests ?? RequestTally.of(outcome.error, now: finishedAt)
        self.requestHash = requestHash
        self.circuitBreaker = circuitBreaker
        self.notifiesDecisionMakers = notifiesDecisionMakers
    }
}

/// The row as an attempt leaves it.
public struct SettledRow: Hashable, Sendable {
    public var status: OutboxStatus
    public var operation: SubmissionOperation
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var externalID: String?
    public var sentJobVersion: Int?
    public var lastErrorKind: ErrorKind?
    public var lastErrorMessage: String?
    public var outcomeUnknown: Bool
    public var enqueuedAt: Date
    public var sentAt: Date?
    public var responseData: String?
}

/// Settles one attempt on one row. Pure: the store reads the row and the job inside its
/// transaction, calls this, and writes the result with the attempt record.
public enum Settlement {
    public enum Result: Hashable, Sendable {
        /// The row is no longer this attempt's (its lease lapsed and another worker took it, or an operator
        /// cancelled it): nothing is written to the row.
        case leaseLost
        case settled(SettledRow)
    }

    public static func settle(_ record: DeliveryRecord, context: SettlementContext, previousOutcomeUnknown: Bool, enqueuedAt: Date) -> Result {
        let row = context.row
        guard row.status == .inFlight, row.leaseOwner == record.leaseOwner, row.attempts == record.attempt else {
            return .leaseLost
        }
        let now = record.finishedAt
        var settled = SettledRow(
            status: row.status, operation: row.operation, attempts: row.attempts, nextAttemptAt: nil,
            externalID: row.externalID, sentJobVersion: row.sentJobVersion, lastErrorKind: row.lastErrorKind,
            lastErrorMessage: row.lastErrorMessage, outcomeUnknown: previousOutcomeUnknown, enqueuedAt: enqueuedAt,
            sentAt: row.sentAt, responseData: nil
        )
        switch record.outcome {
        case .delivered(let receipt):
            settled.externalID = receipt.externalID
            settled.sentJobVersion = record.mappedJobVersion
            settled.lastErrorKind = nil
            settled.lastErrorMessage = nil
            settled.outcomeUnknown = false
            settled.responseData = receipt.summary
            settled.sentAt = now
            if let follow = followUp(after: record, context: context) {
                // The job moved on while the request was in flight: the row has more work.
                settled.status = .pending
                settled.operation = follow
                settled.attempts = 0
                settled.nextAttemptAt = now
                settled.enqueuedAt = now
            } else {
                settled.status = .sent
            }
        case let .retry(at, error):
            settled.status = .pending
            settled.nextAttemptAt = at
            settled.lastErrorKind = error.kind
            settled.lastErrorMessage = error.message
            settled.outcomeUnknown = previousOutcomeUnknown || (record.operation == .create && error.mayHaveReachedTarget)
            settled.externalID = keptExternalID(after: error, record: record, row: row)
        case let .failed(reason, error):
            settled.status = .failed
            settled.lastErrorKind = error.kind
            settled.lastErrorMessage = reason
            settled.outcomeUnknown = previousOutcomeUnknown || (record.operation == .create && error.mayHaveReachedTarget)
            settled.externalID = keptExternalID(after: error, record: record, row: row)
        }
        return .settled(settled)
    }

    /// The notifications a settled attempt queues: when a create reached a target whose
    /// configuration says `notify_on_delivery`, `job_submitted` for each decision maker of the
    /// job's company not told yet (``NotificationRecipients``).
    /// - Parameter recipients: reads the decision makers and who was told already; called only when needed.
    public static func notifications(
        after record: DeliveryRecord, recipients: () throws -> (decisionMakers: [Person], alreadyNotified: Set<PersonID>)
    ) rethrows -> [NotificationDraft] {
        guard queuesNotifications(after: record) else { return [] }
        let (decisionMakers, alreadyNotified) = try recipients()
        return NotificationRecipients.drafts(.jobSubmitted, for: decisionMakers, alreadyNotified: alreadyNotified)
    }

    /// ``notifications(after:recipients:)`` for a store that reads asynchronously.
    public static func notifications(
        after record: DeliveryRecord, recipients: () async throws -> (decisionMakers: [Person], alreadyNotified: Set<PersonID>)
    ) async rethrows -> [NotificationDraft] {
        guard queuesNotifications(after: record) else { return [] }
        let (decisionMakers, alreadyNotified) = try await recipients()
        return NotificationRecipients.drafts(.jobSubmitted, for: decisionMakers, alreadyNotified: alreadyNotified)
    }

    /// Whether a settled attempt queues notifications (so a store reads the recipients at all).
    public static func queuesNotifications(after record: DeliveryRecord) -> Bool {
        guard case .delivered = record.outcome else { return false }
        return record.notifiesDecisionMakers && record.operation == .create
    }

    /// A create that made the job and then failed keeps the job's id: the row's next attempt
    /// finishes that job instead of creating another.
    static func keptExternalID(after error: ConnectorError, record: DeliveryRecord, row: OutboxEntry) -> String? {
        guard record.operation == .create, let created = error.progress?.externalID else { return row.externalID }
        return created
    }

    /// The operation a delivered row still owes, if the job or the row changed during the attempt.
    static func followUp(after record: DeliveryRecord, context: SettlementContext) -> SubmissionOperation? {
        if context.row.operation != record.operation {
            // Retargeted in flight (a close arrived while the create was being sent).
            return context.row.operation
        }
        let edited = context.currentJobVersion > record.mappedJobVersion
        switch record.operation {
        case .create, .update:
            if context.currentJobStatus.isTerminal, edited { return .close }
            return edited ? .update : nil
        case .close:
            return edited && !context.currentJobStatus.isTerminal ? .update : nil
        }
    }
}
