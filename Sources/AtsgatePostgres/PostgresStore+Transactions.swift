import AtsgateCore
import Foundation
import Logging
import PostgresNIO

extension PostgresStore {
    /// Runs `body` in one read-write transaction and commits it. Domain errors (``WorkflowError``,
    /// ``ImportError``…) roll back and pass through; database failures become ``StoreError``. A
    /// deadlock or serialization failure is tried again from the start, a few times.
    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await write(ringingWorkersIf: { _ in false }, body)
    }

    /// A write transaction that NOTIFYs the listening workers in the same transaction (delivered
    /// at commit, never for a rollback) when `queuedWork` says it queued or re-queued any.
    func write<T: Sendable>(ringingWorkersIf queuedWork: @escaping @Sendable (T) -> Bool, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await transaction(readOnly: false) { connection in
                    let result = try await body(connection)
                    if queuedWork(result) {
                        try await connection.query("SELECT pg_notify(\(wakeupChannel), '')", logger: logger)
                    }
                    return result
                }
            } catch let failure as PostgresFailure where failure.isRetryable && attempt < 5 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...50) * attempt))
            } catch let failure as PostgresFailure {
                throw translate(failure.underlying, doing: "write to the database")
            }
        }
    }

    /// Runs `body` in a read-only transaction with one snapshot for all its queries (repeatable read).
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await transaction(readOnly: true, body)
        } catch let failure as PostgresFailure {
            throw translate(failure.underlying, doing: "read the database")
        }
    }

    /// BEGIN, `body`, COMMIT — or ROLLBACK and rethrow `body`'s error — under the
    /// ``TransactionWatchdog``. Database errors come out as ``PostgresFailure`` so callers can
    /// tell them from domain errors.
    private func transaction<T: Sendable>(readOnly: Bool, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let lease = TransactionLease()
        do {
            return try await watchdog.run(watching: lease) { [client, logger] in
                try await client.withConnection { connection in
                    guard lease.leased(connection) else { throw CancellationError() }
                    try await connection.query(readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN", logger: logger)
                    let result: T
                    do {
                        result = try await body(connection)
                    } catch {
                        // A broken connection rolls back by itself; the pool discards it.
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                    try await connection.query("COMMIT", logger: logger)
                    return result
                }
            }
        } catch let error as PSQLError {
            throw PostgresFailure(underlying: error)
        } catch let error as TransactionAbandoned {
            logger.warning("gave up waiting for a database transaction", metadata: ["reason": "\(error)", "server": "\(location.server)"])
            throw PostgresFailure(underlying: error)
        } catch where !lease.isLeased && !(error is CancellationError) {
            throw PostgresFailure(underlying: error)
        }
    }

    /// A database failure as a ``StoreError`` naming the server and what went wrong, never the password.
    func translate(_ error: any Error, doing work: String) -> StoreError {
        if let error = error as? StoreError { return error }
        return StoreError(.unavailable, "cannot \(work) on PostgreSQL at \(location.server): \(PostgresFailure.describe(error))")
    }
}

/// A failure of the database itself (as opposed to the domain errors a transaction's body throws).
struct PostgresFailure: Error {
    var underlying: any Error

    /// A deadlock or serialization failure: the transaction may succeed when run again. So may a
    /// link to a remote record another node linked to another local entity a moment ago: run
    /// again, the link's own check sees that node's row and leaves the link out.
    var isRetryable: Bool {
        guard let error = underlying as? PSQLError, let info = error.serverInfo, let state = info[.sqlState] else { return false }
        return state == "40001" || state == "40P01" || (state == "23505" && info[.constraintName] == "external_refs_by_remote_id")
    }

    /// What went wrong, in the server's words where it said any. PSQLError's own description
    /// hides everything on purpose; its server fields hold no credentials.
    static func describe(_ error: any Error) -> String {
        if let failure = error as? PostgresFailure { return describe(failure.underlying) }
        if let error = error as? PSQLError {
            if let info = error.serverInfo, let message = info[.message] {
                let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + state
            }
            switch error.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown:
                let cause = error.underlying.map { ": \($0)" } ?? ""
                return "the connection failed or was closed (\(error.code))\(cause)"
            default:
                return "\(error.code)"
            }
        }
        if String(describing: type(of: error)) == "ConnectionPoolError" {
            // The pool gave up after failing to connect for a while (its circuit breaker).
            return "no connection could be made for a while; the server is down or unreachable (\(error))"
        }
        if let error = error as? PostgresError { return error.description }
        if let error = error as? TransactionAbandoned { return "gave up on a transaction: \(error)" }
        if error is CancellationError { return "cancelled" }
        return String(describing: type(of: error))
    }
}
