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

    /// The answers to the next `listJobs` calls, in order.
    public func scriptPages(_ pages: Result<RemoteJobPage, ConnectorError>...) {
        state.withLock { $0.pages += pages }
    }

    // MARK: - Recorded calls

    public var submittedRequests: [SubmissionRequest] { state.withLock { $0.submitted } }
    public var lookedUpMarkers: [JobMarker] { state.withLock { $0.lookups } }
    public var requestedPages: [RemotePageToken?] { state.withLock { $0.pageRequests } }

    // MARK: - Connector

    public func submit(_ request: SubmissionRequest) async throws(ConnectorError) -> SubmissionReceipt {
        guard capabilities.supports(request.operation) else {
            throw .unsupported("\(request.operation.rawValue)", target: target)
        }
        let answer = state.withLock { state -> Result<SubmissionReceipt, ConnectorError>? in
            state.submitted.append(request)
            return state.submitAnswers.isEmpty ? nil : state.submitAnswers.removeFirst()
        }
        guard let answer else { throw .config(setting: "script", reason: "no submit answer scripted") }
        return try answer.get()
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
