import ArgumentParser
import AsyncHTTPClient
import AtsgateCore
import AtsgateHTTP
import Foundation

extension Atsgate.Connectors {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check that each enabled target is reachable and takes the credentials of each connection to it, changing nothing there.",
            discussion: """
            Exit 0 when every checked target answers; 2 when a target's configuration or mapping is wrong (or \
            a secret's environment variable is unset); 3 when a target is unreachable or refuses the credentials.
            """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Check only this target.")
        var target: TargetName?

        struct Result: Encodable {
            var target: String
            /// `TARGET (default)` for the target file's credentials, `ORGANISATION/TARGET` for an organisation's own.
            var connection: String
            var kind: String
            var ok: Bool
            var errorKind: String?
            var detail: String
        }

        func run() async throws {
            let catalog = try global.loadTargets()
            if let target, catalog[target]?.isEnabled != true {
                throw WorkflowError.unknownTarget(target.rawValue, configured: catalog.enabledTargets)
            }
            let names = target.map { [$0] } ?? catalog.enabledTargets
            // Opened before the client, not inside the call below: Swift 6.3.1's optimizer crashes splitting
            // this coroutine when the typed-throws open is inlined there (docs/compiler-crash-coroutine-splitting.md).
            try await global.withStore { store in
                let client = HTTPClient.forTargets(catalog)
                let factory = ConnectorFactory(
                    environment: global.environment, client: client, configurationDirectory: global.configurationDirectory,
                    store: store
                )
                let resolver = ConnectionResolver(keyring: try SecretKeyring(environment: global.environment))
                var results: [Result] = []
                for name in names {
                    guard let configuration = catalog[name] else { continue }
                    let stored = try await store.connections(organisationID: nil).filter { $0.target == name }
                    if configuration.hasDefaultConnection {
                        results.append(await Self.check(configuration, connection: "\(name.rawValue) (default)", factory: factory) { factory throws(ConfigurationError) in
                            try factory.connector(for: configuration)
                        })
                    } else if stored.isEmpty {
                        results.append(Result(
                            target: name.rawValue, connection: "-", kind: configuration.kind.rawValue, ok: true, errorKind: nil,
                            detail: "no connection to check: the target requires one per organisation and none is set"
                        ))
                    }
                    for connection in stored {
                        results.append(await Self.check(configuration, connection: connection.name, factory: factory) { factory throws(ConfigurationError) in
                            let resolved: ResolvedConnection
                            do throws(ConnectorError) {
                                resolved = try resolver.resolve(connection, organisation: connection.organisationID, target: configuration)
                            } catch {
                                throw ConfigurationError(file: "connection \(connection.name)", reason: error.message)
                            }
                            return try factory.connector(for: resolved)
                        })
                    }
                }
                try await client.shutdown()

                if output.json {
                    try JSONOutput.print(results)
                } else {
                    var table = TextTable(["TARGET", "CONNECTION", "KIND", "RESULT", "DETAIL"])
                    for result in results {
                        table.append([result.target, result.connection, result.kind, result.ok ? "ok" : "FAILED (\(result.errorKind ?? "error"))", result.detail])
                    }
                    print(table.render())
                }
                try Self.exit(for: results)
            }
        }

        /// 2 for a wrong configuration or mapping, 3 for a target unreachable or refusing; else 0.
        static func exit(for results: [Result]) throws {
            if results.contains(where: { $0.errorKind == ErrorKind.config.rawValue || $0.errorKind == ErrorKind.mapping.rawValue }) {
                throw ExitCode(CommandFailure.Code.usageOrInput)
            }
            if results.contains(where: { !$0.ok }) { throw ExitCode(CommandFailure.Code.unreachable) }
        }

        /// Builds one connection's connector with `build` and asks the target whether it takes its credentials.
        static func check(
            _ configuration: TargetConfiguration, connection: String, factory: ConnectorFactory,
            build: (ConnectorFactory) throws(ConfigurationError) -> (any Connector)?
        ) async -> Result {
            let kind = configuration.kind.rawValue
            let target = configuration.name.rawValue
            let connector: any Connector
            do {
                guard let built = try build(factory) else {
                    return Result(target: target, connection: connection, kind: kind, ok: false, errorKind: ErrorKind.config.rawValue, detail: "this build has no \(kind) connector")
                }
                connector = built
            } catch {
                return Result(target: target, connection: connection, kind: kind, ok: false, errorKind: ErrorKind.config.rawValue, detail: "\(error)")
            }
            do {
                let detail = try await connector.checkConnection()
                return Result(target: target, connection: connection, kind: kind, ok: true, errorKind: nil, detail: detail)
            } catch {
                return Result(target: target, connection: connection, kind: kind, ok: false, errorKind: error.kind.rawValue, detail: error.description)
            }
        }
    }
}
