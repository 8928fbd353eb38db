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
    private let wakeups: Wakeups

    /// How the store rings workers: a file's workers may be other processes (named pipes next
    /// to the file); a database handed in by its writer has only this process's workers.
    private enum Wakeups: Sendable {
        case pipes(databasePath: String)
        case inProcess(InProcessDoorbell)
    }

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
            return try SQLiteStore(writer: pool, wakeups: .pipes(databasePath: path))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "cannot open SQLite database at \(path): \(Self.describe(error))")
        }
    }

    /// Uses an open database (an in-memory queue in tests) and migrates it. Its wake-ups reach
    /// this process's workers only.
    public init(writer: any DatabaseWriter) throws(StoreError) {
        try self.init(writer: writer, wakeups: .inProcess(InProcessDoorbell()))
    }

    private init(writer: any DatabaseWriter, wakeups: Wakeups) throws(StoreError) {
        self.writer = writer
        self.wakeups = wakeups
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

    public func wakeupListener() -> any WakeupListener {
        switch wakeups {
        case .pipes(let path): FIFODoorbell(databasePath: path)
        case .inProcess(let doorbell): doorbell.listener()
        }
    }

    /// Rings the workers after a commit that queued or re-queued work.
    func notifyWorkers() {
        switch wakeups {
        case .pipes(let path): FIFODoorbell(databasePath: path).notifyWorkers()
        case .inProcess(let doorbell): doorbell.notifyWorkers()
        }
    }

    public func describe() async throws -> StoreDescription {
        let (journalMode, synchronous) = try await durability()
        let location = switch wakeups {
        case .pipes(let path): path
        case .inProcess: writer.path
        }
        return StoreDescription(
            engine: "SQLite \(Self.libraryVersion())",
            location: location,
            settings: [.init("journal_mode", journalMode), .init("synchronous", Self.synchronousName(synchronous))],
            appliedMigrations: try await appliedMigrations(),
            knownMigrations: Self.knownMigrations
        )
    }

    private static func synchronousName(_ level: Int) -> String {
        switch level {
        case 0: "OFF"
        case 1: "NORMAL"
        case 2: "FULL"
        case 3: "EXTRA"
        default: String(level)
        }
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

    /// Every row of every table, each as text in rowid order: a diagnostic dump (tests compare
    /// two of them to prove an operation changed nothing).
    public func dumpTables() async throws -> [String: [String]] {
        try await read { db in
            let names = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            var tables: [String: [String]] = [:]
            for name in names {
                tables[name] = try Row.fetchAll(db, sql: "SELECT * FROM \(name) ORDER BY rowid").map(\.description)
            }
            return tables
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

    /// A write transaction that rings the workers after its commit when `queuedWork` says it
    /// queued or re-queued any.
    func write<T: Sendable>(
        ringingWorkersIf queuedWork: (T) -> Bool, _ body: @Sendable @escaping (Database) throws -> T
    ) async throws -> T {
        let result = try await write(body)
        if queuedWork(result) { notifyWorkers() }
        return result
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await writer.read(body)
        } catch let error as DatabaseError {
            throw StoreError(.unavailable, "database read failed: \(Self.describe(error))")
        }
    }
}

extension SQLiteStore: GatewayStore {}
