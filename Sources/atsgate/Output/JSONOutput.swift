import Foundation

/// Writes command results as JSON: snake_case keys as in the data model, ISO-8601 UTC dates, sorted keys.
enum JSONOutput {
    /// - Parameter keepingKeys: print keys exactly as given (a target's own field names), not converted to snake_case.
    static func print<Value: Encodable>(_ value: Value, keepingKeys: Bool = false) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        if !keepingKeys { encoder.keyEncodingStrategy = .convertToSnakeCase }
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

extension Date {
    /// `2026-11-22T10:15:00Z`, for tables.
    var isoText: String { formatted(.iso8601) }
}
