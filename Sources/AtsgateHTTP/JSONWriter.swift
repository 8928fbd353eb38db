public import Foundation
public import NIOCore

/// Writes a JSON document straight into a `ByteBuffer`.
///
/// For request bodies written on every delivery: `JSONEncoder` boxes each value and dispatches
/// through generic containers, which cost more CPU than the HTTP request that carries the body.
/// Keys are `StaticString` literals and are written as given, so they must be plain JSON-safe
/// text; values are escaped. A `nil` optional leaves its key out, as `encodeIfPresent` does.
///
/// ```swift
/// var writer = JSONWriter()
/// writer.object { job in
///     job.field("id", "job-1")
///     job.field("version", 3)
///     job.field("notes", notes)            // left out when nil
/// }
/// let body = writer.buffer
/// ```
public struct JSONWriter {
    public private(set) var buffer: ByteBuffer
    /// Whether the container being written has no entry yet (no comma before the next one).
    private var atContainerStart = true

    public init(capacity: Int = 1_024) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    // MARK: - Containers

    /// Writes an object; `fields` adds its entries.
    public mutating func object(_ fields: (inout JSONWriter) -> Void) {
        buffer.writeInteger(UInt8(ascii: "{"))
        let outer = atContainerStart
        atContainerStart = true
        fields(&self)
        atContainerStart = outer
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    /// Writes an array of `elements`, each written by `element` (which writes one value).
    public mutating func array<Element>(_ elements: some Sequence<Element>, _ element: (inout JSONWriter, Element) -> Void) {
        buffer.writeInteger(UInt8(ascii: "["))
        var first = true
        for value in elements {
            if !first { buffer.writeInteger(UInt8(ascii: ",")) }
            first = false
            element(&self, value)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    // MARK: - Object entries

    public mutating func field(_ key: StaticString, object fields: (inout JSONWriter) -> Void) {
        writeKey(key)
        object(fields)
    }

    public mutating func field<Element>(_ key: StaticString, array elements: some Sequence<Element>, _ element: (inout JSONWriter, Element) -> Void) {
        writeKey(key)
        array(elements, element)
    }

    public mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        writeKey(key)
        string(value)
    }

    public mutating func field(_ key: StaticString, _ value: Int?) {
        guard let value else { return }
        writeKey(key)
        buffer.writeString(String(value))
    }

    /// A decimal as a JSON number, in its shortest exact form (`55000.5`), as `JSONEncoder` writes it.
    public mutating func field(_ key: StaticString, _ value: Decimal?) {
        guard let value else { return }
        writeKey(key)
        buffer.writeString(value.description)
    }

    /// A date as an ISO 8601 string in UTC without fractional seconds, as `JSONEncoder`'s `.iso8601` writes it.
    public mutating func field(_ key: StaticString, iso8601 value: Date?) {
        guard let value else { return }
        writeKey(key)
        string(value.formatted(.iso8601))
    }

    public mutating func field<Value: RawRepresentable<String>>(_ key: StaticString, _ value: Value?) {
        field(key, value?.rawValue)
    }

    // MARK: - Values

    /// A JSON string: `"` and `\` are escaped, control characters become `\n`, `\t`, … or
    /// `\u00XX`; everything else is copied as UTF-8.
    public mutating func string(_ value: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var text = value
        text.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            var copiedUpTo = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[copiedUpTo..<index]))
                writeEscaped(byte)
                copiedUpTo = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[copiedUpTo...]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    // MARK: - Bytes

    private mutating func writeKey(_ key: StaticString) {
        if !atContainerStart { buffer.writeInteger(UInt8(ascii: ",")) }
        atContainerStart = false
        buffer.writeInteger(UInt8(ascii: "\""))
        key.withUTF8Buffer { _ = buffer.writeBytes(UnsafeRawBufferPointer($0)) }
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeInteger(UInt8(ascii: ":"))
    }

    private mutating func writeEscaped(_ byte: UInt8) {
        buffer.writeInteger(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer.writeInteger(byte)
        case UInt8(ascii: "\n"): buffer.writeInteger(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): buffer.writeInteger(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): buffer.writeInteger(UInt8(ascii: "t"))
        case 0x08: buffer.writeInteger(UInt8(ascii: "b"))
        case 0x0C: buffer.writeInteger(UInt8(ascii: "f"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            buffer.writeBytes([UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
        }
    }
}
