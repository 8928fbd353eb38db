import AsyncHTTPClient
import AtsgateCore
import AtsgateServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `sandbox --serve`: the same demo, with the CRM's imports and decisions and the operator's
/// replay sent to an in-process `atsgate serve` API; afterwards the API and /admin keep serving
/// until SIGINT or SIGTERM.
struct SandboxServer {
    var run: SandboxRun
    let address: ListenAddress

    func play(dataset: CRMDataset, file: URL, chosen: SandboxJobChoice) async throws -> SandboxRun.Outcome {
        var keys: [OrganisationID: APIDriver.Keys] = [:]
        for organisation in dataset.organisations.map(\.value.id) {
            keys[organisation] = APIDriver.Keys(
                crm: try await makeKey(organisation, .crm, name: "sandbox CRM"), operator: try await makeKey(organisation, .operator, name: "sandbox operator")
            )
        }
        var quiet = Logger(label: "atsgate.sandbox.serve")
        quiet.logLevel = .critical
        let reconciles = BackgroundReconciles(store: run.store, catalog: run.catalog, connectors: run.connectors, logger: quiet)
        let server = APIServer(
            store: run.store, catalog: run.catalog, reconciles: reconciles, readiness: StoreReadiness(store: run.store) {},
            metrics: ServerMetrics(), logger: quiet
        )
        let (ports, portFound) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: server.router(),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "atsgate-sandbox"),
            onServerRunning: { channel in
                portFound.yield(channel.localAddress?.port ?? address.port)
                portFound.finish()
            },
            logger: quiet
        )
        let services = ServiceGroup(configuration: .init(
            services: [.init(service: reconciles), .init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: quiet
        ))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var port: Int?
            for await found in ports { port = found }
            guard let port else { throw APIDriver.Failure(description: "the API did not start on \(address.host):\(address.port)") }
            let host = address.host.contains(":") ? "[\(address.host)]" : address.host
            let baseURL = "http://\(host):\(port)"
            print("\nthe demo is driven through the API at \(baseURL)/v1 (crm and operator keys of each organisation, made for this run)")
            var run = self.run
            run.driver = APIDriver(baseURL: baseURL, keys: keys, client: .shared)
            let outcome: SandboxRun.Outcome
            do {
                outcome = try await run.play(dataset: dataset, file: file, chosen: chosen)
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            print("""

            \u{1B}[1m== the service keeps running: press Ctrl-C to stop\u{1B}[0m
            admin page: \(baseURL)/admin  (sign in with \(chosen.organisationID)'s operator key: \(keys[chosen.organisationID]?.operator ?? "-"))
            API:        \(baseURL)/v1  (OpenAPI document: \(baseURL)/openapi.yaml; metrics: \(baseURL)/metrics)
            """)
            // Written now, not when the buffer fills: whoever waits for the URL reads it.
            fflush(nil)
            try await group.waitForAll()
            return outcome
        }
    }

    private func makeKey(_ organisation: OrganisationID, _ role: APIRole, name: String) async throws -> String {
        let (key, record) = AtsgateServer.APIKeys.make(organisationID: organisation, role: role, name: name, createdBy: "sandbox", now: Date())
        try await run.store.createAPIKey(record)
        return key
    }
}
