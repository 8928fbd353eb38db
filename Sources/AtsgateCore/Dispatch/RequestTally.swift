public import Foundation

/// What the requests of one attempt told about its target: how many were answered, how many
/// failed in a way that says the target is unwell, and whether it asked us to slow down.
///
/// A delivery of ten requests that fails at the last one is nine answers and one failure, not
/// one failed delivery: the breaker judges the target by its requests.
public struct RequestTally: Hashable, Sendable {
    /// Requests the target answered (a success, or a refusal of its own such as a 422).
    public var answered: Int
    /// Requests that failed because the target is unwell: refused or dropped connections, timeouts, 5xx, 401/403.
    public var failed: Int
    /// Failed requests since the last answered one.
    public var trailingFailures: Int
    /// The target answered 429: nothing is sent to it before this instant.
    public var rateLimitedUntil: Date?

    public init(answered: Int = 0, failed: Int = 0, trailingFailures: Int? = nil, rateLimitedUntil: Date? = nil) {
        self.answered = answered
        self.failed = failed
        self.trailingFailures = trailingFailures ?? (answered == 0 ? failed : 0)
        self.rateLimitedUntil = rateLimitedUntil
    }

    public var requests: Int { answered + failed }
    public var isEmpty: Bool { requests == 0 && rateLimitedUntil == nil }

    public mutating func record(_ signal: TargetHealth.Signal) {
        switch signal {
        case .answered:
            answered += 1
            trailingFailures = 0
        case .unwell:
            failed += 1
            trailingFailures += 1
        case .rateLimited(let until):
            rateLimitedUntil = max(rateLimitedUntil ?? until, until)
        case .none:
            break
        }
    }

    /// The tally of an attempt whose connector made no request through an ``AttemptBudget`` (a
    /// connector of a test, say): the attempt's result counts as one request.
    public static func of(_ error: ConnectorError?, now: Date) -> RequestTally {
        var tally = RequestTally()
        tally.record(TargetHealth.signal(for: error, now: now))
        return tally
    }
}
