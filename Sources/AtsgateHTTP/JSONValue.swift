public import Foundation

/// Any JSON, decoded without assuming a shape: targets' answers differ by endpoint and version
/// (wrapped or not, ids as numbers or strings, to-one associations as `{"id": …}`, `null` where a
/// value was expected).
public enum JSONValue: Decodable, Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Decimal)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Decimal.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public static func parse(_ data: Data) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public var object: [String: JSONValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// Scalars as text: `12` and `"12"` are the same id to us.
    public var text: String? {
        switch self {
        case .string(let value): value
        case .number(let value): NSDecimalNumber(decimal: value).description(withLocale: Locale(identifier: "en_US_POSIX"))
        case .bool(let value): value ? "true" : "false"
        case .null, .array, .object: nil
        }
    }

    public var int: Int? { text.flatMap { Int($0) } }

    /// Bullhorn booleans, which Lucene-backed answers may render as `1`/`0`.
    public var bool: Bool? {
        switch self {
        case .bool(let value): value
        case .number(let value): value != 0
        case .string(let value): ["true": true, "1": true, "false": false, "0": false][value.lowercased()]
        case .null, .array, .object: nil
        }
    }

    /// The id of a to-one association (`{"id": 3, "name": …}`), or of the value itself when it is a scalar id.
    public var associatedID: String? {
        self["id"]?.text ?? text
    }
}
