import AtsgateCore
import AtsgatePostgres
import AtsgateSQLite
import Logging

/// Where the data lives, read from `--database`; the one place that knows the storage engines.
///
/// A path or `sqlite:PATH` (`sqlite://PATH`) is SQLite; `postgres://` and `postgresql://` name
/// PostgreSQL (see ``PostgresLocation`` for its options).
enum StoreLocation: Hashable {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    init(url: String, environment: [String: String]) throws(StoreError) {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(url: url, environment: environment))
            return
        }
        var path = url
        for prefix in ["sqlite://", "sqlite:"] where path.hasPrefix(prefix) {
            path.removeFirst(prefix.count)
            break
        }
        if let scheme = path.range(of: "://").map({ path[..<$0.lowerBound] }), !scheme.contains("/") {
            throw StoreError(.unsupportedEngine, "--database: no storage engine is called '\(scheme)'; use a SQLite path, sqlite:PATH or postgres://")
        }
        guard !path.isEmpty else { throw StoreError(.invalidLocation, "--database: the SQLite path is empty") }
        self = .sqlite(path: path)
    }

    /// Opens the store for `body`, its schema brought up to date; PostgreSQL's connection pool
    /// runs while `body` does.
    func withStore<Result: Sendable>(logger: Logger, _ body: (any GatewayStore) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite(let path):
            return try await body(try SQLiteStore.open(path: path))
        case .postgres(let location):
            return try await PostgresStore.withStore(at: location, logger: logger) { store in try await body(store) }
        }
    }

    /// The storage libraries this build links, for `--version`.
    static var engineVersions: [(name: String, version: String)] {
        [("sqlite", SQLiteStore.libraryVersion())]
    }
}
