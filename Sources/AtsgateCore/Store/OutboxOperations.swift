public import Foundation

/// Which rows an operator replays.
public enum ReplaySelection: Hashable, Sendable {
    /// These rows; every one must be `failed`, or nothing is replayed.
    case ids([Int64])
    /// Every failed row matching the filters (`nil`: any).
    case failed(target: TargetName?, errorKind: ErrorKind?, failedSince: Date?)
}

/// One recorded attempt of an outbox row, as `outbox show` prints it.
public struct AttemptHistoryEntry: Hashable, Sendable {
    public var attemptNumber: Int
    public var operation: SubmissionOperation?
    public var worker: String
    public var startedAt: Date
    public var finishedAt: Date?
    /// `sent`, `retry`, `failed` or `lease_lost`.
    public var outcome: String?
    public var httpStatus: Int?
    public var errorKind: ErrorKind?
    public var message: String?
    public var durationMilliseconds: Int?
    public var requestHash: String?

    public init(
        attemptNumber: Int, operation: SubmissionOperation?, worker: String, startedAt: Date, finishedAt: Date?,
        outcome: String?, httpStatus: Int?, errorKind: ErrorKind?, message: String?, durationMilliseconds: Int?, requestHash: String?
    ) {
        self.attemptNumber = attemptNumber
        self.operation = operation
        self.worker = worker
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.errorKind = errorKind
        self.message = message
        self.durationMilliseconds = durationMilliseconds
        self.requestHash = requestHash
    }

    /// What every engine records of one finished attempt: its outcome, the target's status, the
    /// error's kind and the message (the receipt's summary, the error, or the reason it failed for
    /// good). An attempt whose lease was lost is kept as `lease_lost`: on record, not applied.
    public static func recording(
        _ outcome: AttemptOutcome, attempt: Int, operation: SubmissionOperation?, worker: String,
        startedAt: Date, finishedAt: Date, leaseLost: Bool, requestHash: String?
    ) -> AttemptHistoryEntry {
        let httpStatus: Int? = switch outcome {
        case .delivered(let receipt): receipt.httpStatus
        case .retry(_, let error), .failed(_, let error): error.httpStatus
        }
        let message: String? = switch outcome {
        case .delivered(let receipt): receipt.adoptedExisting ? "adopted an existing remote record found by marker" : receipt.summary
        case .retry(_, let error): error.message
        case .failed(let reason, _): reason
        }
        return AttemptHistoryEntry(
            attemptNumber: attempt, operation: operation, worker: worker, startedAt: startedAt, finishedAt: finishedAt,
            outcome: leaseLost ? "lease_lost" : outcome.storedName, httpStatus: httpStatus, errorKind: outcome.error?.kind,
            message: leaseLost ? "lease lost before settling; this attempt's result was not applied: \(message ?? "")" : message,
            durationMilliseconds: max(0, Int((finishedAt.timeIntervalSince(startedAt) * 1_000).rounded())),
            requestHash: requestHash
        )
    }
}

/// An operator action refused as a whole; nothing was changed.
public struct OperatorActionError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        case notFound
        case wrongState
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// What operators do to the outbox. Every change writes an `audit_log` entry in the same transaction.
public protocol OutboxOperatorStore: Sendable {
    func outboxEntry(id: Int64) async throws -> OutboxEntry?
    func attemptHistory(entryID: Int64) async throws -> [AttemptHistoryEntry]

    /// Moves failed rows back to `pending`, due now, with a fresh attempt budget; their attempt
    /// history stays. A row in any other state (a sent row above all) is never replayed.
    /// With `dryRun`, returns what would be replayed and changes nothing.
    func replay(_ selection: ReplaySelection, dryRun: Bool, actor: String, now: Date) async throws -> [OutboxEntry]

    /// Cancels pending or failed rows. In-flight, sent and cancelled rows are refused.
    func cancel(ids: [Int64], actor: String, now: Date) async throws -> [OutboxEntry]

    /// Rows per target and state.
    func outboxCounts() async throws -> [TargetName: [OutboxStatus: Int]]

    /// Per target, when its longest-waiting due row (pending, due at or before `now`) fell due.
    func oldestDue(now: Date) async throws -> [TargetName: Date]
}
