import HTTPTypes
import Hummingbird
import Synchronization

/// Which methods each registered path takes, so a known path asked with another method is
/// answered 405 with `Allow` (Hummingbird's router answers 404 for it).
final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [String], methods: Set<HTTPRequest.Method>)]>([])

    func add(_ method: HTTPRequest.Method, _ path: String) {
        let segments = Self.segments(path)
        routes.withLock { routes in
            if let index = routes.firstIndex(where: { $0.segments == segments }) {
                routes[index].methods.insert(method)
            } else {
                routes.append((segments, [method]))
            }
        }
    }

    /// The methods of the registered path matching `path` (`:name` matches any one segment; the
    /// most literal match wins), or nil when no registered path matches.
    func methods(for path: String) -> Set<HTTPRequest.Method>? {
        let asked = Self.segments(path)
        return routes.withLock { routes in
            let matching = routes.filter { route in
                route.segments.count == asked.count && zip(route.segments, asked).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
            }
            // As the router: a literal segment wins over a parameter (`/v1/outbox/replay` is not `/v1/outbox/:id`).
            func literals(_ segments: [String]) -> Int { segments.count { !$0.hasPrefix(":") } }
            guard let most = matching.map({ literals($0.segments) }).max() else { return nil }
            return matching.filter { literals($0.segments) == most }.reduce(into: Set()) { $0.formUnion($1.methods) }
        }
    }

    private static func segments(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init)
    }
}

/// Registers routes on a router or group and in the ``RouteTable``.
struct Routes {
    let methods: any RouterMethods<APIRequestContext>
    let prefix: String
    let table: RouteTable

    typealias Handler = @Sendable (Request, APIRequestContext) async throws -> Response

    func group(_ path: String) -> Routes {
        Routes(methods: methods.group(RouterPath(path)), prefix: prefix + "/" + path, table: table)
    }

    func add(middleware: any MiddlewareProtocol<Request, Response, APIRequestContext>) -> Routes {
        Routes(methods: methods.add(middleware: middleware), prefix: prefix, table: table)
    }

    func on(_ method: HTTPRequest.Method, _ path: String, use handler: @escaping Handler) {
        methods.on(RouterPath(path), method: method, use: handler)
        table.add(method, prefix + "/" + path)
    }

    func get(_ path: String = "", use handler: @escaping Handler) { on(.get, path, use: handler) }
    func post(_ path: String, use handler: @escaping Handler) { on(.post, path, use: handler) }
    func put(_ path: String, use handler: @escaping Handler) { on(.put, path, use: handler) }
}
