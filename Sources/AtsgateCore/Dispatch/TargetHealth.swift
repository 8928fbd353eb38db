public import Foundation

/// A target's circuit breaker and rate-limit pause, shared by every worker through the store.
///
/// ```
/// closed ──failure_threshold consecutive failures──▶ open(until)
/// open ──cool-down over, a worker claims one probe row──▶ halfOpen(probeUntil)
/// halfOpen ──probe succeeds──▶ closed      halfOpen ──probe fails──▶ open(until)
/// ```
/// Only failures that say the target is unwell count (`transient`, `auth`); a `rejected` row
/// proves the target is answering and resets the count.
public struct TargetHealth: Hashable, Sendable {
    public enum Circuit: Hashable, Sendable {
        case closed
        case open(until: Date)
        /// One probe row is in flight; if its worker dies the probe may be retried after `probeUntil`.
        case halfOpen(probeUntil: Date)
    }

    public var circuit: Circuit
    public var consecutiveFailures: Int
    /// Set by a 429: nothing is sent to the target before this instant.
    public var pausedUntil: Date?

    public init(circuit: Circuit = .closed, consecutiveFailures: Int = 0, pausedUntil: Date? = nil) {
        self.circuit = circuit
        self.consecutiveFailures = consecutiveFailures
        self.pausedUntil = pausedUntil
    }

    /// How many rows a worker may claim for the target now, given how many it would like.
    public func claimLimit(wanted: Int, now: Date) -> Int {
        if let pausedUntil, pausedUntil > now { return 0 }
        switch circuit {
        case .closed: return wanted
        case .open(let until): return until <= now ? min(wanted, 1) : 0
        case .halfOpen(let probeUntil): return probeUntil <= now ? min(wanted, 1) : 0
        }
    }

    /// Paused, or open and cooling down: only time passing (or another worker's probe) changes
    /// that, so a worker need not ask the store before `now` reaches the instant. A half-open
    /// circuit is not waiting: its probe's settlement may close it at any moment.
    public func isWaiting(at now: Date) -> Bool {
        if let pausedUntil, pausedUntil > now { return true }
        if case .open(let until) = circuit, until > now { return true }
        return false
    }

    /// Called when a worker claims rows; an open circuit whose cool-down is over becomes half-open.
    public mutating func recordClaim(now: Date, probeDeadline: Date) {
        switch circuit {
        case .open(let until) where until <= now, .halfOpen(let until) where until <= now:
            circuit = .halfOpen(probeUntil: probeDeadline)
        default:
            break
        }
    }

    /// What an attempt says about the target's health.
    public enum Signal: Hashable, Sendable {
        /// The target handled the request (sent, or refused the row for its own reasons).
        case answered
        /// The target looks unwell: timeouts, 5xx, failed authentication.
        case unwell
        /// The target asked us to slow down until `until`.
        case rateLimited(until: Date)
        /// No request reached the target (a mapping or configuration problem); health unchanged.
        case none
    }

    public static func signal(for error: ConnectorError?, now: Date) -> Signal {
        guard let error else { return .answered }
        switch error.kind {
        case .transient, .auth: return .unwell
        case .rateLimited: return .rateLimited(until: now.adding(error.retryAfter ?? .seconds(1)))
        case .rejected: return .answered
        case .mapping, .config: return .none
        }
    }

    public mutating func record(_ signal: Signal, now: Date, settings: CircuitBreakerSettings) {
        switch signal {
        case .answered:
            consecutiveFailures = 0
            circuit = .closed
        case .unwell:
            consecutiveFailures += 1
            if case .halfOpen = circuit {
                circuit = .open(until: now.adding(settings.coolDown))
            } else if consecutiveFailures >= settings.failureThreshold {
                circuit = .open(until: now.adding(settings.coolDown))
            }
        case .rateLimited(let until):
            pausedUntil = max(pausedUntil ?? until, until)
            if case .halfOpen = circuit { circuit = .closed }
        case .none:
            break
        }
    }

    /// A short word for tables and metrics labels.
    public func stateName(now: Date) -> String {
        if let pausedUntil, pausedUntil > now { return "paused" }
        switch circuit {
        case .closed: return "closed"
        case .open(let until): return until > now ? "open" : "cooling-done"
        case .halfOpen: return "half-open"
        }
    }
}
