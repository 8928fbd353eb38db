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
fileprivate final class Slot {
    enum Content {
        case empty
        case scalar(UInt64)
        case keyed([(key: String, value: Slot)])
        case unkeyed([Slot])
    }

    var content = Content.empty

    func keyed() -> Slot {
        if case .keyed = content { return self }
        content = .keyed([])
        return self
    }

    func unkeyed() -> Slot {
        if case .unkeyed = content { return self }
        content = .unkeyed([])
        return self
    }

    func child(forKey key: String) -> Slot {
        let child = Slot()
        if case .keyed(var entries) = content {
            entries.append((key, child))
            content = .keyed(entries)
        }
        return child
    }

    func element() -> Slot {
        let child = Slot()
        if case .unkeyed(var elements) = content {
            elements.append(child)
            content = .unkeyed(elements)
        }
        return child
    }

    var hash: UInt64 {
        var fnv = FNV1a()
        switch content {
        case .empty:
            fnv.add(byte: 0)
        case .scalar(let value):
            fnv.add(byte: 1)
            fnv.add(word: value)
        case .keyed(let entries):
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
        case .unkeyed(let elements):
            fnv.add(byte: 3)
            for element in elements { fnv.add(word: element.hash) }
        }
        return fnv.value
    }

    func set(tag: UInt8, _ bytes: (inout FNV1a) -> Void) {
        var fnv = FNV1a()
        fnv.add(byte: tag)
        bytes(&fnv)
        content = .scalar(fnv.value)
    }

    func encode<Value: Encodable>(_ value: Value) throws {
        switch value {
        case let text as String: set(tag: 10) { $0.add(text: text) }
        case let flag as Bool: set(tag: 11) { $0.add(byte: flag ? 1 : 0) }
        case let date as Date: set(tag: 12) { $0.add(word: date.timeIntervalSinceReferenceDate.bitPattern) }
        case let decimal as Decimal: set(tag: 13) { $0.add(text: NSDecimalNumber(decimal: decimal).stringValue) }
        case let number as Int: set(tag: 14) { $0.add(word: UInt64(bitPattern: Int64(number))) }
        case let number as Int64: set(tag: 14) { $0.add(word: UInt64(bitPattern: number)) }
        case let number as Double: set(tag: 15) { $0.add(word: number.bitPattern) }
        default:
            let nested = HashingEncoder()
            nested.slot = self
            try value.encode(to: nested)
        }
    }
}

private struct KeyedHasher<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { slot.child(forKey: key.stringValue).set(tag: 20) { _ in } }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try slot.child(forKey: key.stringValue).encode(value) }

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
    var count: Int {
        if case .unkeyed(let elements) = slot.content { return elements.count }
        return 0
    }

    mutating func encodeNil() throws { slot.element().set(tag: 20) { _ in } }
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

    mutating func encodeNil() throws { encoder.slot.set(tag: 20) { _ in } }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.slot.encode(value) }
}
