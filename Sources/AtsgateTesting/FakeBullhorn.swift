public import AtsgateCore
import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// An in-process Bullhorn REST API on 127.0.0.1 (port 0), written from `ATS_APIS.md` part B and
/// the "Bullhorn fake server should" list of part D — not from any client — including its traps:
///
/// - **Four-step auth** (B1): `loginInfo` (optionally a 307 to another data center first), then
///   `oauth/authorize` (302 with a percent-encoded `code`, or an HTML page with 200 on bad
///   credentials), `oauth/token` (codes single-use and short-lived; refresh tokens **rotate and are
///   single-use**; `expires_in: 600`), `login` (`BhRestToken` and an authoritative `restUrl` ending
///   in `{corpToken}/`). Sessions expire; see ``authCounts`` for how many logins and refreshes happened.
/// - **Sessions** (B1): `BhRestToken` as a query parameter, a header or a cookie; none at all is a
///   **412**, an unknown or expired one a **401** `errors.authentication.invalidRestToken`.
/// - **Entities** JobOrder, ClientCorporation and ClientContact (B2–B4): GET needs `fields` and
///   answers `{"data": …}`, several ids answer the ones that exist; PUT creates and answers
///   `changedEntityId` with the submitted fields echoed, not the record; POST updates; DELETE is a
///   soft delete, and **ClientCorporation cannot be deleted** (nor has `isDeleted`). Unknown fields
///   (ClientContact has no `title`), read-only fields, non-epoch-ms dates, text over its length
///   (`externalID` is 30 characters on companies and contacts) and missing mandatory fields are a
///   400 naming each property in `errors[]` (B7). Creating a ClientCorporation **also creates an
///   archived placeholder ClientContact** (B3). `name` of a contact is never computed (B3).
/// - **search** (Lucene, see `FakeBullhornLucene`: looser than an exact filter, soft-deleted
///   records included, booleans as 0/1) and **query** (JPQL, see `FakeBullhornWhere`) with
///   `total/start/count/data` (`total` on query only with `showTotalMatched=true`), `count` 20 by
///   default and capped at 500 (B5); search without `fields` answers ids only, query without `fields` is a 400.
/// - `ping`, `logout`, and `meta/{Entity}` whose `required` flags appear only with `meta=full` (B3).
/// - **Event subscriptions** (B9, see `FakeBullhornSubscriptions`): polls consume events,
///   `requestId` fetches a batch again, an empty poll is an empty body.
///
/// Error bodies follow B7's shape; where ATS_APIS.md gives no `errorMessageKey`, the fake makes
/// one up (`errors.entityNotFound`, `errors.invalidField`…), so clients should branch on the status
/// and the documented keys only.
///
/// Faults are scriptable per test; latency applies to every answer, the other faults come after
/// the session check: ``script(_:on:)`` queues one ``Fault`` per coming request of a
/// ``FaultTarget`` (a status such as a 429 **without Retry-After**, "persist, then fail", "commit,
/// then hang", "commit, then drop the connection"); ``setErrorRate(_:status:seed:on:)`` fails a
/// seeded random fraction of data calls; ``setLatency(_:)`` delays every answer;
/// ``holdAfterCommit(_:)`` holds every write's answer until ``releaseHeld()``.
///
/// ## Topics
/// - ``withRunning(configuration:clock:_:)``
/// - ``Configuration``
/// - ``Record``, ``Value``, ``Entity``
/// - ``ReceivedRequest``, ``AuthCounts``
public final class FakeBullhorn: Sendable {
    public enum Entity: String, CaseIterable, Hashable, Sendable {
        case jobOrder = "JobOrder"
        case clientCorporation = "ClientCorporation"
        case clientContact = "ClientContact"
    }

    /// One stored record: its fields as the API renders them (timestamps in epoch milliseconds,
    /// to-one associations as `{"id": N}`), without `id`.
    public struct Record: Hashable, Sendable {
        public let entity: Entity
        public let id: Int
        public var fields: [String: Value]

        public subscript(field: String) -> Value? { fields[field] }
    }

    public struct ReceivedRequest: Hashable, Sendable {
        public var method: String
        public var path: String
        public var query: String?
        /// The body as text, when the request had one.
        public var body: String?
    }

