public import Foundation

/// One ATS account's breaker and pause.
public struct HealthReport: Encodable, Sendable {
    public var circuit: String
    public var circuitUntil: Date?
    /// Failed requests in a row.
    public var consecutiveFailures: Int
    /// Requests in the breaker's window, and how many failed: what it judges the account by.
    public var requestsInWindow: Int
    public var failedRequestsInWindow: Int
    /// Times the circuit opened since the account last recovered (each doubles the cool-down).
    public var openings: Int
    public var pausedUntil: Date?

    public init(_ state: TargetHealth, window: Duration, now: Date) {
        let (requests, failures) = state.window.totals(now: now, window: window)
        circuit = state.stateName(now: now)
        circuitUntil = switch state.circuit {
        case .closed: nil
        case .open(let until), .halfOpen(let until): until
        }
        consecutiveFailures = state.consecutiveFailures
        requestsInWindow = requests
        failedRequestsInWindow = failures
        openings = state.openings
        pausedUntil = state.pausedUntil
    }
}
