import AsyncHTTPClient
import AtsgateBullhorn
import AtsgateCore
import AtsgateEmail
import AtsgateLoxo
import AtsgateWebhook
import Foundation

/// Builds the connectors of the configured targets, reading secrets from the environment.
struct ConnectorFactory {
    var environment: [String: String]
    var client: HTTPClient
    /// Where `mappings/` lives.
    var configurationDirectory: URL
    /// Where connectors keep credentials a target rotates and claim the companies and people they
    /// find or create (so no other process creates the same one); `nil` where nothing is sent (checks, previews).
    var store: (any CredentialStore & CreationClaimStore)?

    init(environment: [String: String], client: HTTPClient, configurationDirectory: URL, store: (any CredentialStore & CreationClaimStore)? = nil) {
        self.environment = environment
        self.client = client
        self.configurationDirectory = configurationDirectory
        self.store = store
    }

    /// One connector per enabled target this build can talk to; the others are left out (their rows wait).
    /// A target whose mapping is missing or unusable stops the whole set, naming every such target:
    /// a worker should not start half-configured.
    func connectors(for catalog: TargetCatalog) throws(ConfigurationErrors) -> [TargetName: any Connector] {
        var connectors: [TargetName: any Connector] = [:]
        var problems: [ConfigurationError] = []
        for target in catalog.targets.values.sorted(by: { $0.name < $1.name }) where target.isEnabled {
            do throws(ConfigurationError) {
                if let connector = try connector(for: target) { connectors[target.name] = connector }
            } catch {
                problems.append(error)
            }
        }
        guard problems.isEmpty else { throw ConfigurationErrors(problems) }
        return connectors
    }

    func connector(for target: TargetConfiguration) throws(ConfigurationError) -> (any Connector)? {
        switch target.settings {
        case .webhook(let settings):
            let token = Secret(settings.tokenEnvironmentVariable.flatMap { environment[$0] })
            return WebhookConnector(target: target.name, settings: settings, token: token, timeout: target.timeout, client: client)
        case .loxo(let settings):
            let mapping = try MappingLoader(configurationDirectory: configurationDirectory).load(target.mapping)
            do throws(ConnectorError) {
                return try LoxoConnector(
                    target: target.name, settings: settings, apiKey: Secret(environment[settings.apiKeyEnvironmentVariable]),
                    mapping: mapping, timeout: target.timeout, client: client, creations: store
                )
            } catch {
                throw ConfigurationError(file: mapping.file, reason: "target '\(target.name)' cannot use it: \(error.message)")
            }
        case .bullhorn(let settings):
            let mapping = try MappingLoader(configurationDirectory: configurationDirectory).load(target.mapping)
            do throws(ConnectorError) {
                return try BullhornConnector(
                    target: target.name, settings: settings, secrets: BullhornSecrets(settings: settings, environment: environment),
                    mapping: mapping, timeout: target.timeout, client: client, credentials: sealedCredentials, creations: store
                )
            } catch {
                throw ConfigurationError(file: mapping.file, reason: "target '\(target.name)' cannot use it: \(error.message)")
            }
        case .email(let settings):
            do throws(ConnectorError) {
                let templates = try EmailTemplates(configurationDirectory: configurationDirectory, folder: EmailTemplates.folder(forMapping: target.mapping))
                return try EmailConnector(
                    target: target.name, settings: settings,
                    username: Secret(settings.usernameEnvironmentVariable.flatMap { environment[$0] }),
                    password: Secret(settings.passwordEnvironmentVariable.flatMap { environment[$0] }),
                    templates: templates, timeout: target.timeout
                )
            } catch {
                throw ConfigurationError(file: "connectors/\(target.name).yaml", reason: error.message)
            }
        }
    }

    /// Where the Bullhorn connector keeps its rotating refresh token: sealed under
    /// `ATSGATE_SECRET_KEY` when there is one, as connection secrets are.
    private var sealedCredentials: (any CredentialStore)? {
        guard let store else { return nil }
        guard let keyring = try? SecretKeyring(environment: environment) else { return store }
        return SealedCredentials(store, keyring: keyring)
    }

    /// A connector for one organisation's connection (or the target's default): the connection's
    /// settings, its inline secrets, and find-or-create claims of its own.
    func connector(for connection: ResolvedConnection) throws(ConfigurationError) -> (any Connector)? {
        var scoped = self
        scoped.environment.merge(connection.secrets.mapValues(\.value)) { _, inline in inline }
        if let organisation = connection.organisationID, let store {
            scoped.store = ConnectionScopedStore(store: store, scope: organisation.rawValue)
        }
        return try scoped.connector(for: connection.target)
    }

    /// Every secret value the configuration points at, so the dispatcher can keep them out of what it stores.
    func secrets(for catalog: TargetCatalog) -> [Secret] {
        catalog.targets.values.flatMap { target -> [String?] in
            switch target.settings {
            case .loxo(let settings): [settings.apiKeyEnvironmentVariable]
            case .bullhorn(let settings):
                [settings.clientIDEnvironmentVariable, settings.clientSecretEnvironmentVariable,
                 settings.usernameEnvironmentVariable, settings.passwordEnvironmentVariable]
            case .email(let settings): [settings.usernameEnvironmentVariable, settings.passwordEnvironmentVariable]
            case .webhook(let settings): [settings.tokenEnvironmentVariable]
            }
        }
        .compactMap { Secret($0.flatMap { environment[$0] }) }
    }

    /// The target that carries decision-maker notifications: the first enabled email target.
    func notificationTarget(in catalog: TargetCatalog) -> TargetName? {
        catalog.enabledTargets.first { catalog[$0]?.kind == .email }
    }
}

/// The store as one connection's connectors see it: credentials as they are (Bullhorn names its
/// refresh token by client and API user already), find-or-create claims keyed by the
/// organisation, so one tenant's "Acme" is never handed another's remote id.
private struct ConnectionScopedStore: CredentialStore, CreationClaimStore {
    let store: any CredentialStore & CreationClaimStore
    let creations: ScopedCreationClaims

    init(store: any CredentialStore & CreationClaimStore, scope: String) {
        self.store = store
        self.creations = ScopedCreationClaims(store, scope: scope)
    }

    func credential(named name: String, target: TargetName) async throws -> String? {
        try await store.credential(named: name, target: target)
    }

    func replaceCredential(named name: String, target: TargetName, expected: String?, with value: String?) async throws -> Bool {
        try await store.replaceCredential(named: name, target: target, expected: expected, with: value)
    }

    func claimCreation(_ key: CreationKey, owner: String, now: Date, leaseUntil: Date, answersSince: Date) async throws -> CreationClaim {
        try await creations.claimCreation(key, owner: owner, now: now, leaseUntil: leaseUntil, answersSince: answersSince)
    }

    func finishCreation(_ key: CreationKey, owner: String, remoteID: String?, now: Date) async throws {
        try await creations.finishCreation(key, owner: owner, remoteID: remoteID, now: now)
    }
}