    /// What the authentication steps have done so far.
    public struct AuthCounts: Hashable, Sendable {
        /// `authorize` calls with good credentials, each of which issued a code.
        public var passwordLogins = 0
        /// `authorize` calls with a wrong username or password (B1: these can lock the API user).
        public var failedPasswordLogins = 0
        /// Authorization codes exchanged for tokens.
        public var codeGrants = 0
        /// Refresh tokens exchanged for new tokens.
        public var refreshGrants = 0
        /// Refresh grants refused because the token was unknown or already spent.
        public var rejectedRefreshGrants = 0
        /// Sessions opened by `login`.
        public var restLogins = 0

        public init(
            passwordLogins: Int = 0, failedPasswordLogins: Int = 0, codeGrants: Int = 0,
            refreshGrants: Int = 0, rejectedRefreshGrants: Int = 0, restLogins: Int = 0
        ) {
            self.passwordLogins = passwordLogins
            self.failedPasswordLogins = failedPasswordLogins
            self.codeGrants = codeGrants
            self.refreshGrants = refreshGrants
            self.rejectedRefreshGrants = rejectedRefreshGrants
            self.restLogins = restLogins
        }
    }

    private struct State {
        var auth: FakeBullhornAuth
        var tenant: FakeBullhornTenant
        var requests: [ReceivedRequest] = []
        var faults = FakeBullhornFaultPlan()
        var latency: Duration = .zero
    }

    private enum Route: Sendable {
        case auth(FakeBullhornAuth.Step)
        case rest(RestRoute)

        var isWrite: Bool {
            if case .rest(.tenant(let route)) = self { return route.isWrite }
            return false
        }
    }

    /// Everything under `/rest-services/{corpToken}/`.
    private enum RestRoute: Sendable {
        case ping, logout
        case tenant(FakeBullhornTenant.Route)
    }

    private let state: Mutex<State>
    private let answers = AnswerHold()
    private let clock: any GatewayClock
    public let configuration: Configuration
    public let port: Int

    private init(port: Int, configuration: Configuration, clock: any GatewayClock) {
        self.port = port
        self.configuration = configuration
        self.clock = clock
        state = Mutex(State(auth: FakeBullhornAuth(configuration: configuration), tenant: FakeBullhornTenant(configuration: configuration)))
    }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    /// Where a client starts: `…/rest-services/loginInfo` (the `login_info_url` of a Bullhorn target).
    public var loginInfoURL: String { "\(baseURL)/rest-services/loginInfo" }
    /// The `oauthUrl` that `loginInfo` answers.
    public var oauthURL: String { "\(baseURL)/oauth" }
    /// The `restUrl` that `login` answers, ending in `{corpToken}/`.
    public var restURL: String { "\(baseURL)/rest-services/\(configuration.corpToken)/" }

    public var jobOrders: [Record] { records(.jobOrder) }
    public var clientCorporations: [Record] { records(.clientCorporation) }
    /// Contacts, including the archived placeholder created with each corporation.
    public var clientContacts: [Record] { records(.clientContact) }
    public func records(_ entity: Entity) -> [Record] { state.withLock { $0.tenant.all(entity) } }
    public func record(_ entity: Entity, id: Int) -> Record? { state.withLock { $0.tenant.record(entity, id: id) } }
    /// Every request received, in order, including those answered with a fault.
    public var requests: [ReceivedRequest] { state.withLock { $0.requests } }
    public var authCounts: AuthCounts { state.withLock { $0.auth.counts } }
    /// The refresh tokens handed out and not yet used (each works once).
    public var liveRefreshTokens: Set<String> { state.withLock { $0.auth.liveRefreshTokens } }

    /// Stores a record as if created through the API, without checking it, and returns it. A
    /// ClientCorporation gets its archived placeholder contact, as through the API.
    @discardableResult
    public func insert(_ entity: Entity, _ fields: [String: Value]) -> Record {
        let now = clock.now()
        return state.withLock { $0.tenant.insert(entity, fields, now: now) }
    }

    // MARK: - Sessions

    /// Ends every session now: the next data call with any `BhRestToken` is a 401.
    public func expireSessions() {
        state.withLock { $0.auth.expireSessions() }
    }

    /// Expires every access token now, so a new session needs a refresh (or a password login) first.
    public func expireAccessTokens() {
        state.withLock { $0.auth.expireAccessTokens() }
    }

    // MARK: - Faults

    /// Queues faults for the coming requests of `target`; see ``Fault`` for which request takes which.
    public func script(_ faults: Fault..., on target: FaultTarget = .dataCalls) {
        state.withLock { $0.faults.scripted[target, default: []] += faults }
    }

    /// Waits this long before every answer (including auth steps and faults), from the next
    /// request on. The default is no delay.
    public func setLatency(_ latency: Duration) {
        state.withLock { $0.latency = latency }
    }

