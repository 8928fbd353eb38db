public import Foundation

/// A target's circuit breaker and rate-limit pause, shared by every worker through the store.
///
/// The breaker judges the target by its *requests* over a sliding window (as resilience4j's
/// count-and-rate breaker and Envoy's success-rate outlier detection do), not by whole deliveries
/// or failures in a row: a delivery of ten requests fails if any one does, so a target that
/// answers 80 % of requests fails most multi-request deliveries and is still up.
///
/// ```
/// closed ──≥ minimum_requests in the window, ≥ failure_rate of them failed──▶ open(until)
/// open ──cool-down over, a worker claims one probe row──▶ halfOpen(probeUntil)
/// halfOpen ──a probe request fails──▶ open(until), the cool-down doubled (up to cool_down)
/// halfOpen ──probe row answered, fewer than `probes` answers so far──▶ halfOpen (next probe row)
/// halfOpen ──`probes` requests answered──▶ closed, the cool-down back to initial_cool_down
/// ```
/// A target that refuses everything opens after `minimum_requests` requests and then costs one
/// probe row per cool-down. Only failures that say the target is unwell count (connection
/// failures, timeouts, 5xx, 401/403); a `rejected` answer proves the target is answering. A 429
/// pauses the target until its Retry-After (1 s without one) and counts neither way.
public struct TargetHealth: Hashable, Sendable {
    public enum Circuit: Hashable, Sendable {
        case closed
        case open(until: Date)
        /// A probe row is in flight; if its worker dies another probe may go after `probeUntil`.
        case halfOpen(probeUntil: Date)
    }

    public var circuit: Circuit
    /// Requests and failures while closed; emptied when the circuit opens or closes.
    public var window: RequestWindow
    /// Times the circuit opened since the target last recovered: each doubles the cool-down.
    public var openings: Int
    /// Requests answered since the circuit went half-open.
    public var probeSuccesses: Int
    /// When the circuit went half-open: attempts that started before are not probes, and say
    /// nothing about whether the target has recovered.
    public var probingSince: Date?
    /// Failed requests in a row, for operators; the breaker decides by the window's rate.
    public var consecutiveFailures: Int
    /// Set by a 429: nothing is sent to the target before this instant.
    public var pausedUntil: Date?

