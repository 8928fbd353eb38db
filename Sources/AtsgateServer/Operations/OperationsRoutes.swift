public import AtsgateCore
import Foundation
import Hummingbird

/// What runs the service needs: liveness, readiness, metrics and the API's description. None
/// takes an API key (keep the port off the internet, as you would a database's).
struct OperationsRoutes {
    let server: APIServer

    struct Readiness: Encodable, Sendable {
        var status: String
        var checks: [ReadinessCheck]
    }

    func add(to routes: Routes) {
        routes.get("healthz") { _, _ in
            try jsonResponse(["status": "ok"])
        }
        routes.get("readyz", use: server.timed { _, _ in
            let checks = await server.readiness.check()
            let ready = checks.allSatisfy(\.ok)
            return try jsonResponse(Readiness(status: ready ? "ready" : "not ready", checks: checks), status: ready ? .ok : .serviceUnavailable)
        })
        routes.get("metrics", use: server.timed { _, _ in
            let text = try await server.metrics.scrape(store: server.store, catalog: server.catalog, now: server.now)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        })
        routes.get("openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
    }
}

/// The standard readiness checks: the database answers, its schema is this build's, and the
/// configuration on disk still loads.
public struct StoreReadiness: ReadinessProbe {
    let store: any GatewayStore
    let configuration: @Sendable () throws -> Void

    public init(store: any GatewayStore, configuration: @escaping @Sendable () throws -> Void) {
        self.store = store
        self.configuration = configuration
    }

    public func check() async -> [ReadinessCheck] {
        var checks: [ReadinessCheck] = []
        do {
            let description = try await store.describe()
            checks.append(ReadinessCheck(name: "database", ok: true))
            let missing = description.knownMigrations.filter { !description.appliedMigrations.contains($0) }
            let unknown = description.appliedMigrations.filter { !description.knownMigrations.contains($0) }
            checks.append(ReadinessCheck(
                name: "migrations", ok: missing.isEmpty && unknown.isEmpty,
                detail: !missing.isEmpty ? "not applied: \(missing.joined(separator: "; "))"
                    : !unknown.isEmpty ? "the database has migrations this build does not know: \(unknown.joined(separator: "; "))" : nil
            ))
        } catch {
            checks.append(ReadinessCheck(name: "database", ok: false, detail: "the database does not answer"))
        }
        do {
            try configuration()
            checks.append(ReadinessCheck(name: "configuration", ok: true))
        } catch {
            checks.append(ReadinessCheck(name: "configuration", ok: false, detail: "\(error)"))
        }
        return checks
    }
}
