public import Foundation

/// Time as the dispatcher sees it: the wall-clock instant it stores, and sleeping.
///
/// Injected so tests move time by hand instead of sleeping and hoping.
public protocol GatewayClock: Sendable {
    func now() -> Date
    /// Suspends for `duration`; throws `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
    /// Suspends until `now()` reaches `deadline` (at once if it already has); throws
    /// `CancellationError` when the task is cancelled. A loop that computed its deadline from an
    /// earlier `now()` sleeps until that deadline, not for a duration counted from a later one.
    func sleep(until deadline: Date) async throws
}

extension GatewayClock {
    public func sleep(until deadline: Date) async throws {
        try await sleep(for: Duration(timeInterval: max(0, deadline.timeIntervalSince(now()))))
    }
}

/// The real clock.
public struct SystemClock: GatewayClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(for duration: Duration) async throws {
        try await ContinuousClock().sleep(for: duration)
    }
}

extension Date {
    public func adding(_ duration: Duration) -> Date {
        addingTimeInterval(duration.timeInterval)
    }
}

extension Duration {
    public var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    public init(timeInterval: TimeInterval) {
        self = .milliseconds(Int64((timeInterval * 1_000).rounded()))
    }
}
