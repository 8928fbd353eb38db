/// Everything a store holds, as text per collection (a table, for SQL engines), for tests that
/// must prove a failed operation left the store exactly as it was.
public struct StoreContents: Equatable, Sendable, CustomStringConvertible {
    /// Rows per collection, each as one line, in a stable order.
    public var tables: [String: [String]]

    public init(tables: [String: [String]]) {
        self.tables = tables
    }

    /// Row counts per collection.
    public var counts: [String: Int] { tables.mapValues(\.count) }

    public var description: String {
        tables.keys.sorted().map { "\($0): \(tables[$0]?.count ?? 0) rows" }.joined(separator: ", ")
    }
}
