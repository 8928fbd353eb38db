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
    public static func normalized(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let first = trimmed.utf8.first, first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
           trimmed.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }),
           let number = Decimal(string: trimmed, locale: Locale(identifier: "en_US_POSIX")) {
            return NSDecimalNumber(decimal: number).description(withLocale: Locale(identifier: "en_US_POSIX"))
        }
        return trimmed
    }

    /// The fields (of `names`, a missing one as empty) that differ between `self` and `other`.
    public func differences(from other: ComparableFields, in names: some Sequence<String>) -> [String] {
        names.filter { (values[$0] ?? "") != (other.values[$0] ?? "") }.sorted()
    }

    /// FNV-1a over `name=value` lines in name order: cheap, stable across runs and versions.
    /// Not a security measure; a collision would only hide one drift until the job changes.
    public var digest: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for name in values.keys.sorted() {
            for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ 0x3d) &* 0x100_0000_01b3
            for byte in (values[name] ?? "").utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ 0x0a) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
