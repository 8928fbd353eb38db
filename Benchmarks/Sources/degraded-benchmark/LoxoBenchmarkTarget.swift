import AsyncHTTPClient
import AtsgateCore
import AtsgateHTTP
import AtsgateLoxo
import AtsgateSQLite
import AtsgateTesting
import Foundation
import Logging

/// The shipped `connectors/loxo.yaml`, unchanged except that its `base_url` points at the fake,
/// and how the benchmark builds the connector and dispatcher from it, as `atsgate worker` does.
struct LoxoBenchmarkTarget {
    static let name: TargetName = "loxo"

    let configuration: TargetConfiguration
    let mapping: TargetMapping

    /// The target as configured, before it is pointed at a fake.
    static func shipped(configurationDirectory: URL) throws -> TargetConfiguration {
        let file = configurationDirectory.appendingPathComponent("connectors/loxo.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        return try TargetConfigurationLoader.parse(text, name: name.rawValue, file: "connectors/loxo.yaml")
    }

    init(configurationDirectory: URL, fake: FakeLoxo) throws {
        var configuration = try Self.shipped(configurationDirectory: configurationDirectory)
        guard case .loxo(var settings) = configuration.settings else {
            throw BenchmarkError("connectors/loxo.yaml is not a loxo target")
        }
        // The fake runs with the configured agency slug; only the address differs.
        settings.baseURL = fake.baseURL
        settings.agencySlug = fake.agencySlug
        configuration.settings = .loxo(settings)
        self.configuration = configuration
        self.mapping = try MappingLoader(configurationDirectory: configurationDirectory).load(configuration.mapping)
    }

    var catalog: TargetCatalog { TargetCatalog([configuration]) }

    func connector(apiKey: String, client: HTTPClient) throws -> LoxoConnector {
        guard case .loxo(let settings) = configuration.settings else { throw BenchmarkError("not a loxo target") }
        return try LoxoConnector(
            target: configuration.name, settings: settings, apiKey: Secret(apiKey), mapping: mapping, timeout: configuration.timeout, client: client
        )
    }

    /// A dispatcher with `atsgate worker`'s defaults (poll 1 s, claim batch 256), on the real clock.
    func dispatcher(store: SQLiteStore, connector: LoxoConnector, seed: UInt64, logger: Logger) -> OutboxDispatcher {
        OutboxDispatcher(
            store: store,
            catalog: catalog,
            connectors: [configuration.name: connector],
            configuration: .init(workerID: "degraded-bench"),
            clock: SystemClock(),
            jitter: JitterSource(seed: seed),
            logger: logger
        )
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
