import ArgumentParser
import AsyncHTTPClient
import AtsgateCore
import AtsgateHTTP
import AtsgateServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

extension Atsgate {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Run the service: the HTTP API, /admin, /metrics, the worker and the reconcile schedules.",
            discussion: """
            One process serves the API under /v1 (API keys from `atsgate api-keys create`), the admin pages under \
            /admin, /healthz, /readyz, /metrics and /openapi.yaml; delivers the outbox as `atsgate worker` does \
            (--no-worker for an API-only node); and runs every target's `reconcile.every` for every organisation \
            (--no-schedules to leave that to other nodes; two nodes never run one target and organisation at once). \
            SIGINT or SIGTERM stop taking requests, let in-flight requests and deliveries finish, then exit. \
            Prints `listening on http://HOST:PORT` once the port is open.
            """
        )

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("Where to listen (default 127.0.0.1:8080; port 0 picks a free one).", valueName: "host:port"))
        var listen: String = "127.0.0.1:8080"

        @Flag(name: .customLong("no-worker"), help: "Do not deliver the outbox here (an API-only node).")
        var noWorker = false

        @Flag(name: .customLong("no-schedules"), help: "Do not run the reconcile schedules here.")
        var noSchedules = false

        @Option(name: .customLong("request-timeout"), help: "Requests running longer are answered 503 (default 30s).")
        var requestTimeout: String = "30s"

        @Option(name: .customLong("max-body-size"), help: "The largest request body in bytes; larger ones are answered 413 (default 16 MiB).")
        var maxBodySize: Int = APIRequestContext.defaultMaxUploadSize

        @OptionGroup var delivery: DeliveryOptions

        func validate() throws {
            guard ListenAddress(listen) != nil else { throw ValidationError("--listen: '\(listen)' is not HOST:PORT") }
            guard DurationText.parse(requestTimeout) != nil else { throw ValidationError("--request-timeout: '\(requestTimeout)' is not a duration") }
            guard maxBodySize > 0 else { throw ValidationError("--max-body-size must be positive") }
        }

        func run() async throws {
            ProcessLogging.bootstrap()
            let logger = Logger(label: "atsgate.serve")
            let metrics = ServerMetrics()
            metrics.bootstrapMetricsSystem()
            let catalog = try global.loadTargets()
            guard let address = ListenAddress(listen) else { throw ValidationError("--listen: '\(listen)' is not HOST:PORT") }
            try await global.withStore { store in
                let client = HTTPClient.forTargets(catalog)
                do {
                    try await serve(store: store, catalog: catalog, client: client, address: address, metrics: metrics, logger: logger)
                } catch {
                    try? await client.shutdown()
                    throw error
                }
                try await client.shutdown()
            }
        }

        private func serve(
            store: any GatewayStore, catalog: TargetCatalog, client: HTTPClient, address: ListenAddress, metrics: ServerMetrics, logger: Logger
        ) async throws {
            let environment = ProcessInfo.processInfo.environment
            let factory = ConnectorFactory(environment: environment, client: client, configurationDirectory: global.configurationDirectory, store: store)
            let connectors = try ConnectionConnectors(catalog: catalog, factory: factory, store: store, keyring: try SecretKeyring(environment: environment))
            let reconciles = BackgroundReconciles(store: store, catalog: catalog, connectors: connectors, logger: Logger(label: "atsgate.reconcile"))
            var configuration = APIServer.Configuration()
            configuration.requestTimeout = DurationText.parse(requestTimeout) ?? .seconds(30)
            configuration.maxUploadSize = maxBodySize
            let global = self.global
            let server = APIServer(
                store: store, catalog: catalog, reconciles: reconciles,
                readiness: StoreReadiness(store: store) { _ = try global.loadTargets() },
                metrics: metrics, configuration: configuration, logger: Logger(label: "atsgate.access")
            )
            let app = Application(
                router: server.router(),
                // A connection idle this long (a client that stopped sending mid-request too) is closed.
                server: .http1(configuration: .init(idleTimeout: .seconds(60))),
                configuration: .init(address: .hostname(address.host, port: address.port), serverName: "atsgate"),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? address.port
                    let host = address.host.contains(":") ? "[\(address.host)]" : address.host
                    FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
                    logger.info("listening", metadata: ["url": "http://\(host):\(port)"])
                },
                logger: logger
            )
            // Shut down in reverse order: the API stops taking requests first, the worker last.
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if !noWorker {
                let dispatcher = delivery.dispatcher(store: store, catalog: catalog, connectors: connectors, factory: factory, untilIdle: false, logger: Logger(label: "atsgate.worker"))
                services.append(.init(service: dispatcher))
            }
            services.append(.init(service: reconciles))
            if !noSchedules {
                services.append(.init(service: ReconcileSchedules(store: store, catalog: catalog, launcher: reconciles, logger: Logger(label: "atsgate.schedule"))))
            }
            services.append(.init(service: app))
            let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}

/// `HOST:PORT`, `[IPv6]:PORT`.
struct ListenAddress: Hashable {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }
}
