/// The name of a configured target (`connectors/NAME.yaml`), as stored in the outbox's `external_system`.
public struct TargetName: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts lower-case letters, digits, `-` and `_`, starting with a letter, at most 64 characters:
    /// the name is a file name, a column value and a metrics label.
    public init?(rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    public static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 64,
              ("a"..."z").contains(first)
        else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension TargetName: ExpressibleByStringLiteral {
    /// For names written in code (`"loxo"`); names from files and flags go through `init?(rawValue:)`.
    public init(stringLiteral value: String) {
        precondition(Self.isValid(value), "'\(value)' is not a valid target name")
        self.rawValue = value
    }
}
