import PostgresNIO

/// The `WHERE` of a filtered query: one condition per filter that is set, joined with `AND`,
/// and the values bound to them.
struct PostgresConditions {
    private var conditions: [String] = []
    private(set) var bindings = PostgresBindings()

    /// Adds `column comparison value` when `value` is set.
    mutating func add(_ column: String, _ value: (some PostgresDynamicTypeEncodable)?, comparison: String = "=") {
        guard let value else { return }
        bindings.append(value)
        conditions.append("\(column) \(comparison) $\(bindings.count)")
    }

    var whereClause: String { conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ") }

    /// `select` (without a `WHERE`) filtered by these conditions, then `ordering` (`ORDER BY…`)
    /// and, when set, `LIMIT limit`.
    func query(_ select: String, _ ordering: String, limit: Int? = nil) -> PostgresQuery {
        var bindings = bindings
        var sql = select + whereClause + " " + ordering
        if let limit {
            bindings.append(limit)
            sql += " LIMIT $\(bindings.count)"
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
