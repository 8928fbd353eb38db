import Foundation

/// Removes known secret values (API keys, passwords, tokens read from the environment) from
/// text before it is stored or logged: a second line of defence behind connectors that never
/// put secrets in their messages.
public struct SecretRedactor: Sendable {
    private let secrets: [Secret]

    /// Values shorter than 4 characters are ignored: redacting them would mangle ordinary words.
    public init(secrets: [Secret]) {
        self.secrets = secrets.filter { $0.value.count >= 4 }.sorted { $0.value.count > $1.value.count }
    }

    /// This redactor with `more` secrets.
    public func adding(_ more: [Secret]) -> SecretRedactor {
        SecretRedactor(secrets: secrets + more)
    }

    public func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1.value, with: "[redacted]") }
    }

    public func redact(_ error: ConnectorError) -> ConnectorError {
        var error = error
        error.message = redact(error.message)
        return error
    }
}
