public import AtsgateCore
public import GRDB
import Foundation

/// The embedded store: one SQLite file in WAL mode, with foreign keys on and `synchronous = FULL`
/// so a committed outbox row survives a power loss, not only a crash.
///
/// Code depends on `any DatabaseWriter`, so tests can hand in an in-memory `DatabaseQueue`.
///
/// ## Topics
/// ### Opening
/// - ``open(path:)``
/// - ``init(writer:)``
public struct SQLiteStore: Sendable {
    let writer: any DatabaseWriter

    /// Read access for tools and tests (benchmarks, snapshots); every write goes through the store's methods.
    public var reader: any DatabaseReader { writer }

    /// Opens (or creates) the database file and brings its schema up to date.
    public static func open(path: String) throws(StoreError) -> SQLiteStore {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Several processes (workers, `jobs qualify`) share the file; wait for the writer lock.
        configuration.busyMode = .timeout(10)
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            // DatabasePool sets NORMAL on its writer after `prepareDatabase`; set FULL afterwards and check it.
            let synchronous = try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                return try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            guard synchronous == 2 else {
                throw StoreError(.unavailable, "SQLite refused synchronous = FULL on \(path)")
            }
            return try SQLiteStore(writer: pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "cannot open SQLite database at \(path): \(Self.describe(error))")
        }
    }

    /// Uses an open database (an in-memory queue in tests) and migrates it.
    public init(writer: any DatabaseWriter) throws(StoreError) {
        self.writer = writer
        do {
            try SQLiteMigrations.migrator.migrate(writer)
        } catch {
            throw StoreError(.unavailable, "cannot migrate the database: \(Self.describe(error))")
        }
    }

    /// Migrations the database holds, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await writer.read { db in try SQLiteMigrations.migrator.appliedIdentifiers(db).sorted() }
    }

    /// The version of the SQLite library this process runs on, e.g. `3.40.1`.
    public static func libraryVersion() -> String {
        (try? DatabaseQueue().read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") }) ?? "unknown"
    }

    /// Every migration this build knows.
    public static var knownMigrations: [String] { SQLiteMigrations.migrator.migrations }

    /// The database's durability settings, as SQLite reports them.
    public func durability() async throws -> (journalMode: String, synchronous: Int) {
        try await writer.writeWithoutTransaction { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "unknown"
            let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
            return (mode, synchronous)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return error.message ?? "SQLite error \(error.resultCode)"
        }
        return String(describing: error)
    }

    /// Runs a write transaction, translating database failures into ``StoreError`` and letting domain errors through.
    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await writer.write(body)
        } catch let error as DatabaseError {
            throw StoreError(.unavailable, "database write failed: \(Self.describe(error))")
        }
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await writer.read(body)
        } catch let error as DatabaseError {
            throw StoreError(.unavailable, "database read failed: \(Self.describe(error))")
        }
    }
}
