public import Foundation
import Yams

/// A connection file (`atsgate connections set --file`): the target kind's endpoint keys and its
/// credentials, each credential given inline (`api_key: …`, sealed before it is stored) or as
/// the name of an environment variable (`api_key_env: …`).
///
/// - loxo: `base_url`, `agency_slug`, `api_key`
/// - bullhorn: `login_info_url`, `redirect_uri`, `client_id`, `client_secret`, `username`, `password`
/// - email: `smtp_url`, `starttls`, `from`, `to`, `username`, `password` (a login is optional)
/// - webhook: `url`, `token` (optional)
public enum ConnectionDocument {
    /// The credentials of each kind; each may be inline or `NAME_env`.
    public static let secretKeys: [TargetKind: [String]] = [
        .loxo: ["api_key"],
        .bullhorn: ["client_id", "client_secret", "username", "password"],
        .email: ["username", "password"],
        .webhook: ["token"],
    ]

    /// What a connection file says, before its secrets are sealed.
    public struct Draft: Sendable {
        public var settings: [String: ConnectionValue]
        public var inlineSecrets: [String: Secret]
    }

    /// Reads and checks a connection file for `target`, as a target file's own keys are checked;
    /// every problem names the file and the key.
    public static func parse(_ text: String, for target: TargetConfiguration, file: String) throws(ConfigurationError) -> Draft {
        let kind = target.kind
        let secretNames = secretKeys[kind] ?? []
        let settingKeys = TargetConfigurationLoader.kindKeys[kind] ?? []
        let document = try YAMLField.document(text, file: file)
        let fields = try document.mapping(allowed: settingKeys.union(secretNames))
        var settings: [String: ConnectionValue] = [:]
        var inlineSecrets: [String: Secret] = [:]
        for (key, field) in fields.fields {
            if secretNames.contains(key) {
                if fields["\(key)_env"] != nil { throw field.error("is given inline and as \(key)_env; give one") }
                let value = try field.string()
                guard !value.isEmpty else { throw field.error("is empty") }
                inlineSecrets[key] = Secret(value)
            } else if case .sequence = field.node {
                settings[key] = .list(try field.stringList())
            } else {
                settings[key] = .text(try field.string())
            }
        }
        // The settings must make a working target of this kind, as the target file's would. The
        // check reads a document of its own: its errors get the line of the key in this file.
        do throws(ConfigurationError) {
            _ = try kindSettings(kind, settings: settings, inlineSecrets: Set(inlineSecrets.keys), label: { _ in placeholder }, file: file)
        } catch {
            var located = error
            let key = error.field.map { field in
                field.hasSuffix("_env") && inlineSecrets[String(field.dropLast(4))] != nil ? String(field.dropLast(4)) : field
            }
            located.line = key.flatMap { fields[$0]?.line }
            throw located
        }
        return Draft(settings: settings, inlineSecrets: inlineSecrets)
    }

    /// The kind's settings of a stored connection: its settings, with each inline secret's
    /// `*_env` name replaced by `label(key)`, the name the connector looks the value up by.
    static func kindSettings(
        _ kind: TargetKind, settings: [String: ConnectionValue], inlineSecrets: Set<String>, label: (String) -> String, file: String
    ) throws(ConfigurationError) -> TargetConfiguration.KindSettings {
        // Through the target file's own parser: the same checks and the same messages.
        var lines: [String] = []
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            lines.append("\(key): \(yamlScalar(value))")
        }
        for key in inlineSecrets.sorted() {
            lines.append("\(key)_env: \(placeholder)")
        }
        let document = try YAMLField.document(lines.isEmpty ? "{}" : lines.joined(separator: "\n"), file: file)
        let fields = try document.mapping(allowed: (TargetConfigurationLoader.kindKeys[kind] ?? []))
        var parsed = try TargetConfigurationLoader.kindSettings(kind, fields)
        parsed.relabel(inlineSecrets, label: label)
        return parsed
    }

    /// A valid environment variable name standing in for an inline secret while checking.
    static let placeholder = "ATSGATE_CONNECTION_SECRET"

    private static func yamlScalar(_ value: ConnectionValue) -> String {
        // JSON strings and arrays are YAML flow scalars and sequences.
        let encoder = JSONEncoder()
        switch value {
        case .text(let text): return String(decoding: (try? encoder.encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
        case .list(let list): return String(decoding: (try? encoder.encode(list)) ?? Data("[]".utf8), as: UTF8.self)
        }
    }
}

extension TargetConfiguration.KindSettings {
    /// Points the settings of inline secrets (`api_key` → `apiKeyEnvironmentVariable`) at `label(key)`.
    mutating func relabel(_ inlineSecrets: Set<String>, label: (String) -> String) {
        func name(_ key: String, _ current: String) -> String { inlineSecrets.contains(key) ? label(key) : current }
        switch self {
        case .loxo(var settings):
            settings.apiKeyEnvironmentVariable = name("api_key", settings.apiKeyEnvironmentVariable)
            self = .loxo(settings)
        case .bullhorn(var settings):
            settings.clientIDEnvironmentVariable = name("client_id", settings.clientIDEnvironmentVariable)
            settings.clientSecretEnvironmentVariable = name("client_secret", settings.clientSecretEnvironmentVariable)
            settings.usernameEnvironmentVariable = name("username", settings.usernameEnvironmentVariable)
            settings.passwordEnvironmentVariable = name("password", settings.passwordEnvironmentVariable)
            self = .bullhorn(settings)
        case .email(var settings):
            settings.usernameEnvironmentVariable = settings.usernameEnvironmentVariable.map { name("username", $0) }
            settings.passwordEnvironmentVariable = settings.passwordEnvironmentVariable.map { name("password", $0) }
            self = .email(settings)
        case .webhook(var settings):
            settings.tokenEnvironmentVariable = settings.tokenEnvironmentVariable.map { name("token", $0) }
            self = .webhook(settings)
        }
    }
}

/// The settings of a target whose file holds no credentials (`connections: required`): nothing
/// is ever sent with them.
enum KindSettingsPlaceholder {
    static func of(_ kind: TargetKind) -> TargetConfiguration.KindSettings {
        switch kind {
        case .loxo: .loxo(.init(agencySlug: "", apiKeyEnvironmentVariable: ""))
        case .bullhorn:
            .bullhorn(.init(clientIDEnvironmentVariable: "", clientSecretEnvironmentVariable: "", usernameEnvironmentVariable: "", passwordEnvironmentVariable: ""))
        case .email: .email(.init(smtpURL: "", from: "", to: []))
        case .webhook: .webhook(.init(url: ""))
        }
    }
}
