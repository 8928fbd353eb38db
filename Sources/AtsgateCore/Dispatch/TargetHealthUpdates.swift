public import Foundation

/// The health changes of one settlement transaction, combined: each target's state read once,
/// every attempt's requests recorded in order, each target written once, and every opening or
/// closing of a circuit an audit entry. Engines read the current state when asked
/// (``record(_:startedAt:of:at:settings:current:)``) and write ``states`` and ``auditEntries``.
public struct TargetHealthUpdates: Sendable {
    /// Each target's state after every recorded attempt.
    public private(set) var states: [DeliveryLane: TargetHealth] = [:]
    /// One entry per circuit opened or closed, in order.
    public private(set) var auditEntries: [AuditEntry] = []
    /// The latest settlement recorded: the `updated_at` the states are written with; `nil` when nothing was recorded.
    public private(set) var lastChange: Date?

    public init() {}

    /// Records what one attempt's requests said about `lane`'s account.
    /// - Parameter current: reads the lane's stored state; called once per lane.
    public mutating func record(
        _ requests: RequestTally, startedAt: Date, of lane: DeliveryLane, at now: Date, settings: CircuitBreakerSettings,
        current: (DeliveryLane) throws -> TargetHealth
    ) rethrows {
        var state = try states[lane] ?? current(lane)
        if let change = state.record(requests, startedAt: startedAt, now: now, settings: settings) {
            auditEntries.append(change.auditEntry(lane: lane, at: now))
        }
        states[lane] = state
        lastChange = max(lastChange ?? now, now)
    }
}
