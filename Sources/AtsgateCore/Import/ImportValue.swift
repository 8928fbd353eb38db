public import Foundation

/// One field of an import row before validation: what JSON or CSV actually held.
public enum ImportValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Decimal)
    case string(String)
    /// An array or object where a scalar was expected.
    case nested
    /// A JSON number no `Decimal` holds (`1e300`).
    case numberOutOfRange

    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .nested: "an array or object"
        case .numberOutOfRange: "a number too large or too small to store"
        }
    }
}

extension ImportValue: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Decimal.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if (try? container.decode(Double.self)) != nil {
            self = .numberOutOfRange
        } else {
            self = .nested
        }
    }
}
