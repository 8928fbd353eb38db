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
        var deliveries: [ScriptedDelivery] = []
        var sentSteps: [String] = []
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

    /// Queues multi-step deliveries: each of the next `submit` calls (before any scripted answer)
    /// plays one, request by request, through the attempt's ``AttemptBudget`` as a real connector's
    /// transport does.
    public func scriptDeliveries(_ deliveries: ScriptedDelivery...) {
        state.withLock { $0.deliveries += deliveries }
    }

    /// The requests of scripted deliveries that were sent, in order (``ScriptedStep/request``).
    public var sentSteps: [String] { state.withLock { $0.sentSteps } }

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
        let delivery = state.withLock { state -> ScriptedDelivery? in
            state.deliveries.isEmpty ? nil : state.deliveries.removeFirst()
        }
        if let delivery { return try await play(delivery, for: request) }
        let answer = state.withLock { state -> Result<SubmissionReceipt, ConnectorError>? in
            state.submitAnswers.isEmpty ? nil : state.submitAnswers.removeFirst()
        }
        guard let answer else { throw .config(setting: "script", reason: "no submit answer scripted") }
        return try answer.get()
    }

    /// Plays the steps a request still needs: all of them, or, when an earlier attempt created the
    /// job (the request carries its id), those after the step that created it.
    private func play(_ delivery: ScriptedDelivery, for request: SubmissionRequest) async throws(ConnectorError) -> SubmissionReceipt {
        var progress = DeliveryProgress(externalID: request.externalID)
        var steps = delivery.steps[...]
        if request.externalID != nil, let created = steps.firstIndex(where: { $0.createsJob != nil }) {
            steps = steps[steps.index(after: created)...]
        }
        for step in steps {
            let budget = AttemptBudget.current
            let started: AttemptBudget.StartedRequest?
            do throws(ConnectorError) {
                started = try await budget?.startRequest(step.request, isWrite: step.isWrite, timeout: delivery.timeout)
            } catch {
                throw error.with(progress: progress)
            }
            state.withLock { $0.sentSteps.append(step.request) }
            delivery.clock.advance(by: step.takes)
            if let failure = step.failure {
                if let budget, let started { budget.finish(started, with: TargetHealth.signal(for: failure, now: delivery.clock.now())) }
                throw failure.with(progress: progress)
            }
            if let budget, let started { budget.finish(started, with: .answered) }
            if let created = step.createsJob { progress.externalID = created }
        }
        return SubmissionReceipt(externalID: progress.externalID ?? "scripted", adoptedExisting: request.externalID != nil)
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

/// A delivery of several requests, for ``ScriptedConnector/scriptDeliveries(_:)``.
public struct ScriptedDelivery: Sendable {
    public var steps: [ScriptedStep]
    /// Each step moves it forward by the step's ``ScriptedStep/takes``, as a request takes time.
    public var clock: ManualClock
    /// The timeout of each request, as the target's configuration gives it.
    public var timeout: Duration

    public init(_ steps: [ScriptedStep], clock: ManualClock, timeout: Duration) {
        self.steps = steps
        self.clock = clock
        self.timeout = timeout
    }
}

/// One request of a ``ScriptedDelivery``.
public struct ScriptedStep: Sendable {
    /// What the request is, e.g. `POST /jobs`; recorded in ``ScriptedConnector/sentSteps`` once sent.
    public var request: String
    public var isWrite: Bool
    /// How long the target takes to answer.
    public var takes: Duration
    /// The error the request fails with; `nil`: it is answered.
    public var failure: ConnectorError?
    /// The remote id of the job this request creates.
    public var createsJob: String?

    public init(_ request: String, isWrite: Bool, takes: Duration, failure: ConnectorError? = nil, createsJob: String? = nil) {
        self.request = request
        self.isWrite = isWrite
        self.takes = takes
        self.failure = failure
        self.createsJob = createsJob
    }
}
