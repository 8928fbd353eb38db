extension FakeBullhorn {
    /// A JSON value as the fake Bullhorn stores and answers it. Integers and decimals stay apart so
    /// that epoch-millisecond timestamps and ids come back exactly as they went in.
    public enum Value: Hashable, Sendable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case array([Value])
        case object([String: Value])

        public var string: String? {
            if case .string(let value) = self { return value }
            return nil
        }

        public var int: Int? {
            if case .int(let value) = self { return value }
            return nil
        }

        public var bool: Bool? {
            if case .bool(let value) = self { return value }
            return nil
        }

        public var object: [String: Value]? {
            if case .object(let value) = self { return value }
            return nil
        }

        public var array: [Value]? {
            if case .array(let value) = self { return value }
            return nil
        }

        /// A number as a `Double`, whichever way it was written.
        public var number: Double? {
            switch self {
            case .int(let value): Double(value)
            case .double(let value): value
            default: nil
            }
        }

        public subscript(key: String) -> Value? {
            object?[key]
        }

        /// The id of a to-one association, `{"id": 3}`.
        public var associatedID: Int? {
            self["id"]?.int
        }
    }
}

extension FakeBullhorn.Value: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([FakeBullhorn.Value].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: FakeBullhorn.Value].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension FakeBullhorn.Value: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: FakeBullhorn.Value...) { self = .array(elements) }

    public init(dictionaryLiteral elements: (String, FakeBullhorn.Value)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
