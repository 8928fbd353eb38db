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

        @Option(name: .customLong("poll-interval"), help: "The longest wait between looks at the database (default 1s).")
        var pollInterval: String = "1s"

        @Option(name: .customLong("shutdown-grace"), help: "How long in-flight attempts may finish after a shutdown signal (default 10s).")
        var shutdownGrace: String = "10s"

        @Option(name: .customLong("worker-id"), help: "The lease owner name (default host:pid:random).")
        var workerID: String?

        @Option(help: "Seed for backoff jitter, to make a run repeatable.")
        var seed: UInt64?

        func validate() throws {
            guard DurationText.parse(pollInterval) != nil else { throw ValidationError("--poll-interval: '\(pollInterval)' is not a duration") }
            guard DurationText.parse(shutdownGrace) != nil else { throw ValidationError("--shutdown-grace: '\(shutdownGrace)' is not a duration") }
        }

        func run() async throws {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = ProcessInfo.processInfo.environment["ATSGATE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
                return handler
            }
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
                let wakeups = store.wakeupListener()
                let dispatcher = OutboxDispatcher(
                    store: store,
                    catalog: catalog,
                    directory: connectors,
                    configuration: .init(
                        workerID: workerID ?? OutboxDispatcher.Configuration.defaultWorkerID(),
                        pollInterval: DurationText.parse(pollInterval) ?? .seconds(1),
                        untilIdle: untilIdle,
                        shutdownGrace: DurationText.parse(shutdownGrace) ?? .seconds(10),
                        notificationTarget: factory.notificationTarget(in: catalog)
                    ),
                    wakeups: wakeups,
                    redactor: SecretRedactor(secrets: factory.secrets(for: catalog)),
                    jitter: seed.map { JitterSource(seed: $0) } ?? JitterSource(),
                    logger: logger
                )
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
