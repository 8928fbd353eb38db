import Foundation

/// Reads typed fields out of one ``ImportRecord``, collecting every problem instead of stopping at the first.
///
/// Strings are trimmed; an empty string counts as absent. CSV cells arrive as strings, so numbers,
/// booleans and dates are also accepted in their text form.
struct RecordReader {
    let record: ImportRecord
    private(set) var issues: [ImportIssue] = []

    init(_ record: ImportRecord) {
        self.record = record
    }

    static let maximumTextLength = 20_000
    static let maximumShortTextLength = 500

    mutating func fail(_ field: String?, _ reason: String) {
        issues.append(ImportIssue(location: record.location, field: field, reason: reason))
    }

    /// Flags fields the entity does not have: a misspelt column must not be dropped silently.
    mutating func rejectUnknownFields(allowed: Set<String>) {
        for field in record.fields.keys.sorted() where !allowed.contains(field) {
            fail(field, "unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    mutating func requiredString(_ field: String, maximumLength: Int = maximumShortTextLength) -> String? {
        let value = optionalString(field, maximumLength: maximumLength)
        if value == nil, !issues.contains(where: { $0.field == field }) {
            fail(field, "is required")
        }
        return value
    }

    mutating func optionalString(_ field: String, maximumLength: Int = maximumShortTextLength) -> String? {
        switch record.fields[field] {
        case nil, .null:
            return nil
        case .string(let raw):
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { return nil }
            // SQLite would cut the text at a NUL: `a\u{0}b` would name record `a`.
            guard !trimmed.unicodeScalars.contains("\u{0}") else {
                fail(field, "must not contain a NUL character (U+0000)")
                return nil
            }
            guard trimmed.count <= maximumLength else {
                fail(field, "is longer than \(maximumLength) characters")
                return nil
            }
            return trimmed
        case let .some(other):
            fail(field, "must be a string, found \(other.kindDescription)")
            return nil
        }
    }

    mutating func requiredID<Entity>(_ field: String, as type: EntityID<Entity>.Type = EntityID<Entity>.self) -> EntityID<Entity>? {
        requiredString(field, maximumLength: 200).map(EntityID.init(rawValue:))
    }

    mutating func optionalID<Entity>(_ field: String, as type: EntityID<Entity>.Type = EntityID<Entity>.self) -> EntityID<Entity>? {
        optionalString(field, maximumLength: 200).map(EntityID.init(rawValue:))
    }

    mutating func requiredEnum<Value: RawRepresentable & CaseIterable>(_ field: String, as type: Value.Type) -> Value?
    where Value.RawValue == String {
        let value = optionalEnum(field, as: type)
        if value == nil, !issues.contains(where: { $0.field == field }) {
            fail(field, "is required")
        }
        return value
    }

    mutating func optionalEnum<Value: RawRepresentable & CaseIterable>(_ field: String, as type: Value.Type) -> Value?
    where Value.RawValue == String {
        guard let raw = optionalString(field) else { return nil }
        guard let value = Value(rawValue: raw) ?? Value(rawValue: raw.lowercased()) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            fail(field, "'\(raw)' is not one of: \(allowed)")
            return nil
        }
        return value
    }

    mutating func optionalDecimal(_ field: String) -> Decimal? {
        switch record.fields[field] {
        case nil, .null:
            return nil
        case .number(let number):
            return number
        case .string(let raw):
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return nil }
            guard let number = Self.strictDecimal(trimmed) else {
                fail(field, "'\(trimmed)' is not a number")
                return nil
            }
            return number
        case let .some(other):
            fail(field, "must be a number, found \(other.kindDescription)")
            return nil
        }
    }

    mutating func bool(_ field: String, default defaultValue: Bool) -> Bool {
        switch record.fields[field] {
        case nil, .null:
            return defaultValue
        case .bool(let value):
            return value
        case .string(let raw):
            switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
            case "": return defaultValue
            case "true", "yes", "1": return true
            case "false", "no", "0": return false
            default:
                fail(field, "'\(raw)' is not a boolean (true or false)")
                return defaultValue
            }
        case let .some(other):
            fail(field, "must be a boolean, found \(other.kindDescription)")
            return defaultValue
        }
    }

    mutating func optionalDate(_ field: String) -> Date? {
        guard let raw = optionalString(field) else { return nil }
        guard let date = Self.parseTimestamp(raw) else {
            fail(field, "'\(raw)' is not an ISO-8601 timestamp (e.g. 2026-10-14T09:30:00Z)")
            return nil
        }
        return date
    }

    mutating func optionalEmail(_ field: String) -> String? {
        guard let email = optionalString(field, maximumLength: 254) else { return nil }
        guard EmailAddress.isValid(email) else {
            // The value itself is personal data: name the field, not the address.
            fail(field, "is not a valid email address")
            return nil
        }
        return email
    }

    mutating func optionalWebURL(_ field: String) -> String? {
        guard let raw = optionalString(field, maximumLength: 2_000) else { return nil }
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host?.isEmpty == false
        else {
            fail(field, "'\(raw)' is not an http(s) URL")
            return nil
        }
        return raw
    }

    /// Accepts `-?digits(.digits)?` only: `Decimal(string:)` alone would read "12abc" as 12.
    static func strictDecimal(_ text: String) -> Decimal? {
        var scalars = Substring(text)
        if scalars.first == "-" { scalars = scalars.dropFirst() }
        let parts = scalars.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    static func parseTimestamp(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return nil
    }
}

/// The checks an address must pass before anything is queued to it.
public enum EmailAddress {
    /// A deliberately plain check: one `@`, a non-empty local part, a dotted domain, no spaces or controls.
    public static func isValid(_ address: String) -> Bool {
        guard address.count <= 254,
              !address.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }),
              !address.contains(where: { "<>,;\"()[]\\".contains($0) })
        else { return false }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last,
              !local.isEmpty, local.count <= 64
        else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }
    }
}
