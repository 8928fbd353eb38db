import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// An in-process webhook target on 127.0.0.1 (port 0) that behaves as the README's webhook
/// contract says: `POST /jobs` creates, `PUT /jobs/{id}` updates or closes, `GET /jobs?marker=`
/// looks up, `GET /jobs?page_token=` lists (2 per page). It keeps every job and a log of every
/// request for tests to check, and takes scripted faults.
public final class FakeWebhookTarget: Sendable {
    public struct StoredJob: Hashable, Sendable {
        public var id: String
        public var marker: String
        public var open: Bool
        public var version: Int
        public var title: String
    }

    public struct ReceivedRequest: Hashable, Sendable {
        public var method: String
        public var path: String
        public var query: String?
        public var marker: String?
        public var operation: String?
    }

    public enum Fault: Hashable, Sendable {
        /// Answer with this status (and Retry-After, if given) without changing anything.
        case status(Int, retryAfter: String? = nil)
        /// Create or update the job, then answer 200 with a body that is not JSON.
        case garbageAfterCommit
        /// Answer with this 3xx status and `Location` without changing anything.
        case redirect(Int, location: String)
    }

    private struct State {
        var jobs: [StoredJob] = []
        var nextID = 1000
        var requests: [ReceivedRequest] = []
        var faults: [Fault] = []
        /// Each waits for this many requests in all.
        var requestWaiters = WaitList<Int>()
    }

    private let state = Mutex(State())
    private let answers = AnswerHold()
    private let requiredToken: String?
    public let port: Int

    private init(port: Int, requiredToken: String?) {
        self.port = port
        self.requiredToken = requiredToken
    }

    public var url: String { "http://127.0.0.1:\(port)/jobs" }
    public var jobs: [StoredJob] { state.withLock { $0.jobs } }
    public var requests: [ReceivedRequest] { state.withLock { $0.requests } }

    /// The answers to the next requests, in order, before normal behaviour resumes.
    public func script(_ faults: Fault...) {
        state.withLock { $0.faults += faults }
    }

    /// While on, a create or update is stored and then its answer is held until ``releaseHeld()``:
    /// the client cannot tell whether it landed.
    public func holdAfterCommit(_ hold: Bool) {
        answers.set(hold)
    }

    public func releaseHeld() {
        answers.releaseAll()
    }

    /// Returns once the target has received at least `count` requests in all.
    public func waitForRequests(_ count: Int) async {
        let id = state.withLock { $0.requestWaiters.makeID() }
        await cancellableWait { continuation in
            state.withLock { $0.requests.count >= count || !$0.requestWaiters.add(id, count, continuation) }
        } cancel: {
            self.state.withLock { $0.requestWaiters.cancel(id) }
        }
    }

    /// Starts a target, runs `body` with it, and stops it.
    public static func withRunning<Result: Sendable>(
        token: String? = nil,
        _ body: @Sendable (FakeWebhookTarget) async throws -> Result
    ) async throws -> Result {
        let router = Router()
        let box = LateBound<FakeWebhookTarget>()
        router.on("/jobs", method: .post) { request, _ in try await box.current.handle(request, id: nil) }
        router.on("/jobs", method: .get) { request, _ in try await box.current.handle(request, id: nil) }
        router.on("/jobs/:id", method: .put) { request, context in try await box.current.handle(request, id: context.parameters.get("id")) }
        return try await LoopbackServer.withRunning(router, label: "fake-webhook") { port in
            let target = FakeWebhookTarget(port: port, requiredToken: token)
            box.set(target)
            defer { target.releaseHeld() }
            return try await body(target)
        }
    }

    // MARK: - Handling

    private func handle(_ request: Request, id: String?) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        let document = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
        let queryMarker = request.uri.queryParameters.get("marker")
        let received = ReceivedRequest(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
            marker: (document?["marker"] as? String) ?? queryMarker, operation: document?["operation"] as? String
        )
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.requests.append(received)
            let received = state.requests.count
            return state.requestWaiters.removeAll { $0 <= received }
        }
        for waiter in waiters { waiter.resume() }

        if let requiredToken, request.headers[.authorization] != "Bearer \(requiredToken)" {
            return Self.json(["error": "unknown or missing token"], status: .unauthorized)
        }
        let fault = state.withLock { $0.faults.isEmpty ? nil : $0.faults.removeFirst() }
        if case let .status(code, retryAfter)? = fault {
            var response = Self.json(["error": "scripted failure \(code)"], status: .init(code: code))
            if let retryAfter { response.headers[.retryAfter] = retryAfter }
            return response
        }
        if case let .redirect(code, location)? = fault {
            var response = Response(status: .init(code: code))
            response.headers[.location] = location
            return response
        }

        let answer: Response
        switch (request.method, id) {
        case (.get, _):
            return list(marker: queryMarker, pageToken: request.uri.queryParameters.get("page_token"))
        case (.post, nil):
            guard let document, let marker = document["marker"] as? String, let job = document["job"] as? [String: Any],
                  let title = job["title"] as? String
            else { return Self.json(["error": "marker and job.title are required"], status: .unprocessableContent) }
            let created = state.withLock { state -> StoredJob in
                state.nextID += 1
                let stored = StoredJob(
                    id: "\(state.nextID)", marker: marker, open: (job["status"] as? String) == "open",
                    version: document["version"] as? Int ?? 1, title: title
                )
                state.jobs.append(stored)
                return stored
            }
            answer = Self.json(["id": created.id], status: .created)
        case (.put, let id?):
            guard let document, let job = document["job"] as? [String: Any] else {
                return Self.json(["error": "a job document is required"], status: .unprocessableContent)
            }
            let found = state.withLock { state -> Bool in
                guard let index = state.jobs.firstIndex(where: { $0.id == id }) else { return false }
                state.jobs[index].open = document["operation"] as? String != "close" && (job["status"] as? String) == "open"
                state.jobs[index].version = document["version"] as? Int ?? state.jobs[index].version
                state.jobs[index].title = job["title"] as? String ?? state.jobs[index].title
                return true
            }
            guard found else { return Self.json(["error": "no job \(id)"], status: .notFound) }
            answer = Self.json(["id": id], status: .ok)
        default:
            return Self.json(["error": "no such route"], status: .notFound)
        }

        if fault == .garbageAfterCommit {
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "<html>oops</html>")))
        }
        await answers.waitIfHolding()
        return answer
    }

    private func list(marker: String?, pageToken: String?) -> Response {
        let jobs = state.withLock { $0.jobs }
        if let marker {
            return Self.json(["results": jobs.filter { $0.marker == marker }.map(Self.item)], status: .ok)
        }
        let start = pageToken.flatMap(Int.init) ?? 0
        let page = Array(jobs.dropFirst(start).prefix(2))
        let next: Any = start + 2 < jobs.count ? "\(start + 2)" : NSNull()
        return Self.json(["results": page.map(Self.item), "next_page_token": next], status: .ok)
    }

    private static func item(_ job: StoredJob) -> [String: Any] {
        ["id": job.id, "marker": job.marker, "open": job.open]
    }

    private static func json(_ object: [String: Any], status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        var response = Response(status: status, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        response.headers[.contentType] = "application/json"
        return response
    }
}
