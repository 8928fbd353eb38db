import AtsgateCore
import AtsgatePostgres
import AtsgateSQLite
import Foundation
import GRDB
import Logging
import PostgresNIO

/// The two storage engines the `engines` phase compares.
enum Engine: String, CaseIterable, Sendable {
    case sqlite, postgres

    var title: String { self == .sqlite ? "SQLite" : "PostgreSQL" }
}

/// One fresh database of one round: a new SQLite file, or a new schema in the PostgreSQL database.
/// It knows the URL a worker process gets (`--database`) and runs the read-only SQL the checks need.
struct EngineDatabase: Sendable {
    let engine: Engine
    /// What `atsgate worker --database` gets.
    let url: String
    private let sqlitePath: String?
    private let postgres: PostgresLocation?

    /// A new SQLite file in `folder`, or a new schema `prefix_round` in the database of `postgresURL`.
    static func fresh(_ engine: Engine, round: String, folder: URL, postgresURL: String?, schemaPrefix: String) throws -> EngineDatabase {
        switch engine {
        case .sqlite:
            let path = folder.appendingPathComponent("\(round).sqlite").path
            return EngineDatabase(engine: engine, url: path, sqlitePath: path, postgres: nil)
        case .postgres:
            guard let postgresURL else { throw BenchmarkError("--postgres URL is required for the engines phase") }
            let url = postgresURL + (postgresURL.contains("?") ? "&" : "?") + "schema=\(schemaPrefix)_\(round)"
            let location = try PostgresLocation(url: url, environment: ProcessInfo.processInfo.environment)
            return EngineDatabase(engine: engine, url: url, sqlitePath: nil, postgres: location)
        }
    }

    static let quietLogger = Logger(label: "bench.store", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Opens the store (PostgreSQL: runs its pool and migrates) for `body`.
    func withStore<T: Sendable>(_ body: (any GatewayStore) async throws -> T) async throws -> T {
        if let sqlitePath {
            return try await body(try SQLiteStore.open(path: sqlitePath))
        }
        guard let postgres else { throw BenchmarkError("no database") }
        return try await PostgresStore.withStore(at: postgres, logger: Self.quietLogger) { store in try await body(store) }
    }

    // MARK: - Read-only SQL for the checks

    /// The first column of every row of `sql`, as numbers. Write the SQL so that both engines read
    /// it (`CAST(x AS double precision)` works in both).
    func numbers(_ sql: String) async throws -> [Double] {
        if let sqlitePath {
            let queue = try DatabaseQueue(path: sqlitePath)
            defer { try? queue.close() }
            return try await queue.read { db in try Double.fetchAll(db, sql: sql) }
        }
        return try await withPostgresConnection { connection in
            var values: [Double] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.quietLogger) {
                values.append(try row.decode(Double?.self) ?? .nan)
            }
            return values
        }
    }

    func number(_ sql: String) async throws -> Double {
        try await numbers(sql).first ?? .nan
    }

    /// A direct connection to the round's schema (PostgreSQL only).
    func withPostgresConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        guard let postgres else { throw BenchmarkError("not a PostgreSQL database") }
        let configuration = PostgresConnection.Configuration(
            host: postgres.host, port: postgres.port, username: postgres.username, password: postgres.password?.value,
            database: postgres.database, tls: .disable
        )
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 99, logger: Self.quietLogger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \(postgres.schema)"), logger: Self.quietLogger)
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Drops the round's schema (PostgreSQL); SQLite files go with the run's folder.
    func drop() async {
        guard let postgres else { return }
        _ = try? await withPostgresConnection { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(postgres.schema) CASCADE"), logger: Self.quietLogger)
        }
    }

    // MARK: - The checks

    /// sent_at − created_at of every sent row but the warm-up job's, in milliseconds, ascending.
    func sendLatenciesMilliseconds(excludingJob job: JobID) async throws -> [Double] {
        let expression = engine == .sqlite
            ? "(julianday(sent_at) - julianday(created_at)) * 86400000.0"
            : "CAST(extract(epoch FROM sent_at - created_at) * 1000 AS double precision)"
        return try await numbers("""
            SELECT \(expression) AS ms FROM job_external_submissions
            WHERE status = 'sent' AND job_id <> '\(job.rawValue)' ORDER BY ms
            """)
    }

    /// Seconds from the first attempt's start to the last attempt's end.
    func attemptSpanSeconds() async throws -> Double {
        let expression = engine == .sqlite
            ? "(julianday(max(finished_at)) - julianday(min(started_at))) * 86400.0"
            : "CAST(extract(epoch FROM max(finished_at) - min(started_at)) AS double precision)"
        return try await number("SELECT \(expression) FROM submission_attempts")
    }

    /// Rows by status, attempts (all, and those that were not a delivery), distinct remote ids of sent rows.
    func outboxCheck() async throws -> OutboxCheck {
        func count(_ sql: String) async throws -> Int { Int(try await number("SELECT CAST(count(*) AS double precision) \(sql)")) }
        return OutboxCheck(
            sent: try await count("FROM job_external_submissions WHERE status = 'sent'"),
            notSent: try await count("FROM job_external_submissions WHERE status <> 'sent'"),
            attempts: try await count("FROM submission_attempts"),
            attemptsNotSent: try await count("FROM submission_attempts WHERE outcome <> 'sent'"),
            distinctExternalIDs: Int(try await number(
                "SELECT CAST(count(DISTINCT external_id) AS double precision) FROM job_external_submissions WHERE status = 'sent'"
            ))
        )
    }
}

/// What the outbox holds after a dispatch round.
struct OutboxCheck: Sendable {
    var sent: Int
    var notSent: Int
    var attempts: Int
    var attemptsNotSent: Int
    var distinctExternalIDs: Int

    /// Every row sent exactly once: none lost (all sent), none doubled (one attempt and one remote id each).
    func holds(rows: Int) -> Bool {
        sent == rows && notSent == 0 && attempts == rows && attemptsNotSent == 0 && distinctExternalIDs == rows
    }

    var summary: String {
        "\(Report.count(sent)) sent, \(Report.count(notSent)) other; \(Report.count(attempts)) attempts "
            + "(\(Report.count(attemptsNotSent)) not delivered); \(Report.count(distinctExternalIDs)) distinct remote ids"
    }
}