    public init(
        circuit: Circuit = .closed, window: RequestWindow = RequestWindow(), openings: Int = 0, probeSuccesses: Int = 0,
        probingSince: Date? = nil, consecutiveFailures: Int = 0, pausedUntil: Date? = nil
    ) {
        self.circuit = circuit
        self.window = window
        self.openings = openings
        self.probeSuccesses = probeSuccesses
        self.probingSince = probingSince
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
        case .open(let until) where until <= now:
            circuit = .halfOpen(probeUntil: probeDeadline)
            probingSince = now
        case .halfOpen(let until) where until <= now:
            circuit = .halfOpen(probeUntil: probeDeadline)
        default:
            break
        }
    }

    /// What one request (or, for a connector that does not report its requests, one attempt) says about the target.
    public enum Signal: Hashable, Sendable {
        /// The target handled the request (a success, or a refusal for its own reasons).
        case answered
        /// The target looks unwell: connection failures, timeouts, 5xx, failed authentication.
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

    /// What an HTTP answer says about the target. 401 and 403 count as unwell: retrying a
    /// refused login over and over can lock the account (ATS_APIS.md B1).
    public static func signal(forStatus status: Int, retryAfter: Duration?, now: Date) -> Signal {
        switch status {
        case 429: .rateLimited(until: now.adding(retryAfter ?? .seconds(1)))
        case 401, 403, 408, 500...: .unwell
        default: .answered
        }
    }

    /// Folds one settled attempt's requests into the health: the rule every store applies.
    /// - Parameter startedAt: when the attempt started. One that started before the circuit went
    ///   half-open (or before an open circuit's cool-down ended) is no probe: while the circuit
    ///   probes, only probes count. `nil` counts it whenever it started.
    /// - Returns: how the circuit changed, for the audit log; `nil` when it neither opened nor closed.
    @discardableResult
    public mutating func record(_ tally: RequestTally, startedAt: Date? = nil, now: Date, settings: CircuitBreakerSettings) -> CircuitChange? {
        if let until = tally.rateLimitedUntil {
            pausedUntil = max(pausedUntil ?? until, until)
        }
        consecutiveFailures = tally.answered > 0 ? tally.trailingFailures : consecutiveFailures + tally.failed
        switch circuit {
        case .closed:
            window.add(requests: tally.requests, failures: tally.failed, at: now, window: settings.window)
            let (requests, failures) = window.totals(now: now, window: settings.window)
            guard requests >= settings.minimumRequests, Double(failures) >= settings.failureRate * Double(requests) else { return nil }
            let until = open(now: now, settings: settings)
            return .opened(until: until, reason: "\(failures) of the last \(requests) requests failed")
        case .halfOpen:
            if let startedAt, let probingSince, startedAt < probingSince { return nil }
            return recordProbe(tally, now: now, settings: settings)
        case .open(let until):
            // A notification is claimed without turning the circuit half-open: an attempt that
            // started after the cool-down is a probe all the same.
            guard let startedAt, startedAt >= until else { return nil }
            probingSince = until
            return recordProbe(tally, now: now, settings: settings)
        }
    }

    private mutating func recordProbe(_ tally: RequestTally, now: Date, settings: CircuitBreakerSettings) -> CircuitChange? {
        if tally.failed > 0 {
            let until = open(now: now, settings: settings)
            return .opened(until: until, reason: "a probe request failed (opening \(openings) since the target last recovered)")
        }
        guard tally.answered > 0 || tally.rateLimitedUntil != nil else {
            // No verdict (the probe made no request): let the next probe go.
            circuit = .halfOpen(probeUntil: now)
            return nil
        }
        probeSuccesses += tally.answered
        guard probeSuccesses >= settings.probes else {
            // The target answered: the next probe row may go at once.
            circuit = .halfOpen(probeUntil: now)
            return nil
        }
        circuit = .closed
        openings = 0
        probeSuccesses = 0
        probingSince = nil
        window.removeAll()
        return .closed
    }

    private mutating func open(now: Date, settings: CircuitBreakerSettings) -> Date {
        openings += 1
        probeSuccesses = 0
        probingSince = nil
        window.removeAll()
        let until = now.adding(settings.coolDown(afterOpenings: openings))
        circuit = .open(until: until)
        return until
    }

    /// A short word for tables and metrics labels.
    public func stateName(now: Date) -> String {
        if let pausedUntil, pausedUntil > now { return "paused" }
        return circuitName(now: now)
    }

    /// The circuit alone: `closed`, `open`, `cooling-done` or `half-open`.
    public func circuitName(now: Date) -> String {
        switch circuit {
        case .closed: "closed"
        case .open(let until): until > now ? "open" : "cooling-done"
        case .halfOpen: "half-open"
        }
    }
}

/// A circuit opening or closing: what the store writes to `audit_log`.
public enum CircuitChange: Hashable, Sendable {
    case opened(until: Date, reason: String)
    case closed

    /// Subject `target:NAME` for a target's default connection, `connection:ORG/NAME` for an organisation's own.
    public func auditEntry(lane: DeliveryLane, at now: Date) -> AuditEntry {
        let subject = lane.organisationID == nil ? "target:\(lane.target)" : "connection:\(lane)"
        return switch self {
        case let .opened(until, reason):
            AuditEntry(
                organisationID: lane.organisationID, occurredAt: now, actor: "dispatcher", action: .circuitOpened, subject: subject,
                details: ["until": until.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)), "reason": reason]
            )
        case .closed:
            AuditEntry(
                organisationID: lane.organisationID, occurredAt: now, actor: "dispatcher", action: .circuitClosed, subject: subject,
                details: ["reason": "probe requests answered: the target recovered"]
            )
        }
    }
}
