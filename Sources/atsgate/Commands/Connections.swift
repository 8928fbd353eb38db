import ArgumentParser
import AsyncHTTPClient
import AtsgateCore
import AtsgateHTTP
import Foundation

extension Atsgate {
    struct Connections: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "connections",
            abstract: "Each organisation's own account at a target: its endpoint and credentials.",
            discussion: """
            A target (connectors/NAME.yaml) says how to deliver; a connection says to which account, for one \
            organisation. The credentials in a target file are the default connection of organisations without \
            one of their own, unless the file says connections: required. Inline secrets are sealed with \
            AES-GCM under ATSGATE_SECRET_KEY (32 random bytes, base64); values are never printed.
            """,
            subcommands: [Set.self, List.self, Show.self, Remove.self, Check.self]
        )
    }
}

/// `--organisation O --target T`: the connection a command acts on.
struct ConnectionOptions: ParsableArguments {
    @OptionGroup var organisation: OrganisationOption

    @Option(help: "The target (connectors/NAME.yaml).")
    var target: TargetName

    /// The target's configuration; an unknown target is an error naming the configured ones.
    func configuration(in catalog: TargetCatalog) throws -> TargetConfiguration {
        guard let configuration = catalog[target] else {
            throw WorkflowError.unknownTarget(target.rawValue, configured: catalog.targets.keys.sorted())
        }
        return configuration
    }
}

extension Atsgate.Connections {
    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Store an organisation's connection to a target from a YAML file (- reads standard input).",
            discussion: """
            The file holds the target kind's keys. loxo: base_url, agency_slug, api_key. bullhorn: login_info_url, \
            redirect_uri, client_id, client_secret, username, password. email: smtp_url, starttls, from, to, \
            username, password. Each secret is given inline (sealed under ATSGATE_SECRET_KEY; refused without \
            it) or as KEY_env naming an environment variable. The connection replaces any earlier one whole.
            """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(help: ArgumentHelp("The connection file; - reads standard input.", valueName: "file"))
        var file: String

        @Option(help: "Who is changing it, for the audit log (default: $USER).")
        var by: String?

        struct Report: Encodable {
            var organisation: String
            var target: String
            var kind: String
            var changedKeys: [String]
        }

        func run() async throws {
            let catalog = try global.loadTargets()
            let target = try connection.configuration(in: catalog)
            let organisation = try connection.organisation.resolve()
            let text = try Self.read(file)
            let draft = try ConnectionDocument.parse(text, for: target, file: file == "-" ? "standard input" : file)
            let keyring = try SecretKeyring(environment: global.environment)
            let name = "\(organisation.rawValue)/\(target.name.rawValue)"
            var sealed: [String: SealedSecret] = [:]
            for (key, secret) in draft.inlineSecrets {
                sealed[key] = try keyring.seal(secret, name: key, of: name)
            }
            let stored = StoredConnection(
                organisationID: organisation, target: target.name, kind: target.kind, settings: draft.settings, secrets: sealed, updatedAt: Date()
            )
            let changed = try await global.withStore { store in
                let previous = try await store.connection(organisationID: organisation, target: target.name)
                let changed = stored.changedKeys(since: previous, resubmitted: Swift.Set(draft.inlineSecrets.keys))
                try await store.saveConnection(stored, changedKeys: changed, actor: by ?? Actor.current)
                return changed
            }
            let report = Report(organisation: organisation.rawValue, target: target.name.rawValue, kind: target.kind.rawValue, changedKeys: changed)
            if output.json {
                try JSONOutput.print(report)
            } else {
                print("connection \(name) set (\(target.kind.rawValue)); keys changed: \(changed.isEmpty ? "none" : changed.joined(separator: ", "))")
            }
        }

        /// The file's text, or standard input's for `-`.
        static func read(_ file: String) throws -> String {
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let read = FileManager.default.contents(atPath: file) else {
                    throw ConfigurationError(file: file, reason: "cannot be read")
                }
                data = read
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError(file: file == "-" ? "standard input" : file, reason: "is not UTF-8 text")
            }
            return text
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List connections and which of their secrets are set; never their values."
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Option(help: ArgumentHelp("Only this organisation's connections.", valueName: "id"))
        var organisation: String?

