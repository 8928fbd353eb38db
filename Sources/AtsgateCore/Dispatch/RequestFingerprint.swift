import Foundation

/// A stable hash of what a connector was asked to send, stored with each attempt so an
/// operator can tell whether two attempts sent the same thing: change detection, not security.
///
/// The request is hashed as it encodes, with FNV-1a 64, without building JSON first (encoding
/// to JSON only to hash it was a fifth of a delivery's CPU). Keyed containers combine their
/// entries independently of order, so a dictionary's iteration order cannot change the result.
enum RequestFingerprint {
    /// What goes over the wire: not whether an earlier attempt's outcome was unknown.
    struct Sent: Encodable {
        var operation: SubmissionOperation
        var externalID: String?
        var snapshot: JobSnapshot

        init(_ request: SubmissionRequest) {
            operation = request.operation
            externalID = request.externalID
            snapshot = request.snapshot
        }
    }

    static func of<Value: Encodable>(_ value: Value) -> String {
        guard let hash = try? HashingEncoder.hash(value) else { return "unencodable" }
        return String(hash, radix: 16)
    }
}

/// FNV-1a 64 over bytes.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x100_0000_01b3
    }

    mutating func add(text: String) {
        for byte in text.utf8 { add(byte: byte) }
        add(byte: 0xff)
    }

    mutating func add(word number: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { add(byte: UInt8(truncatingIfNeeded: number >> UInt64(shift))) }
    }
}

/// An `Encoder` whose output is a hash. Each container hashes into a slot its parent reads when
/// it computes its own hash, so nested containers need no "finished" call.
final class HashingEncoder: Encoder {
    let codingPath: [any CodingKey] = []
    let userInfo: [CodingUserInfoKey: Any] = [:]
    fileprivate var slot = Slot()

    static func hash<Value: Encodable>(_ value: Value) throws -> UInt64 {
        let encoder = HashingEncoder()
        try value.encode(to: encoder)
        return encoder.slot.hash
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedHasher<Key>(slot: slot.keyed()))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedHasher(slot: slot.unkeyed())
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleHasher(encoder: self)
    }
}

/// What one encoded value hashed to: a scalar, or a container whose entries are collected.
///
/// Entries live in arrays of their own rather than in an enum payload, so appending one does
/// not copy the ones before it.
fileprivate final class Slot {
    enum Kind {
        case empty, scalar, keyed, unkeyed
    }

    private(set) var kind = Kind.empty
    private var scalar: UInt64 = 0
    private var entries: [(key: String, value: Slot)] = []
    private(set) var elements: [Slot] = []

    func keyed() -> Slot {
        if kind != .keyed {
            kind = .keyed
            entries = []
        }
        return self
    }

    func unkeyed() -> Slot {
        if kind != .unkeyed {
            kind = .unkeyed
            elements = []
        }
        return self
    }

    func child(forKey key: String) -> Slot {
        let child = Slot()
        if kind == .keyed { entries.append((key, child)) }
        return child
    }

    func element() -> Slot {
        let child = Slot()
        if kind == .unkeyed { elements.append(child) }
        return child
    }

    var hash: UInt64 {
        var fnv = FNV1a()
        switch kind {
        case .empty:
            fnv.add(byte: 0)
        case .scalar:
            fnv.add(byte: 1)
            fnv.add(word: scalar)
        case .keyed:
            // Order-independent: the sum of each entry's own hash.
            var sum: UInt64 = 0
            for entry in entries {
                var pair = FNV1a()
                pair.add(text: entry.key)
                pair.add(word: entry.value.hash)
                sum &+= pair.value
            }
            fnv.add(byte: 2)
            fnv.add(word: sum)
        case .unkeyed:
            fnv.add(byte: 3)
            for element in elements { fnv.add(word: element.hash) }
        }
        return fnv.value
    }

    func set(tag: UInt8, _ bytes: (inout FNV1a) -> Void) {
        var fnv = FNV1a()
        fnv.add(byte: tag)
        bytes(&fnv)
        kind = .scalar
        scalar = fnv.value
    }

    func setNil() { set(tag: 20) { _ in } }
    func set(_ text: String) { set(tag: 10) { $0.add(text: text) } }
    func set(_ flag: Bool) { set(tag: 11) { $0.add(byte: flag ? 1 : 0) } }
    func set(_ number: Int64) { set(tag: 14) { $0.add(word: UInt64(bitPattern: number)) } }
    func set(_ number: Double) { set(tag: 15) { $0.add(word: number.bitPattern) } }

    /// Scalars are told apart by comparing metatypes, which is a pointer comparison; a failed
    /// `as?` cast is a runtime call, and most values (ids, enums, nested models) fail them all.
    func encode<Value: Encodable>(_ value: Value) throws {
        let type = Value.self
        if type == String.self, let text = value as? String {
            set(text)
        } else if type == Date.self, let date = value as? Date {
            set(tag: 12) { $0.add(word: date.timeIntervalSinceReferenceDate.bitPattern) }
        } else if type == Int.self, let number = value as? Int {
            set(Int64(number))
        } else if type == Bool.self, let flag = value as? Bool {
            set(flag)
        } else if type == Decimal.self, let decimal = value as? Decimal {
            set(tag: 13) { $0.add(text: NSDecimalNumber(decimal: decimal).stringValue) }
        } else if type == Int64.self, let number = value as? Int64 {
            set(number)
        } else if type == Double.self, let number = value as? Double {
            set(number)
        } else {
            let nested = HashingEncoder()
            nested.slot = self
            try value.encode(to: nested)
        }
    }
}

