import Foundation

/// Removes known secret values (API keys, passwords, tokens read from the environment) from
/// text before it is stored or logged: a second line of defence behind connectors that never
/// put secrets in their messages.
public struct SecretRedactor: Sendable {
    private let secrets: [String]

    /// Values shorter than 4 characters are ignored: redacting them would mangle ordinary words.
    public init(secrets: [String]) {
        self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    public func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
    }

    public func redact(_ error: ConnectorError) -> ConnectorError {
        var error = error
        error.message = redact(error.message)
        return error
    }
}
