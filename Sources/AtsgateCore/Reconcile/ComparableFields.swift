public import Foundation

/// A job's fields as reconciliation compares them: target field name → normalized text.
///
/// Both sides are normalized the same way, so `"120000.0"` (Loxo's money) equals `120000.00`
/// (what the mapping sent), and `" Acme "` equals `"Acme"`. A digest of the fields is stored
/// when a delivery succeeds; reconciliation only maps a job again when the target's digest differs.
public struct ComparableFields: Hashable, Sendable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = [:]
        for (name, value) in values { self[name] = value }
    }

    public subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue.map(Self.normalized) }
    }

    public var isEmpty: Bool { values.isEmpty }

    /// Text as compared: trimmed; numbers in their shortest exact form (`120000.50` → `120000.5`).
    ///
    /// Every connector calls this for every field of every job it lists, so the common cases
    /// (text with nothing to trim, a plain decimal) avoid Foundation's bridged trimming and `Decimal`.
    public static func normalized(_ text: String) -> String {
        let trimmed: String
        if let first = text.unicodeScalars.first, let last = text.unicodeScalars.last, !isWhitespace(first), !isWhitespace(last) {
            trimmed = text
        } else {
            trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let number = NumberText(trimmed) else { return trimmed }
        if let plain = number.shortest { return plain }
        guard let value = Decimal(string: trimmed, locale: posix) else { return trimmed }
        return NSDecimalNumber(decimal: value).description(withLocale: posix)
    }

    private static let posix = Locale(identifier: "en_US_POSIX")

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII, scalar.properties.isAlphabetic || (0x30...0x39).contains(scalar.value) { return false }
        return CharacterSet.whitespacesAndNewlines.contains(scalar)
    }

    /// Text shaped `-?digits(.digits)?`; anything else (`1.2.3`, `1e5`, `12,5`) is compared as text.
    private struct NumberText {
        var negative: Bool
        var integer: ArraySlice<UInt8>
        var fraction: ArraySlice<UInt8>

        init?(_ text: String) {
            var bytes = ArraySlice(text.utf8)
            negative = bytes.first == UInt8(ascii: "-")
            if negative { bytes.removeFirst() }
            let dot = bytes.firstIndex(of: UInt8(ascii: "."))
            integer = bytes[..<(dot ?? bytes.endIndex)]
            fraction = dot.map { bytes[($0 + 1)...] } ?? []
            guard !integer.isEmpty, integer.allSatisfy(isDigit), fraction.allSatisfy(isDigit), dot == nil || !fraction.isEmpty else { return nil }
        }

        /// The shortest exact form (leading zeros and trailing fraction zeros dropped, `-0` as `0`),
        /// written without `Decimal` for up to 18 significant digits; `nil` for longer numbers.
        var shortest: String? {
            var integer = integer
            var fraction = fraction
            while integer.count > 1, integer.first == UInt8(ascii: "0") { integer.removeFirst() }
            while fraction.last == UInt8(ascii: "0") { fraction.removeLast() }
            let significant = (integer.elementsEqual([UInt8(ascii: "0")]) ? 0 : integer.count) + fraction.count
            guard significant <= 18 else { return nil }
            if significant == 0 { return "0" }
            var result = negative ? "-" : ""
            result += String(decoding: integer, as: UTF8.self)
            if !fraction.isEmpty { result += "." + String(decoding: fraction, as: UTF8.self) }
            return result
        }
    }

    /// The fields (of `names`, a missing one as empty) that differ between `self` and `other`.
    public func differences(from other: ComparableFields, in names: some Sequence<String>) -> [String] {
        names.filter { (values[$0] ?? "") != (other.values[$0] ?? "") }.sorted()
    }

    /// FNV-1a over `name=value` lines in name order: cheap, stable across runs and versions.
    /// Not a security measure; a collision would only hide one drift until the job changes.
    public var digestValue: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ 0x3d) &* 0x100_0000_01b3
            for byte in value.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ 0x0a) &* 0x100_0000_01b3
        }
        return hash
    }

    /// ``digestValue`` in hex, as `sent_fields_digest` stores it.
    public var digest: String { String(digestValue, radix: 16) }
}
