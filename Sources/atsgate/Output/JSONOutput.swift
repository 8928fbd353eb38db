import Foundation

/// Writes command results as JSON: snake_case keys as in the data model, ISO-8601 UTC dates, sorted keys.
enum JSONOutput {
    static func print<Value: Encodable>(_ value: Value) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

extension Date {
    /// `2026-11-22T10:15:00Z`, for tables.
    var isoText: String { formatted(.iso8601) }
}
