import GRDB

/// The `WHERE` of a filtered query: one condition per filter that is set, joined with `AND`.
struct SQLConditions {
    private var conditions: [String] = []
    private var values: [any DatabaseValueConvertible] = []

    /// Adds `condition` (with one `?`) when `value` is set.
    mutating func add(_ condition: String, _ value: (any DatabaseValueConvertible)?) {
        guard let value else { return }
        conditions.append(condition)
        values.append(value)
    }

    var whereClause: String { conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ") }
    var arguments: StatementArguments { StatementArguments(values) }
}