private struct KeyedHasher<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { slot.child(forKey: key.stringValue).setNil() }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try slot.child(forKey: key.stringValue).encode(value) }
    // The scalars models use, without the generic path's dynamic casts.
    mutating func encode(_ value: String, forKey key: Key) throws { slot.child(forKey: key.stringValue).set(value) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { slot.child(forKey: key.stringValue).set(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { slot.child(forKey: key.stringValue).set(Int64(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { slot.child(forKey: key.stringValue).set(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { slot.child(forKey: key.stringValue).set(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(KeyedHasher<NestedKey>(slot: slot.child(forKey: key.stringValue).keyed()))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        UnkeyedHasher(slot: slot.child(forKey: key.stringValue).unkeyed())
    }

    mutating func superEncoder() -> any Encoder { encoder(for: slot.child(forKey: "super")) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { encoder(for: slot.child(forKey: key.stringValue)) }

    private func encoder(for slot: Slot) -> any Encoder {
        let encoder = HashingEncoder()
        encoder.slot = slot
        return encoder
    }
}

private struct UnkeyedHasher: UnkeyedEncodingContainer {
    let slot: Slot
    var codingPath: [any CodingKey] { [] }
    var count: Int { slot.kind == .unkeyed ? slot.elements.count : 0 }

    mutating func encodeNil() throws { slot.element().setNil() }
    mutating func encode<T: Encodable>(_ value: T) throws { try slot.element().encode(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(KeyedHasher<NestedKey>(slot: slot.element().keyed()))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedHasher(slot: slot.element().unkeyed())
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = HashingEncoder()
        encoder.slot = slot.element()
        return encoder
    }
}

private struct SingleHasher: SingleValueEncodingContainer {
    let encoder: HashingEncoder
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { encoder.slot.setNil() }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.slot.encode(value) }
    mutating func encode(_ value: String) throws { encoder.slot.set(value) }
    mutating func encode(_ value: Bool) throws { encoder.slot.set(value) }
    mutating func encode(_ value: Int) throws { encoder.slot.set(Int64(value)) }
    mutating func encode(_ value: Int64) throws { encoder.slot.set(value) }
    mutating func encode(_ value: Double) throws { encoder.slot.set(value) }
}
