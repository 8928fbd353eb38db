public import AtsgateCore
public import Logging
import PostgresNIO
public import ServiceLifecycle
import Foundation
import NIOCore
import NIOSSL

/// The shared store: one PostgreSQL database (its tables in one schema) that several gateway
/// processes on several machines use at once.
///
/// Claims take rows with `FOR UPDATE SKIP LOCKED`, so nodes never wait on each other's rows; work
/// queued in a transaction NOTIFYs the listening workers when it commits; `synchronous_commit`
/// stays on, so a committed outbox row survives the server's crash.
///
/// The store is a `Service`: its connection pool works while ``run()`` runs (``withStore(at:logger:_:)``
/// does both for a command).
public struct PostgresStore: Sendable, Service, CustomStringConvertible {
    /// The server and schema, never the password (the pool's configuration holds it).
    public var description: String { "PostgresStore(\(location))" }

    public let location: PostgresLocation
    let client: PostgresClient
    let watchdog: TransactionWatchdog
    let logger: Logger

    /// The NOTIFY channel of this schema's wake-ups.
    var wakeupChannel: String { "\(location.schema)_work" }

    public init(location: PostgresLocation, logger: Logger = Logger(label: "atsgate.postgres")) {
        self.location = location
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password?.value,
            database: location.database, tls: location.clientTLS
        )
        configuration.options.maximumConnections = location.poolSize
        configuration.options.additionalStartupParameters = location.startupParameters
        configuration.options.connectTimeout = .seconds(5)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.watchdog = TransactionWatchdog(timeLimit: location.transactionTimeout)
    }

    /// Runs the connection pool, and the watchdog of its transactions, until the task is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await watchdog.monitor() }
            // The pool ends on cancellation or a graceful shutdown; the watchdog with it.
            await client.run()
            group.cancelAll()
        }
    }

    /// Opens the store for `body`: runs the pool, brings the schema up to date (the first node to
    /// start migrates, the others wait for it) and stops the pool when `body` returns.
    ///
    /// - Throws: ``StoreError/Code/unavailable`` naming the server (never the password) when it
    ///   cannot be reached or migrated; whatever `body` throws.
    public static func withStore<Result: Sendable>(
        at location: PostgresLocation, logger: Logger = Logger(label: "atsgate.postgres"),
        _ body: (PostgresStore) async throws -> Result
    ) async throws -> Result {
        let store = PostgresStore(location: location, logger: logger)
        try await store.migrate()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            return try await body(store)
        }
    }

    /// Brings the schema up to date over a connection of its own, which fails fast when the server
    /// is down (the pool would keep trying for a minute).
    public func migrate() async throws(StoreError) {
        try await withDirectConnection { connection in
            try await PostgresMigrations.migrate(connection, schema: location.schema, logger: logger)
        }
    }

    /// A connection outside the pool, closed when `body` returns.
    func withDirectConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws(StoreError) -> Result {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            throw StoreError(.unavailable, "cannot connect to PostgreSQL at \(location.server): \(PostgresFailure.describe(error))")
        }
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw translate(error, doing: "migrate the database")
        }
    }

    public func describe() async throws -> StoreDescription {
        try await read { connection in
            let version = try await connection.query("SHOW server_version", logger: logger).decodeSingle(String.self) ?? "unknown"
            let synchronousCommit = try await connection.query("SHOW synchronous_commit", logger: logger).decodeSingle(String.self) ?? "unknown"
            let isolation = try await connection.query("SHOW default_transaction_isolation", logger: logger).decodeSingle(String.self) ?? "unknown"
            let applied = try await PostgresMigrations.applied(connection, logger: logger)
            return StoreDescription(
                engine: "PostgreSQL \(version)",
                location: location.description,
                settings: [
                    .init("synchronous_commit", synchronousCommit),
                    .init("default_transaction_isolation", isolation),
                    .init("schema", location.schema),
                ],
                appliedMigrations: applied,
                knownMigrations: PostgresMigrations.known
            )
        }
    }

    public func wakeupListener() -> any WakeupListener {
        PostgresWakeupListener(location: location, channel: wakeupChannel, logger: logger)
    }
}

extension PostgresStore: GatewayStore {}

extension PostgresLocation {
    var clientTLS: PostgresClient.Configuration.TLS {
        switch tls {
        case .disable: .disable
        case .prefer: .prefer(Self.unverifiedTLS)
        case .require: .require(Self.unverifiedTLS)
        case .verifyFull: .require(.makeClientConfiguration())
        }
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = switch self.tls {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: Self.unverifiedTLS))
        case .require: .require(try NIOSSLContext(configuration: Self.unverifiedTLS))
        case .verifyFull: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password?.value, database: database, tls: tls
        )
        configuration.options.additionalStartupParameters = startupParameters
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// Every connection finds the gateway's tables (and only them) unqualified, and commits
    /// durably whatever the server's default: a committed outbox row survives the server's crash.
    var startupParameters: [(String, String)] {
        [("search_path", schema), ("application_name", "atsgate"), ("synchronous_commit", "on")]
    }

    /// libpq's `prefer` and `require` encrypt without checking the certificate; `verify-full` checks it.
    private static var unverifiedTLS: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return configuration
    }
}

extension PostgresRowSequence {
    /// The first column of the first row, if any.
    func decodeSingle<Value: PostgresDecodable>(_: Value.Type) async throws -> Value? {
        for try await row in self {
            return try row.decode(Value.self)
        }
        return nil
    }
}
