/// A delivery that did not succeed, classified so the dispatcher knows what to do next.
///
/// `message` is safe to store and print: connectors put the target's own reason here, never
/// credentials, tokens or whole payloads.
public struct ConnectorError: Error, Hashable, Sendable, CustomStringConvertible {
    public var kind: ErrorKind
    public var message: String
    public var httpStatus: Int?
    /// For `rate_limited`: the wait the target asked for (Retry-After), if it said.
    public var retryAfter: Duration?
    /// Whether the request may have reached the target before it failed (a timeout after sending).
    /// A create that failed this way is looked up by marker before it is repeated.
    public var mayHaveReachedTarget: Bool
    /// What the failed delivery did get done at the target, so the next attempt goes on from
    /// there instead of starting over: the job it created, the companies and people it found or made.
    public var progress: DeliveryProgress?
    /// The failed write may have created a record that only a search finds again (a job by its
    /// marker, a company by name, a person by email), and a target's search index may not show a
    /// record made a moment ago: it is repeated no sooner than the outbox's first backoff.
    public var isUnknownCreate: Bool = false

    public init(
        kind: ErrorKind, message: String, httpStatus: Int? = nil, retryAfter: Duration? = nil, mayHaveReachedTarget: Bool = false,
        progress: DeliveryProgress? = nil
    ) {
        self.kind = kind
        self.message = message
        self.httpStatus = httpStatus
        self.retryAfter = retryAfter
        self.mayHaveReachedTarget = mayHaveReachedTarget
        self.progress = progress
    }

    /// This error, carrying what the delivery got done before it.
    public func with(progress: DeliveryProgress) -> ConnectorError {
        var error = self
        error.progress = progress.isEmpty ? error.progress : progress
        return error
    }

    public var description: String {
        let status = httpStatus.map { " (HTTP \($0))" } ?? ""
        return "\(kind.rawValue)\(status): \(message)"
    }

    public static func transient(_ message: String, httpStatus: Int? = nil, mayHaveReachedTarget: Bool = false) -> Self {
        .init(kind: .transient, message: message, httpStatus: httpStatus, mayHaveReachedTarget: mayHaveReachedTarget)
    }

    public static func rateLimited(_ message: String, retryAfter: Duration?, httpStatus: Int? = 429) -> Self {
        .init(kind: .rateLimited, message: message, httpStatus: httpStatus, retryAfter: retryAfter)
    }

    public static func auth(_ message: String, httpStatus: Int? = nil) -> Self {
        .init(kind: .auth, message: message, httpStatus: httpStatus)
    }

    public static func rejected(_ message: String, httpStatus: Int? = nil) -> Self {
        .init(kind: .rejected, message: message, httpStatus: httpStatus)
    }

    public static func mapping(field: String, job: JobID, reason: String) -> Self {
        .init(kind: .mapping, message: "job \(job): field '\(field)': \(reason)")
    }

    public static func config(setting: String, reason: String) -> Self {
        .init(kind: .config, message: "setting '\(setting)': \(reason)")
    }

    public static func unsupported(_ operation: String, target: TargetName) -> Self {
        .init(kind: .config, message: "target '\(target)' does not support \(operation)")
    }
}

/// What a delivery got done at the target before it failed (``ConnectorError/progress``). The
/// store keeps it with the row: a create whose job exists is finished by the next attempt (its
/// contacts attached), never made again.
public struct DeliveryProgress: Hashable, Sendable {
    /// The target's id of the job, once the create went through.
    public var externalID: String?
    /// Companies and people found or created at the target.
    public var learnedReferences: RemoteReferences
    /// Steps the delivery finished, in the connector's own words (`contact:77`). A redo within
    /// the same attempt receives them (``SubmissionRequest/completedSteps``) and skips them; they
    /// are not stored, so a later attempt asks the target instead.
    public var completedSteps: Set<String>

    public init(externalID: String? = nil, learnedReferences: RemoteReferences = RemoteReferences(), completedSteps: Set<String> = []) {
        self.externalID = externalID
        self.learnedReferences = learnedReferences
        self.completedSteps = completedSteps
    }

    public var isEmpty: Bool { externalID == nil && learnedReferences.isEmpty && completedSteps.isEmpty }
}