    /// Answers a fraction of data calls with `status` instead of handling them, so a failed write
    /// stores nothing. Which calls fail is drawn from a generator seeded with `seed`, one draw per
    /// call in `scope`, so the same calls in the same order fail the same way every run. Scripted
    /// faults come first and take no draw; auth steps never take one. A `rate` of 0 turns it off.
    ///
    /// ```swift
    /// fake.setErrorRate(0.3, status: 503, seed: 42)                  // reads and writes
    /// fake.setErrorRate(1, status: 429, seed: 1, on: .writesOnly)    // every entity write
    /// ```
    public func setErrorRate(_ rate: Double, status: Int = 503, seed: UInt64, on scope: FaultScope = .everyRequest) {
        precondition((0...1).contains(rate), "an error rate is a fraction between 0 and 1")
        let errorRate = FakeBullhornFaultPlan.ErrorRate(rate: rate, status: status, scope: scope, generator: .init(seed: seed))
        state.withLock { $0.faults.errorRate = rate > 0 ? errorRate : nil }
    }

    /// While on, data-call writes (entity PUT, POST, DELETE; subscription changes and polls) are
    /// handled and their answer held until ``releaseHeld()``.
    public func holdAfterCommit(_ hold: Bool) {
        answers.set(hold)
    }

    /// Answers every held write now: those held by ``holdAfterCommit(_:)`` and by ``Fault/commitThenHang``.
    public func releaseHeld() {
        answers.releaseAll()
    }

    // MARK: - Running

    /// Runs the fake for as long as `body` runs. `clock` stamps records and expires codes, tokens
    /// and sessions; pass a ``ManualClock`` to move time by hand.
    public static func withRunning<Result: Sendable>(
        configuration: Configuration = Configuration(),
        clock: any GatewayClock = SystemClock(),
        _ body: @Sendable (FakeBullhorn) async throws -> Result
    ) async throws -> Result {
        let routes: [(path: String, methods: [HTTPRequest.Method], route: Route)] = [
            ("rest-services/loginInfo", [.get], .auth(.loginInfo)),
            ("dc/:dataCenter/rest-services/loginInfo", [.get], .auth(.dataCenterLoginInfo)),
            ("oauth/authorize", [.get, .post], .auth(.authorize)),
            ("oauth/token", [.post], .auth(.token)),
            ("rest-services/login", [.get, .post], .auth(.login)),
            ("rest-services/:corpToken/ping", [.get], .rest(.ping)),
            ("rest-services/:corpToken/logout", [.get, .post], .rest(.logout)),
            ("rest-services/:corpToken/entity/:entity", [.put], .rest(.tenant(.entity(.create)))),
            ("rest-services/:corpToken/entity/:entity/:ids", [.get], .rest(.tenant(.entity(.get)))),
            ("rest-services/:corpToken/entity/:entity/:ids", [.post], .rest(.tenant(.entity(.update)))),
            ("rest-services/:corpToken/entity/:entity/:ids", [.delete], .rest(.tenant(.entity(.delete)))),
            ("rest-services/:corpToken/search/:entity", [.get, .post], .rest(.tenant(.entity(.search)))),
            ("rest-services/:corpToken/query/:entity", [.get, .post], .rest(.tenant(.entity(.query)))),
            ("rest-services/:corpToken/meta/:entity", [.get], .rest(.tenant(.entity(.meta)))),
            ("rest-services/:corpToken/event/subscription/:ids", [.put], .rest(.tenant(.subscription(.subscribe)))),
            ("rest-services/:corpToken/event/subscription/:ids", [.get], .rest(.tenant(.subscription(.poll)))),
            ("rest-services/:corpToken/event/subscription/:ids", [.delete], .rest(.tenant(.subscription(.unsubscribe)))),
            ("rest-services/:corpToken/event/subscription/:ids/lastRequestId", [.get], .rest(.tenant(.subscription(.lastRequestID)))),
        ]
        let router = Router(context: FakeBullhornRequestContext.self)
        let box = LateBound<FakeBullhorn>()
        for (path, methods, route) in routes {
            for method in methods {
                router.on(RouterPath(path), method: method) { request, context in
                    try await box.current.handle(request, context, route: route)
                }
            }
        }
        return try await LoopbackServer.withRunning(router, label: "fake-bullhorn") { port in
            let fake = FakeBullhorn(port: port, configuration: configuration, clock: clock)
            box.set(fake)
            defer { fake.answers.close() }
            return try await body(fake)
        }
    }

