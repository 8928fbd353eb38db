public import Foundation
import Synchronization

/// The limits one delivery attempt works within, asked before each of its requests: the
/// attempt's deadline, which falls before its lease lapses, and the target's send rate.
///
/// The dispatcher sets it as a task-local for the connector's call (``current``); every transport
/// a connector sends through (HTTP, SMTP) calls ``startRequest(_:isWrite:timeout:)`` before a
/// request and ``finish(_:with:)`` after it. A request whose whole timeout does not fit before the
/// deadline is not started — after the deadline the row may be another attempt's, and a write
/// sent then could make a second remote record. The attempt then ends `transient`, and says it
/// may have reached the target only if one of its writes already went out.
///
/// It also counts what the requests said about the target (``tally``), for the circuit breaker.
public final class AttemptBudget: Sendable {
    /// The budget of the attempt the current task works for; `nil` outside the dispatcher.
    @TaskLocal public static var current: AttemptBudget?

    /// No request starts that could still be running at this instant.
    public let deadline: Date
    private let clock: any GatewayClock
    private let gate: TargetGate?
    private let state = Mutex(State())

    private struct State {
        var tally = RequestTally()
        var writesStarted = 0
        /// A request asked for a start, whether or not it got one.
        var consulted = false
        /// A request was refused a start: the attempt's time is up.
        var refusedStart = false
    }

    init(deadline: Date, clock: any GatewayClock, gate: TargetGate?) {
        self.deadline = deadline
        self.clock = clock
        self.gate = gate
    }

    /// A budget with no send rate, for tests of code that sends requests.
    public convenience init(deadline: Date, clock: any GatewayClock) {
        self.init(deadline: deadline, clock: clock, gate: nil)
    }

    /// A request that was allowed to start.
    public struct StartedRequest: Sendable {
        public let startedAt: Date
        public let isWrite: Bool
    }

    /// Waits for the target's token, then lets the request start if its whole `timeout` fits
    /// before the deadline.
    /// - Parameter request: what the request is, for the error (`POST /jobs`); never a payload.
    /// - Throws: a `transient` error when the request cannot finish before the deadline, or the
    ///   worker shuts down while it waits.
    public func startRequest(_ request: String, isWrite: Bool, timeout: Duration) async throws(ConnectorError) -> StartedRequest {
        state.withLock { $0.consulted = true }
        let latestStart = deadline.adding(.zero - timeout)
        if let gate {
            let started: Bool
            do {
                started = try await gate.acquire(latestStart: latestStart)
            } catch {
                throw .transient("the worker shut down before \(request) was sent", mayHaveReachedTarget: anyWriteStarted)
            }
            guard started else {
                throw stopped(before: request, reason: "the target's send rate leaves no room for it before the attempt's deadline")
            }
        }
        let now = clock.now()
        guard now <= latestStart else {
            let left = max(0, deadline.timeIntervalSince(now))
            throw stopped(before: request, reason: "\(DurationText.format(Duration(timeInterval: left))) left before the attempt's deadline, and a request may take \(DurationText.format(timeout))")
        }
        if isWrite { state.withLock { $0.writesStarted += 1 } }
        return StartedRequest(startedAt: now, isWrite: isWrite)
    }

    /// Records what the target answered (or how the request failed).
    public func finish(_ request: StartedRequest, with signal: TargetHealth.Signal) {
        state.withLock { $0.tally.record(signal) }
        gate?.observe(signal, startedAt: request.startedAt)
    }

    /// Records an HTTP answer.
    public func finish(_ request: StartedRequest, status: Int, retryAfter: Duration?) {
        finish(request, with: TargetHealth.signal(forStatus: status, retryAfter: retryAfter, now: clock.now()))
    }

    /// Records a request that failed with `error` (a transport failure, or the target's refusal),
    /// or that ended because the worker is shutting down (which says nothing about the target).
    public func finish(_ request: StartedRequest, failure error: ConnectorError) {
        finish(request, with: Task.isCancelled ? .none : TargetHealth.signal(for: error, now: clock.now()))
    }

    /// What the attempt's requests said about the target; `nil` when the connector never asked
    /// this budget (it does not report its requests).
    public var tally: RequestTally? {
        state.withLock { $0.consulted ? $0.tally : nil }
    }

    /// Whether a request was refused a start because the deadline left no room for it: then
    /// nothing more is tried within this attempt.
    public var isSpent: Bool { state.withLock { $0.refusedStart } }

    private var anyWriteStarted: Bool { state.withLock { $0.writesStarted > 0 } }

    private func stopped(before request: String, reason: String) -> ConnectorError {
        state.withLock { $0.refusedStart = true }
        return .transient("stopped before \(request): \(reason)", mayHaveReachedTarget: anyWriteStarted)
    }
}
