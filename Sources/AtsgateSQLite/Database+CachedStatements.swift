import GRDB

/// The store's hot paths run the same few statements for every row; compiling them once per
/// connection (GRDB's statement cache) instead of once per use is most of their cost.
///
/// Rows are decoded while the cursor stands on them: GRDB then finds a column by name in a
/// dictionary built once per statement, where a copied row lowercases every column name on
/// every lookup, and values are read straight from SQLite without being copied first.
extension Database {
    func cachedFetchAll<Value>(sql: String, arguments: StatementArguments = StatementArguments(), _ decode: (Row) throws -> Value) throws -> [Value] {
        let rows = try Row.fetchCursor(cachedStatement(sql: sql), arguments: arguments)
        var values: [Value] = []
        while let row = try rows.next() {
            values.append(try decode(row))
        }
        return values
    }

    func cachedFetchOne<Value>(sql: String, arguments: StatementArguments = StatementArguments(), _ decode: (Row) throws -> Value) throws -> Value? {
        let rows = try Row.fetchCursor(cachedStatement(sql: sql), arguments: arguments)
        return try rows.next().map(decode)
    }

    func cachedExists(sql: String, arguments: StatementArguments = StatementArguments()) throws -> Bool {
        try Row.fetchCursor(cachedStatement(sql: sql), arguments: arguments).next() != nil
    }

    func cachedExecute(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
