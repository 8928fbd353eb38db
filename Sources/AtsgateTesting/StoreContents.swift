public import AtsgateSQLite
import GRDB

/// Every row of every table, for tests that must prove a failed operation left the database exactly as it was.
public struct StoreContents: Equatable, Sendable, CustomStringConvertible {
    public var tables: [String: [String]]

    public static func of(_ store: SQLiteStore) async throws -> StoreContents {
        try await store.reader.read { db in
            let names = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            var tables: [String: [String]] = [:]
            for name in names {
                tables[name] = try Row.fetchAll(db, sql: "SELECT * FROM \(name) ORDER BY rowid").map(\.description)
            }
            return StoreContents(tables: tables)
        }
    }

    /// Row counts per table.
    public var counts: [String: Int] { tables.mapValues(\.count) }

    public var description: String {
        tables.keys.sorted().map { "\($0): \(tables[$0]?.count ?? 0) rows" }.joined(separator: ", ")
    }
}
