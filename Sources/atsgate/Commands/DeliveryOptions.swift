import ArgumentParser
import AtsgateCore
import Foundation
import Logging

/// The dispatcher's options, shared by `worker` and `serve`.
struct DeliveryOptions: ParsableArguments {
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

    /// The dispatcher over `store`, delivering through `connectors`.
    func dispatcher(
        store: any GatewayStore, catalog: TargetCatalog, connectors: ConnectionConnectors, factory: ConnectorFactory, untilIdle: Bool, logger: Logger
    ) -> OutboxDispatcher {
        OutboxDispatcher(
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
            wakeups: store.wakeupListener(),
            redactor: SecretRedactor(secrets: factory.secrets(for: catalog)),
            jitter: seed.map { JitterSource(seed: $0) } ?? JitterSource(),
            logger: logger
        )
    }
}

/// Logs to stderr at ATSGATE_LOG_LEVEL (default info).
enum ProcessLogging {
    static func bootstrap() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["ATSGATE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
    }
}