        func run() async throws {
            let keyring = try SecretKeyring(environment: global.environment)
            let connections = try await global.withStore { try await $0.connections(organisationID: organisation.map { OrganisationID($0) }) }
            let reports = connections.map { ConnectionReport($0, keyring: keyring, environment: global.environment) }
            if output.json {
                try JSONOutput.print(reports)
                return
            }
            guard !reports.isEmpty else {
                print(organisation.map { "organisation \($0) has no connections" } ?? "no connections")
                return
            }
            var table = TextTable(["ORGANISATION", "TARGET", "KIND", "SECRETS", "UPDATED"])
            for report in reports {
                table.append([report.organisation, report.target, report.kind, report.secretSummary, report.updatedAt])
            }
            print(table.render())
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show one connection: its settings and which secrets are set, never their values."
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let catalog = try global.loadTargets()
            let target = try connection.configuration(in: catalog)
            let organisation = try connection.organisation.resolve()
            let keyring = try SecretKeyring(environment: global.environment)
            guard let stored = try await global.withStore({ try await $0.connection(organisationID: organisation, target: target.name) }) else {
                let fallback = target.hasDefaultConnection
                    ? "its deliveries use the default connection in connectors/\(target.name.rawValue).yaml"
                    : "target '\(target.name.rawValue)' requires one (connections: required), so its rows cannot be delivered"
                throw OperatorActionError(.notFound, "organisation '\(organisation.rawValue)' has no connection to '\(target.name.rawValue)'; \(fallback)")
            }
            let report = ConnectionReport(stored, keyring: keyring, environment: global.environment)
            if output.json {
                try JSONOutput.print(report)
                return
            }
            print("connection \(stored.name) (\(report.kind)), updated \(report.updatedAt)")
            for (key, value) in report.settings.sorted(by: { $0.key < $1.key }) {
                print("  \(key): \(value)")
            }
            for secret in report.secrets {
                print("  \(secret.key): \(secret.state)")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove an organisation's connection to a target (its rows then use the target's default, if any)."
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions

        @Option(help: "Who is removing it, for the audit log (default: $USER).")
        var by: String?

        func run() async throws {
            let organisation = try connection.organisation.resolve()
            let target = connection.target
            let removed = try await global.withStore {
                try await $0.removeConnection(organisationID: organisation, target: target, actor: by ?? Actor.current)
            }
            guard removed else {
                throw OperatorActionError(.notFound, "organisation '\(organisation.rawValue)' has no connection to '\(target.rawValue)'")
            }
            print("connection \(organisation.rawValue)/\(target.rawValue) removed")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check that the organisation's connection (or the default it falls back to) reaches the target and takes its credentials.",
            discussion: "Exit 0 when it answers; 2 when the connection is missing or wrong; 3 when the target is unreachable or refuses the credentials."
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let catalog = try global.loadTargets()
            let target = try connection.configuration(in: catalog)
            let organisation = try connection.organisation.resolve()
            let resolver = ConnectionResolver(keyring: try SecretKeyring(environment: global.environment))
            let result = try await global.withStore { store in
                let stored = try await store.connection(organisationID: organisation, target: target.name)
                let client = HTTPClient.forTargets(catalog)
                let factory = ConnectorFactory(environment: global.environment, client: client, configurationDirectory: global.configurationDirectory, store: store)
                let name = stored?.name ?? (target.hasDefaultConnection ? "\(target.name.rawValue) (default)" : "\(organisation.rawValue)/\(target.name.rawValue)")
                let result = await Atsgate.Connectors.Check.check(target, connection: name, factory: factory) { factory throws(ConfigurationError) in
                    let resolved: ResolvedConnection
                    do throws(ConnectorError) {
                        resolved = try resolver.resolve(stored, organisation: organisation, target: target)
                    } catch {
                        throw ConfigurationError(file: "connection \(name)", reason: error.message)
                    }
                    return try factory.connector(for: resolved)
                }
                try await client.shutdown()
                return result
            }
            if output.json {
                try JSONOutput.print(result)
            } else {
                print("\(result.connection): \(result.ok ? "ok" : "FAILED (\(result.errorKind ?? "error"))") — \(result.detail)")
            }
            try Atsgate.Connectors.Check.exit(for: [result])
        }
    }
}

/// A connection as `list` and `show` print it: settings (which hold no secret) and, per secret,
/// where it comes from — never its value.
struct ConnectionReport: Encodable {
    struct SecretState: Encodable {
        var key: String
        var state: String
    }

    var organisation: String
    var target: String
    var kind: String
    var settings: [String: String]
    var secrets: [SecretState]
    var updatedAt: String

    init(_ connection: StoredConnection, keyring: SecretKeyring, environment: [String: String]) {
        organisation = connection.organisationID.rawValue
        target = connection.target.rawValue
        kind = connection.kind.rawValue
        updatedAt = ISO8601DateFormatter().string(from: connection.updatedAt)
        settings = connection.settings.mapValues { value in
            switch value {
            case .text(let text): text
            case .list(let list): list.joined(separator: ", ")
            }
        }
        secrets = (ConnectionDocument.secretKeys[connection.kind] ?? []).map { key in
            if let sealed = connection.secrets[key] {
                let opens = sealed.keyID == keyring.currentKeyID ? "" : " (not the current key)"
                return SecretState(key: key, state: "stored, sealed with key \(sealed.keyID)\(opens)")
            }
            if case .text(let variable) = connection.settings["\(key)_env"] {
                let set = environment[variable].map { !$0.isEmpty } ?? false
                return SecretState(key: key, state: "from $\(variable) (\(set ? "set" : "not set") here)")
            }
            return SecretState(key: key, state: "not set")
        }
    }

    /// `api_key: stored` style, for the table.
    var secretSummary: String {
        secrets.map { "\($0.key): \($0.state.hasPrefix("stored") ? "stored" : $0.state.hasPrefix("from") ? "env" : "-")" }.joined(separator: ", ")
    }
}
