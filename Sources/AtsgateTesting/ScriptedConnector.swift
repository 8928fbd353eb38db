public import AtsgateCore
import Synchronization

/// A connector whose answers a test scripts call by call, recording every request it receives.
///
/// It stands in for a real target when a test is about the gateway's behaviour rather than a
/// target's wire format (the fake HTTP servers cover that). Unscripted calls fail with a
/// `config` error naming the call, so a test never passes by accident.
public final class ScriptedConnector: Connector {
    public let target: TargetName
    public let capabilities: ConnectorCapabilities

    private struct State {
        var submitAnswers: [Result<SubmissionReceipt, ConnectorError>] = []
        var lookupAnswers: [JobMarker: [RemoteJob]] = [:]
        var pages: [Result<RemoteJobPage, ConnectorError>] = []
        var submitted: [SubmissionRequest] = []
        var lookups: [JobMarker] = []
        var pageRequests: [RemotePageToken?] = []
        var refreshes = 0
        var notifications: [NotificationRequest] = []
        var holding = false
        /// Submits numbered below this were released, whether or not they had started waiting yet.
        var releasedThrough = 0
        var held: [CheckedContinuation<Void, Never>] = []
        /// Each waits for this many submits in all.
        var submitWaiters = WaitList<Int>()
        var comparable: (@Sendable (JobSnapshot) -> ComparableFields)?
    }

    private let state = Mutex(State())

    public init(target: TargetName, capabilities: ConnectorCapabilities) {
        self.target = target
        self.capabilities = capabilities
    }

    // MARK: - Scripting

    /// Queues the answers to the next `submit` calls, in order.
    public func scriptSubmits(_ answers: Result<SubmissionReceipt, ConnectorError>...) {
        state.withLock { $0.submitAnswers += answers }
    }

    /// What `findJobs(carrying:)` returns for `marker`.
    public func scriptLookup(_ marker: JobMarker, returns jobs: [RemoteJob]) {
        state.withLock { $0.lookupAnswers[marker] = jobs }
    }

    /// What ``comparableFields(of:)`` answers; unscripted, it answers no fields (no drift check).
    public func scriptComparableFields(_ fields: @escaping @Sendable (JobSnapshot) -> ComparableFields) {
        state.withLock { $0.comparable = fields }
    }

    public func comparableFields(of snapshot: JobSnapshot) throws(ConnectorError) -> ComparableFields {
        state.withLock { $0.comparable }?(snapshot) ?? ComparableFields()
    }

    /// The answers to the next `listJobs` calls, in order.
    public func scriptPages(_ pages: Result<RemoteJobPage, ConnectorError>...) {
        state.withLock { $0.pages += pages }
    }

    /// While on, each `submit` waits (after recording its request) until ``releaseHeld()`` or cancellation.
    public func holdSubmits(_ hold: Bool) {
        state.withLock { $0.holding = hold }
    }

    /// Releases every submit recorded so far, including one that has not started waiting yet:
    /// a test woken by ``waitForSubmits(_:)`` may release before the submit begins to wait.
    public func releaseHeld() {
        let held = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.releasedThrough = state.submitted.count
            defer { state.held.removeAll() }
            return state.held
        }
        for continuation in held { continuation.resume() }
    }

    /// Returns once `submit` has been called at least `count` times in all.
    public func waitForSubmits(_ count: Int) async {
        let id = state.withLock { $0.submitWaiters.makeID() }
        await cancellableWait { continuation in
            state.withLock { $0.submitted.count >= count || !$0.submitWaiters.add(id, count, continuation) }
        } cancel: {
            self.state.withLock { $0.submitWaiters.cancel(id) }
        }
    }

    // MARK: - Recorded calls

    public var credentialRefreshes: Int { state.withLock { $0.refreshes } }
    public var notificationRequests: [NotificationRequest] { state.withLock { $0.notifications } }

    public var submittedRequests: [SubmissionRequest] { state.withLock { $0.submitted } }
    public var lookedUpMarkers: [JobMarker] { state.withLock { $0.lookups } }
    public var requestedPages: [RemotePageToken?] { state.withLock { $0.pageRequests } }

    // MARK: - Connector

    public func submit(_ request: SubmissionRequest) async throws(ConnectorError) -> SubmissionReceipt {
        guard capabilities.supports(request.operation) else {
            throw .unsupported("\(request.operation.rawValue)", target: target)
        }
        let (waiters, holding, number) = state.withLock { state -> ([CheckedContinuation<Void, Never>], Bool, Int) in
            state.submitted.append(request)
            let submitted = state.submitted.count
            let ready = state.submitWaiters.removeAll { $0 <= submitted }
            return (ready, state.holding, submitted - 1)
        }
        for waiter in waiters { waiter.resume() }
        if holding {
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let released = state.withLock { state -> Bool in
                        if number < state.releasedThrough || Task.isCancelled { return true }
                        state.held.append(continuation)
                        return false
                    }
                    if released { continuation.resume() }
                }
            } onCancel: {
                releaseHeld()
            }
            if Task.isCancelled {
                throw .transient("cancelled while the target held the request", mayHaveReachedTarget: true)
            }
        }
        let answer = state.withLock { state -> Result<SubmissionReceipt, ConnectorError>? in
            state.submitAnswers.isEmpty ? nil : state.submitAnswers.removeFirst()
        }
        guard let answer else { throw .config(setting: "script", reason: "no submit answer scripted") }
        return try answer.get()
    }

    /// Accepts every notification (a mailbox that is up), answering with a message id.
    public func notify(_ request: NotificationRequest) async throws(ConnectorError) -> SubmissionReceipt {
        guard capabilities.contains(.notifications) else { throw .unsupported("notifications", target: target) }
        state.withLock { $0.notifications.append(request) }
        return SubmissionReceipt(externalID: "<notification-\(request.notificationID)@atsgate.test>")
    }

    public func refreshCredentials() async throws(ConnectorError) {
        state.withLock { $0.refreshes += 1 }
    }

    public func findJobs(carrying marker: JobMarker) async throws(ConnectorError) -> [RemoteJob] {
        guard capabilities.contains(.lookupByMarker) else { throw .unsupported("lookup by marker", target: target) }
        return state.withLock { state in
            state.lookups.append(marker)
            return state.lookupAnswers[marker] ?? []
        }
    }

    public func listJobs(page: RemotePageToken?) async throws(ConnectorError) -> RemoteJobPage {
        guard capabilities.contains(.remoteListing) else { throw .unsupported("remote listing", target: target) }
        let answer = state.withLock { state -> Result<RemoteJobPage, ConnectorError>? in
            state.pageRequests.append(page)
            return state.pages.isEmpty ? nil : state.pages.removeFirst()
        }
        guard let answer else { throw .config(setting: "script", reason: "no page scripted") }
        return try answer.get()
    }
}
