import AtsgateCore
import AtsgateSQLite

/// Where the data lives, read from `--database`; the one place that knows the storage engines.
///
/// A path or `sqlite:PATH` (`sqlite://PATH`) is SQLite; `postgres://` and `postgresql://` name
/// PostgreSQL, which this build cannot use yet.
enum StoreLocation: Hashable {
    case sqlite(path: String)

    init(url: String) throws(StoreError) {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            throw StoreError(.unsupportedEngine, "--database: PostgreSQL is not supported by this build yet; use a SQLite path or sqlite:PATH")
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

    /// Opens the store and brings its schema up to date.
    func open() throws(StoreError) -> any GatewayStore {
        switch self {
        case .sqlite(let path): try SQLiteStore.open(path: path)
        }
    }

    /// The storage libraries this build links, for `--version`.
    static var engineVersions: [(name: String, version: String)] {
        [("sqlite", SQLiteStore.libraryVersion())]
    }
}
