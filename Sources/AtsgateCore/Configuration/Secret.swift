/// A credential's value (an API key, a password, a client secret) that cannot print itself:
/// its description, debug description and reflection all say `<redacted>`, so a log line,
/// an error or a dump of the value that holds it never shows it. Only ``value`` does, for the
/// request that needs it.
public struct Secret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable, ExpressibleByStringLiteral {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public init(stringLiteral value: String) {
        self.value = value
    }

    /// `nil` for a missing or empty value: an empty variable is no credential.
    public init?(_ value: String?) {
        guard let value, !value.isEmpty else { return nil }
        self.value = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