    // MARK: - Handling

    private func handle(_ request: Request, _ context: FakeBullhornRequestContext, route: Route) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 22)
        let body = Data(buffer.readableBytesView)
        let received = ReceivedRequest(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
            body: body.isEmpty ? nil : String(decoding: body, as: UTF8.self)
        )
        let latency = state.withLock { state in
            state.requests.append(received)
            return state.latency
        }
        if latency > .zero { try await Task.sleep(for: latency) }

        let now = clock.now()
        let (answer, after): (FakeBullhornAnswer, FakeBullhornFaultPlan.AfterHandling?)
        switch route {
        case .auth(let step):
            let isForm = request.headers[.contentType]?.contains("application/x-www-form-urlencoded") ?? false
            let call = FakeBullhornAuth.Call(
                step: step, parameters: Self.parameters(query: request.uri.query, formBody: isForm ? body : nil),
                dataCenter: context.parameters.get("dataCenter"), now: now, baseURL: baseURL
            )
            (answer, after) = answerAuth(call)
        case .rest(let restRoute):
            guard context.parameters.get("corpToken") == configuration.corpToken else {
                return FakeBullhornAnswer.error(404, "Unknown corporation token", key: nil).response
            }
            (answer, after) = answerRest(request, context: context, body: body, route: restRoute, now: now)
        }
        guard let after else { return answer.response }
        switch after {
        case .answer:
            if route.isWrite { await answers.waitIfHolding() }
        case .fail(let status) where answer.isSuccess:
            if case .auth = route { return FakeBullhornAnswer.injected(status).response }
            return FakeBullhornAnswer.persistedThenFailed(status, entityName: context.parameters.get("entity")).response
        case .fail:
            break
        case .hang:
            await answers.waitForRelease()
        case .dropConnection:
            // With the channel closed, Hummingbird's write of this answer fails and it ends the connection quietly.
            try? await context.channel.close()
        }
        return answer.response
    }

    private func answerAuth(_ call: FakeBullhornAuth.Call) -> (FakeBullhornAnswer, FakeBullhornFaultPlan.AfterHandling?) {
        state.withLock { state in
            guard let target = call.step.faultTarget else { return (state.auth.answer(call), nil) }
            switch state.faults.decide(target, isWrite: true) {
            case .answer(let status): return (.injected(status), nil)
            case .handle(let after): return (state.auth.answer(call), after)
            }
        }
    }

    private func answerRest(
        _ request: Request, context: FakeBullhornRequestContext, body: Data, route: RestRoute, now: Date
    ) -> (FakeBullhornAnswer, FakeBullhornFaultPlan.AfterHandling?) {
        let token = Self.restToken(request)
        var parameters = Self.parameters(query: request.uri.query, formBody: nil)
        if case .tenant(.entity(let entityRoute)) = route, entityRoute == .search || entityRoute == .query, request.method == .post {
            parameters.merge(Self.scalars(ofJSON: body)) { _, body in body }
        }
        return state.withLock { state in
            let expires: Date
            switch state.auth.session(token, now: now) {
            case .missing: return (.missingRestToken, nil)
            case .invalid: return (.invalidRestToken, nil)
            case .valid(let date): expires = date
            }
            let after: FakeBullhornFaultPlan.AfterHandling
            switch state.faults.decide(.dataCalls, isWrite: Route.rest(route).isWrite) {
            case .answer(let status): return (.injected(status), nil)
            case .handle(let then): after = then
            }
            switch route {
            case .ping:
                return (.json(["sessionExpires": .int(Self.epochMilliseconds(expires))]), after)
            case .logout:
                state.auth.endSession(token)
                return (.json(["logout": "OK"]), after)
            case .tenant(let tenantRoute):
                let call = FakeBullhornTenant.Call(
                    route: tenantRoute, entityName: context.parameters.get("entity") ?? "",
                    ids: context.parameters.get("ids"), parameters: parameters, body: body, now: now
                )
                return (state.tenant.answer(call), after)
            }
        }
    }

    /// The session token from the query, the `BhRestToken` header (any case) or a cookie (B1).
    private static func restToken(_ request: Request) -> String? {
        if let token = parameters(query: request.uri.query, formBody: nil)["BhRestToken"] { return token }
        if let header = request.headers.first(where: { $0.name.canonicalName == "bhresttoken" }) { return header.value }
        return request.cookies["BhRestToken"]?.value
    }
}
