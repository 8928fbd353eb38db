import AsyncHTTPClient
import AtsgateCore
import AtsgateWebhook
import Foundation

/// Builds the connectors of the configured targets, reading secrets from the environment.
struct ConnectorFactory {
    var environment: [String: String]
    var client: HTTPClient

    /// An HTTP client whose pool allows every target its configured `concurrency`
    /// (AsyncHTTPClient's default of 8 connections per host would cap it silently).
    static func makeClient(for catalog: TargetCatalog) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, catalog.targets.values.map(\.concurrency).max() ?? 8)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// One connector per enabled target this build can talk to; the others are left out (their rows wait).
    func connectors(for catalog: TargetCatalog) -> [TargetName: any Connector] {
        var connectors: [TargetName: any Connector] = [:]
        for target in catalog.targets.values where target.isEnabled {
            switch target.settings {
            case .webhook(let settings):
                let token = settings.tokenEnvironmentVariable.flatMap { environment[$0] }
                connectors[target.name] = WebhookConnector(target: target.name, settings: settings, token: token, timeout: target.timeout, client: client)
            case .loxo, .bullhorn, .email:
                continue
            }
        }
        return connectors
    }

    /// Every secret value the configuration points at, so the dispatcher can keep them out of what it stores.
    func secrets(for catalog: TargetCatalog) -> [String] {
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
        .compactMap { $0.flatMap { environment[$0] } }
    }

    /// The target that carries decision-maker notifications: the first enabled email target.
    func notificationTarget(in catalog: TargetCatalog) -> TargetName? {
        catalog.enabledTargets.first { catalog[$0]?.kind == .email }
    }
}
