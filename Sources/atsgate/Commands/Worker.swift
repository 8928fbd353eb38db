import ArgumentParser
import AsyncHTTPClient
import AtsgateCore
import AtsgateHTTP
import Foundation
import Logging
import ServiceLifecycle

extension Atsgate {
    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "worker",
            abstract: "Deliver due outbox rows and notifications, with leases, retries and backoff.",
            discussion: """
            Runs until SIGINT or SIGTERM: it then stops claiming, lets in-flight attempts finish (up to \
            --shutdown-grace), and puts any it had to cut short back to pending. A worker that is killed \
            loses nothing: its leases lapse and a worker takes the rows again. Several workers may share \
            one database. Logs go to stderr (level from ATSGATE_LOG_LEVEL, default info).
            """
        )

        @OptionGroup var global: GlobalOptions

        @Flag(name: .customLong("until-idle"), help: "Exit once nothing is due or in flight (retries scheduled later do not count).")
        var untilIdle = false

        @OptionGroup var delivery: DeliveryOptions

        func run() async throws {
            ProcessLogging.bootstrap()
            let logger = Logger(label: "atsgate.worker")
            let catalog = try global.loadTargets()
            try await global.withStore { store in
                let client = HTTPClient.forTargets(catalog)
                let factory = ConnectorFactory(environment: ProcessInfo.processInfo.environment, client: client, configurationDirectory: global.configurationDirectory, store: store)
                let connectors: ConnectionConnectors
                do {
                    connectors = try ConnectionConnectors(
                        catalog: catalog, factory: factory, store: store, keyring: try SecretKeyring(environment: ProcessInfo.processInfo.environment)
                    )
                } catch {
                    try? await client.shutdown()
                    throw error
                }
                let dispatcher = delivery.dispatcher(store: store, catalog: catalog, connectors: connectors, factory: factory, untilIdle: untilIdle, logger: logger)
                let group = ServiceGroup(configuration: .init(
                    services: [.init(service: dispatcher, successTerminationBehavior: .gracefullyShutdownGroup)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                ))
                do {
                    try await group.run()
                } catch {
                    try? await client.shutdown()
                    throw error
                }
                try await client.shutdown()

                if untilIdle {
                    print(try await OutboxSummary.text(store: store, catalog: catalog))
                }
            }
        }
    }
}
