public import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// An in-process Loxo-style ATS on 127.0.0.1 (port 0), written from `ATS_APIS.md` part A — not
/// from our client — including its traps:
///
/// - `Authorization: Bearer <key>` and the agency slug in the path: a wrong key is 401, a wrong slug 404;
/// - write bodies wrapped in the resource key, as JSON (`{"job": {…}}`) or form-encoded (`job[title]=…`);
/// - `POST /jobs` without `title` or a company answers **200 with `"id": null`** and stores nothing;
///   a `job_status_id` that is not one of ``statuses`` is a 422 `{"errors": [...]}` (on `PUT` too);
/// - `GET /jobs` pages with top-level `current_page/total_pages/per_page/total_count/results`, and
///   paging past the first 10,000 results is a **400**; `job_status_id` and `query` combine;
/// - companies and people page by `scroll_id`; `per_page` on companies is a **422**;
/// - `query` returns a superset on purpose, as the real ranked full-text search may: `field:"value"`
///   matches fields that *contain* the value, ignoring case, so clients must compare results exactly;
/// - `GET /jobs/{id}`, `/companies/{id}` and `/people/{id}` answer the record at the top level;
/// - `GET /jobs/{id}/contacts` lists the job's hiring contacts as a top-level array;
/// - `GET /job_statuses` is a reference endpoint: the whole list as a top-level array of `{id, name}`,
///   and a cursor parameter (`page`, `per_page`, `scroll_id`, `after_id`) is a 422;
/// - money comes back as strings, `status`/`job_type`/`company` as `{id, name}` objects.
///
/// Faults are scriptable per test; latency applies to every answer, every other fault comes after
/// the slug and key checks:
/// ``script(_:)`` queues one ``Fault`` per coming request (a status such as a 429, "commit, then
/// hang", "commit, then drop the connection"); ``setErrorRate(_:status:seed:on:)`` fails a seeded
/// random fraction of requests; ``setLatency(_:)`` delays every answer; ``holdAfterCommit(_:)``
/// holds every write's answer until ``releaseHeld()``.
public final class FakeLoxo: Sendable {
    public struct Job: Sendable {
        public var id: Int
        public var fields: [String: String]
        /// Ids of the people linked to the job as hiring contacts.
        public var contacts: [Int] = []
        public var createdAt: Date
    }

    public struct Record: Sendable {
        public var id: Int
        public var fields: [String: String]
    }

    public struct ReceivedRequest: Hashable, Sendable {
        public var method: String
        public var path: String
        public var query: String?
        /// The body as text, when the request had one (writes do).
        public var body: String?
    }

    private struct State {
        var tenant = FakeLoxoTenant()
        var requests: [ReceivedRequest] = []
        var faults = FakeLoxoFaultPlan()
        var latency: Duration = .zero
    }

    public static let maximumResults = 10_000
    /// Job statuses of this fake tenant, as `GET /job_statuses` lists them.
    public static let statuses = [1: "Active", 2: "Closed", 3: "Filled"]
    public static let jobTypes = [1: "Permanent", 2: "Part Time", 3: "Contract", 4: "Temporary", 5: "Internship"]

    private let state = Mutex(State())
    private let answers = AnswerHold()
    public let agencySlug: String
    public let apiKey: String
    public let port: Int

    private init(port: Int, agencySlug: String, apiKey: String) {
        self.port = port
        self.agencySlug = agencySlug
        self.apiKey = apiKey
    }

    /// `http://127.0.0.1:PORT`: the `base_url` of a `kind: loxo` target.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var jobs: [Job] { state.withLock { $0.tenant.jobs } }
    public var companies: [Record] { state.withLock { $0.tenant.companies } }
    public var people: [Record] { state.withLock { $0.tenant.people } }
    /// Every request received, in order, including those answered with a fault.
    public var requests: [ReceivedRequest] { state.withLock { $0.requests } }

    // MARK: - Faults

    /// Queues faults for the coming requests; see ``Fault`` for which request takes which.
    public func script(_ faults: Fault...) {
        state.withLock { $0.faults.scripted += faults }
    }

    /// Waits this long before every answer (including 401s and faults), from the next request on.
    /// The default is no delay.
    public func setLatency(_ latency: Duration) {
        state.withLock { $0.latency = latency }
    }

    /// Answers a fraction of requests with `status` instead of handling them, so a failed write
    /// stores nothing. Which requests fail is drawn from a generator seeded with `seed`, one draw
    /// per request in `scope`, so the same requests in the same order fail the same way every run.
    /// Scripted faults come first and take no draw. A `rate` of 0 turns it off.
    ///
    /// ```swift
    /// fake.setErrorRate(0.3, status: 503, seed: 42)                  // reads and writes
    /// fake.setErrorRate(1, status: 502, seed: 1, on: .writesOnly)    // every POST and PUT
    /// ```
    public func setErrorRate(_ rate: Double, status: Int = 503, seed: UInt64, on scope: FaultScope = .everyRequest) {
        precondition((0...1).contains(rate), "an error rate is a fraction between 0 and 1")
        let errorRate = FakeLoxoFaultPlan.ErrorRate(rate: rate, status: status, scope: scope, generator: .init(seed: seed))
        state.withLock { $0.faults.errorRate = rate > 0 ? errorRate : nil }
    }

