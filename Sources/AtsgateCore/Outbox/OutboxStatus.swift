/// The state of an outbox row (`job_external_submissions.status`) or a notification.
///
/// ```
/// pending ──claim──▶ in_flight ──ok──▶ sent
///    ▲                  │  │
///    └──retryable / lease lapsed ┘  └──permanent or attempts exhausted──▶ failed ──replay──▶ pending
/// pending | failed ──operator or workflow──▶ cancelled
/// ```
public enum OutboxStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// Waiting for `next_attempt_at`. Entered on enqueue, after a retryable error, on replay,
    /// or when a worker's lease lapses. Left when a worker claims the row.
    case pending
    /// Leased by one worker until its lease expires. Left by the worker's outcome, or by the
    /// lease lapsing (another worker takes the row again).
    case inFlight = "in_flight"
    /// The target reflects the job at the version recorded on the row. A later edit or close
    /// moves it back to `pending` with a new operation.
    case sent
    /// A permanent error or exhausted attempts: an operator must act (replay or cancel).
    case failed
    /// Withdrawn by an operator, or by the workflow (a skipped job's pending create).
    case cancelled

    /// Rows the dispatcher still has to deliver.
    public var isOpen: Bool { self == .pending || self == .inFlight }
}

/// What a row asks the target to do.
public enum SubmissionOperation: String, Hashable, Sendable, Codable, CaseIterable {
    case create
    case update
    case close
}

/// Why a delivery failed; decides what happens next (DESIGN "The outbox").
public enum ErrorKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// Refused, reset, timeout, 5xx, 408: retry with exponential backoff and jitter.
    case transient
    /// 429 or a quota: retry no earlier than Retry-After and slow the target.
    case rateLimited = "rate_limited"
    /// 401 or an expired session: refresh credentials once and retry, then fail.
    case auth
    /// The target refused the request (validation, unknown reference): fail with its message.
    case rejected
    /// A required field is missing locally: fail before any request, naming the field.
    case mapping
    /// The target is disabled or misconfigured: fail, naming the setting.
    case config

    /// Whether the dispatcher may try the same request again without an operator.
    public var isRetryable: Bool {
        switch self {
        case .transient, .rateLimited, .auth: true
        case .rejected, .mapping, .config: false
        }
    }
}
