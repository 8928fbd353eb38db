import Foundation
import PostgresNIO

/// One column of a bulk write: its value for every row, bound as one array.
struct BulkColumn {
    var name: String
    /// The array's type in SQL, e.g. `text[]`, or `text[]::numeric[]` for values sent as text.
    var arrayType: String
    var values: any PostgresDynamicTypeEncodable

    static func text(_ name: String, _ values: [String?]) -> BulkColumn {
        BulkColumn(name: name, arrayType: "text[]", values: NullableArray(values))
    }

    /// Decimals travel as their exact text (postgres-nio has no arrays of `numeric`).
    static func numeric(_ name: String, _ values: [Decimal?]) -> BulkColumn {
        BulkColumn(name: name, arrayType: "text[]::numeric[]", values: NullableArray(values.map { $0.map { "\($0)" } }))
    }

    static func timestamp(_ name: String, _ values: [Date?]) -> BulkColumn {
        BulkColumn(name: name, arrayType: "timestamptz[]", values: NullableArray(values))
    }

    static func boolean(_ name: String, _ values: [Bool]) -> BulkColumn {
        BulkColumn(name: name, arrayType: "boolean[]", values: values)
    }
}

/// Inserts many rows of a table keyed by `keys` in one statement; a row whose key exists is
/// updated only where one of `compared` differs, so re-importing the same data writes nothing.
/// `insertOnly` columns are set on new rows and never updated; `created_at` and `updated_at` are `now`.
struct BulkUpsert {
    var table: String
    var rowCount: Int
    var keys: [BulkColumn]
    var compared: [BulkColumn]
    var insertOnly: [BulkColumn] = []
    /// More assignments of an update, e.g. `version = jobs.version + 1`.
    var extraAssignments: [String] = []

    /// The statement, returning `inserted` (and the `returning` columns) for every row it inserted
    /// or updated; unchanged rows are not returned.
    func query(now: Date, returning: String = "") -> PostgresQuery {
        let columns = keys + compared + insertOnly
        var bindings = PostgresBindings()
        var arrays: [String] = []
        for column in columns {
            bindings.append(column.values)
            arrays.append("$\(bindings.count)::\(column.arrayType)")
        }
        bindings.append(now)
        let nowParameter = "$\(bindings.count)"
        let assignments = compared.map { "\($0.name) = excluded.\($0.name)" } + extraAssignments + ["updated_at = excluded.updated_at"]
        let stored = compared.map { "\(table).\($0.name)" }.joined(separator: ", ")
        let incoming = compared.map { "excluded.\($0.name)" }.joined(separator: ", ")
        // An inserted row has no xmax yet; an updated one carries the updating transaction's.
        let sql = """
            INSERT INTO \(table) (\((columns.map(\.name) + ["created_at", "updated_at"]).joined(separator: ", ")))
            SELECT *, \(nowParameter), \(nowParameter) FROM unnest(\(arrays.joined(separator: ", ")))
            ON CONFLICT (\(keys.map(\.name).joined(separator: ", "))) DO UPDATE SET \(assignments.joined(separator: ", "))
            WHERE ROW(\(stored)) IS DISTINCT FROM ROW(\(incoming))
            RETURNING (xmax = 0) AS inserted\(returning.isEmpty ? "" : ", " + returning)
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
