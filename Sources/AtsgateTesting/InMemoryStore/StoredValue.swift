import AtsgateCore
import Foundation

/// One column value as the SQLite engine stores it (NULL, an integer or text), so the in-memory
/// store compares and renders values the way that engine does.
enum StoredValue: Sendable, CustomStringConvertible {
    case null
    case integer(Int64)
    case text(String)

    static func text(_ value: String?) -> StoredValue { value.map { .text($0) } ?? .null }
    static func integer(_ value: Int?) -> StoredValue { value.map { .integer(Int64($0)) } ?? .null }
    static func integer(_ value: Int64?) -> StoredValue { value.map { .integer($0) } ?? .null }
    static func boolean(_ value: Bool) -> StoredValue { .integer(value ? 1 : 0) }
    static func date(_ value: Date?) -> StoredValue { value.map { .text($0.storedText) } ?? .null }
    static func raw<Value: RawRepresentable>(_ value: Value?) -> StoredValue where Value.RawValue == String { text(value?.rawValue) }
    static func decimal(_ value: Decimal?) -> StoredValue {
        // GRDB stores a Decimal as its en_US_POSIX text.
        value.map { .text(NSDecimalNumber(decimal: $0).description(withLocale: Locale(identifier: "en_US_POSIX"))) } ?? .null
    }

    /// GRDB's `DatabaseValue` description: text quoted, NULL spelled out.
    var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .text(let value): String(reflecting: value)
        }
    }
}

extension StoredValue: Equatable {
    /// Text compares byte for byte, as SQLite compares it (Swift's `==` on strings would treat
    /// canonically equivalent spellings as equal, and an import would miss such an edit).
    static func == (lhs: StoredValue, rhs: StoredValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.integer(left), .integer(right)): left == right
        case let (.text(left), .text(right)): left.utf8.elementsEqual(right.utf8)
        default: false
        }
    }
}

/// A row rendered as `[column:value …]`, the way the SQLite engine's dump renders it.
struct RenderedRow {
    var columns: [(name: String, value: StoredValue)]

    init(_ columns: [(String, StoredValue)]) {
        self.columns = columns.map { (name: $0.0, value: $0.1) }
    }

    var line: String { "[" + columns.map { "\($0.name):\($0.value)" }.joined(separator: " ") + "]" }
}

extension Date {
    /// The date as the SQLite engine reads it back: its text (rounded to the millisecond) parsed
    /// into components and turned into a date by a UTC calendar, as GRDB does, so both engines
    /// hand out the very same `Date`.
    var atStoragePrecision: Date {
        let parts = StoredDateParts(self)
        return StoredDateParts.calendar.date(from: DateComponents(
            year: parts.civil.year, month: parts.civil.month, day: parts.civil.day,
            hour: parts.civil.hour, minute: parts.civil.minute, second: parts.civil.second, nanosecond: Int(parts.millisecond) * 1_000_000
        )) ?? self
    }

    /// `yyyy-MM-dd HH:mm:ss.SSS` in UTC, the text SQLite holds for a date.
    var storedText: String {
        let parts = StoredDateParts(self)
        func padded(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(padded(parts.civil.year, 4))-\(padded(parts.civil.month, 2))-\(padded(parts.civil.day, 2)) "
            + "\(padded(parts.civil.hour, 2)):\(padded(parts.civil.minute, 2)):\(padded(parts.civil.second, 2)).\(padded(Int(parts.millisecond), 3))"
    }
}

/// A date split as SQLite's text holds it: the UTC calendar fields of its whole second, and the
/// millisecond (rounded to the nearest, as GRDB's formatter rounds).
private struct StoredDateParts {
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.locale = Locale(identifier: "en_US_POSIX")
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? .current
        return calendar
    }()

    var civil: DateComponents
    var millisecond: Int64

    init(_ date: Date) {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1_000).rounded())
        let (seconds, millisecond) = milliseconds.quotientAndRemainderFlooring(dividingBy: 1_000)
        civil = Self.calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        self.millisecond = millisecond
    }
}

extension Optional<Date> {
    var atStoragePrecision: Date? { map(\.atStoragePrecision) }
}

extension Int64 {
    fileprivate func quotientAndRemainderFlooring(dividingBy divisor: Int64) -> (Int64, Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
