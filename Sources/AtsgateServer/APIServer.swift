public import AtsgateCore
public import Hummingbird
public import Logging
import Foundation

/// Starts a reconcile run in the background and tells its id once it is stored.
public protocol ReconcileLauncher: Sendable {
    func launch(organisationID: OrganisationID, target: TargetName, apply: Bool, actor: String) async throws -> Int64
}

/// Answers `/readyz`: each check's name and, when it fails, why.
public protocol ReadinessProbe: Sendable {
    func check() async -> [ReadinessCheck]
}

public struct ReadinessCheck: Sendable, Encodable, Hashable {
    public var name: String
    public var ok: Bool
    public var detail: String?

    public init(name: String, ok: Bool, detail: String? = nil) {
        self.name = name
        self.ok = ok
        self.detail = detail
    }
}

/// The HTTP service: the `/v1` API, `/admin`, `/metrics`, `/healthz`, `/readyz` and
/// `/openapi.yaml`, over one store and one target catalog.
public struct APIServer: Sendable {
    public struct Configuration: Sendable {
        /// Request bodies above this are refused with 413.
        public var maxUploadSize = APIRequestContext.defaultMaxUploadSize
        /// Handlers running longer are answered 503.
        public var requestTimeout: Duration = .seconds(30)
        /// The most jobs one `POST /v1/qualifications` takes.
        public var bulkQualificationLimit = 10_000
        /// How long an admin session lasts.
        public var adminSessionLifetime: Duration = .seconds(8 * 3600)

        public init() {}
    }

    let store: any GatewayStore
    let catalog: TargetCatalog
    let reconciles: any ReconcileLauncher
    let readiness: any ReadinessProbe
    let metrics: ServerMetrics
    let configuration: Configuration
    let logger: Logger
    let adminSessions: AdminSessions

    public init(
        store: any GatewayStore, catalog: TargetCatalog, reconciles: any ReconcileLauncher, readiness: any ReadinessProbe,
        metrics: ServerMetrics, configuration: Configuration = Configuration(), logger: Logger
    ) {
        self.store = store
        self.catalog = catalog
        self.reconciles = reconciles
        self.readiness = readiness
        self.metrics = metrics
        self.configuration = configuration
        self.logger = logger
        self.adminSessions = AdminSessions(lifetime: configuration.adminSessionLifetime)
    }

    public func router() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        let table = RouteTable()
        router.add(middleware: AccessLogMiddleware(logger: logger))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ProblemMiddleware(routes: table))
        router.add(middleware: UploadLimitMiddleware(limit: configuration.maxUploadSize))

        let routes = Routes(methods: router, prefix: "", table: table)
        OperationsRoutes(server: self).add(to: routes)
        let api = routes.group("v1")
            .add(middleware: AuthenticationMiddleware(store: store))
            .add(middleware: IdempotencyMiddleware(store: store))
        CRMRoutes(server: self).add(to: api)
        DecisionRoutes(server: self).add(to: api)
        OutboxRoutes(server: self).add(to: api)
        ReconcileRoutes(server: self).add(to: api)
        TargetRoutes(server: self).add(to: api)
        AdminRoutes(server: self).add(to: routes)
        return router
    }

    /// Wraps a handler in the request timeout.
    func timed(
        _ handler: @escaping @Sendable (Request, APIRequestContext) async throws -> Response
    ) -> @Sendable (Request, APIRequestContext) async throws -> Response {
        let timeout = RequestTimeout(timeout: configuration.requestTimeout)
        return { request, context in try await timeout.run { try await handler(request, context) } }
    }

    var now: Date { Date() }
}

/// Sets the body-size limit every body read obeys (`request.body.collect(upTo:)` answers 413 above it).
struct UploadLimitMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxUploadSize = limit
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problem(.contentTooLarge, "the request body is \(length) bytes; the limit is \(limit)", code: "body-too-large")
        }
        return try await next(request, context)
    }
}

/// A JSON answer in the API's encoding.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok, location: String? = nil) throws -> Response {
    let data = try JSONCoding.encoder.encode(value)
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    if let location { headers[.location] = location }
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// Reads a JSON body as `Body`; an empty body is `empty` when the route allows one.
func decodeBody<Body: Decodable>(_ type: Body.Type, from request: Request, context: APIRequestContext, empty: Body? = nil) async throws -> Body {
    var request = request
    let buffer = try await request.collectBody(upTo: context.maxUploadSize)
    if buffer.readableBytes == 0, let empty { return empty }
    do {
        return try JSONCoding.decoder.decode(Body.self, from: Data(buffer: buffer))
    } catch let error as DecodingError {
        throw ProblemMapping.decodingProblem(error)
    }
}
