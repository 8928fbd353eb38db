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

    public init(kind: ErrorKind, message: String, httpStatus: Int? = nil, retryAfter: Duration? = nil, mayHaveReachedTarget: Bool = false) {
        self.kind = kind
        self.message = message
        self.httpStatus = httpStatus
        self.retryAfter = retryAfter
        self.mayHaveReachedTarget = mayHaveReachedTarget
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
