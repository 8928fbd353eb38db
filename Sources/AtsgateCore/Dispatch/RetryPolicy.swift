public import Foundation

/// What happens to a row after a failed attempt.
public enum RetryDecision: Hashable, Sendable {
    /// Try again no earlier than `at`.
    case retry(at: Date)
    /// Refresh the target's credentials once, then try again at once.
    case refreshCredentialsAndRetry
    /// Stop: the row fails and an operator must act. `reason` says why, in the target's words where it gave any.
    case fail(reason: String)
}

/// The retry policy of one target: a pure function of (attempt, now, error, jitter), so every
/// schedule can be checked without waiting.
///
/// - `transient`: exponential backoff, `base_delay × 2^(attempt−1)` capped at `max_delay`, with
///   ±20 % jitter (also capped), until `max_attempts` or `max_age`.
/// - `rate_limited`: no earlier than Retry-After (bounded by `max_delay`), or the backoff when
///   the target gave none; it does not use up attempts (the target answered, it asked us to
///   wait), only `max_age` ends it.
/// - `auth`: one credential refresh and an immediate retry; a second `auth` in a row fails.
/// - `rejected`, `mapping`, `config`: fail at once with the reason.
public struct RetryPolicy: Hashable, Sendable {
    public var settings: RetrySettings

    public init(settings: RetrySettings) {
        self.settings = settings
    }

    /// The un-jittered wait after attempt `attempt` (1-based) failed.
    public func nominalDelay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 40)
        let seconds = settings.baseDelay.timeInterval * pow(2, Double(exponent))
        return min(Duration(timeInterval: seconds), settings.maxDelay)
    }

    /// The wait with jitter: `jitter` in 0…1 maps to 0.8…1.2 of the nominal delay, capped at `max_delay`.
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Duration {
        let factor = 0.8 + 0.4 * min(max(jitter, 0), 1)
        return min(Duration(timeInterval: nominalDelay(afterAttempt: attempt).timeInterval * factor), settings.maxDelay)
    }

    /// Decides what follows a failed attempt.
    /// - Parameters:
    ///   - attempt: the attempt that failed, 1-based.
    ///   - enqueuedAt: when the row's current work was queued (`max_age` counts from there).
    ///   - previousErrorKind: the kind of the attempt before this one, if any.
    ///   - jitter: a uniform random number in 0…1.
    public func decide(
        after error: ConnectorError,
        attempt: Int,
        enqueuedAt: Date,
        now: Date,
        previousErrorKind: ErrorKind?,
        jitter: Double
    ) -> RetryDecision {
        switch error.kind {
        case .rejected, .mapping, .config:
            return .fail(reason: error.message)
        case .auth:
            if previousErrorKind == .auth {
                return .fail(reason: "authentication failed again after a credential refresh: \(error.message)")
            }
            return .refreshCredentialsAndRetry
        case .rateLimited:
            let wait = error.retryAfter.map { min(max($0, .zero), settings.maxDelay) }
                ?? delay(afterAttempt: attempt, jitter: jitter)
            return scheduled(now.adding(wait), enqueuedAt: enqueuedAt, error: error)
        case .transient:
            guard attempt < settings.maxAttempts else {
                return .fail(reason: "gave up after \(attempt) attempts: \(error.message)")
            }
            return scheduled(now.adding(delay(afterAttempt: attempt, jitter: jitter)), enqueuedAt: enqueuedAt, error: error)
        }
    }

    private func scheduled(_ next: Date, enqueuedAt: Date, error: ConnectorError) -> RetryDecision {
        guard next <= enqueuedAt.adding(settings.maxAge) else {
            return .fail(reason: "gave up: the next attempt would fall after max_age (\(DurationText.format(settings.maxAge))): \(error.message)")
        }
        return .retry(at: next)
    }
}

/// Reads an HTTP `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
public enum RetryAfter {
    public static func parse(_ value: String, now: Date) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed) {
            return seconds >= 0 ? .seconds(seconds) : nil
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                return Duration(timeInterval: max(0, date.timeIntervalSince(now)))
            }
        }
        return nil
    }
}