    /// Fails writes by a ``FaultMix`` (after scripted faults, before an error rate); `nil` turns it off.
    public func setFaultMix(_ mix: FaultMix?, seed: UInt64) {
        state.withLock { $0.faults.mix = mix.map { ($0, SeededGenerator(seed: seed), 0) } }
    }

    /// While on, writes are stored and their answer held until ``releaseHeld()``.
    public func holdAfterCommit(_ hold: Bool) {
        answers.set(hold)
    }

    /// Answers every held write now: those held by ``holdAfterCommit(_:)`` and by ``Fault/commitThenHang``.
    public func releaseHeld() {
        answers.releaseAll()
    }

    /// Adds `count` jobs directly, for paging tests.
    public func seedJobs(_ count: Int, status: Int = 1) {
        state.withLock { $0.tenant.seedJobs(count, status: status) }
    }

    // MARK: - Changes made at Loxo by someone else (for reconciliation)

    /// Adds one job as a Loxo user would; returns its id.
    @discardableResult
    public func addJob(_ fields: [String: String]) -> Int {
        state.withLock { state in
            let id = state.tenant.nextID()
            state.tenant.jobs.append(Job(id: id, fields: fields.merging(["job_status_id": "1"]) { given, _ in given }, createdAt: Date()))
            return id
        }
    }

    /// Changes a job's stored fields (`job_status_id`, `title`, …); `false` if there is no such job.
    @discardableResult
    public func editJob(_ id: Int, _ fields: [String: String]) -> Bool {
        state.withLock { state in
            guard let index = state.tenant.jobs.firstIndex(where: { $0.id == id }) else { return false }
            state.tenant.jobs[index].fields.merge(fields) { _, new in new }
            return true
        }
    }

    /// Removes a job, as a merge or a delete at Loxo would.
    public func removeJob(_ id: Int) {
        state.withLock { $0.tenant.jobs.removeAll { $0.id == id } }
    }

    // MARK: - Running

    public static func withRunning<Result: Sendable>(
        agencySlug: String = "acme-talent",
        apiKey: String = "loxo-test-key",
        _ body: @Sendable (FakeLoxo) async throws -> Result
    ) async throws -> Result {
        let routes: [(path: String, method: HTTPRequest.Method, route: FakeLoxoTenant.Route)] = [
            ("jobs", .get, .listJobs), ("jobs", .post, .createJob),
            ("jobs/:id", .get, .showJob), ("jobs/:id", .put, .updateJob),
            ("jobs/:id/contacts", .get, .listJobContacts), ("jobs/:id/contacts", .post, .addJobContact),
            ("job_statuses", .get, .listJobStatuses),
            ("companies", .get, .listCompanies), ("companies", .post, .createCompany), ("companies/:id", .get, .showCompany),
            ("people", .get, .listPeople), ("people", .post, .createPerson), ("people/:id", .get, .showPerson),
        ]
        let router = Router(context: FakeLoxoRequestContext.self)
        let box = LateBound<FakeLoxo>()
        for (path, method, route) in routes {
            router.on(RouterPath("/api/:slug/\(path)"), method: method) { request, context in
                try await box.current.handle(request, context, route: route)
            }
        }
        return try await LoopbackServer.withRunning(router, label: "fake-loxo") { port in
            let fake = FakeLoxo(port: port, agencySlug: agencySlug, apiKey: apiKey)
            box.set(fake)
            defer { fake.answers.close() }
            return try await body(fake)
        }
    }

    // MARK: - Handling

    private func handle(_ request: Request, _ context: FakeLoxoRequestContext, route: FakeLoxoTenant.Route) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        let received = ReceivedRequest(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
            body: body.readableBytes > 0 ? String(buffer: body) : nil
        )
        let latency = state.withLock { state in
            state.requests.append(received)
            return state.latency
        }
        if latency > .zero { try await Task.sleep(for: latency) }

        guard context.parameters.get("slug") == agencySlug else { return Self.json(["error": "Agency not found"], .notFound) }
        guard request.headers[.authorization] == "Bearer \(apiKey)" else { return Self.json(["error": "Unauthorized"], .unauthorized) }

        let isWrite = request.method == .post || request.method == .put
        let call = FakeLoxoTenant.Call(
            route: route, id: context.parameters.get("id").flatMap { Int($0) }, query: Self.queryParameters(request.uri.query),
            body: body, contentType: request.headers[.contentType] ?? ""
        )
        // `after` is nil for an injected fault, which is answered at once.
        let (response, after) = state.withLock { state -> (Response, FakeLoxoFaultPlan.AfterHandling?) in
            switch state.faults.decide(isWrite: isWrite) {
            case let .answer(status, retryAfter): (Self.injected(status, retryAfter: retryAfter), nil)
            case let .handle(then: after): (state.tenant.answer(call), after)
            }
        }
        guard isWrite, let after else { return response }
        switch after {
        case .answer:
            await answers.waitIfHolding()
        case .hang:
            await answers.waitForRelease()
        case .dropConnection:
            // With the channel closed, Hummingbird's write of this answer fails and it ends the connection quietly.
            try? await context.channel.close()
        }
        return response
    }

    private static func injected(_ status: Int, retryAfter: String?) -> Response {
        var response = json(["error": "injected \(status)"], .init(code: status))
        if let retryAfter { response.headers[.retryAfter] = retryAfter }
        return response
    }
}
