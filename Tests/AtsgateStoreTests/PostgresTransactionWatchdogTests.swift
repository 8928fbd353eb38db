import AtsgateCore
@testable import AtsgatePostgres
import AtsgateTesting
import Foundation
import PostgresNIO
import Testing

/// A transaction's caller is never left waiting on the database for good.
@Suite(
    "PostgreSQL transactions that never answer",
    .enabled(if: PostgresTestServer.url != nil, Comment(rawValue: PostgresTestServer.skipReason)),
    .timeLimit(.minutes(1))
)
struct PostgresTransactionWatchdogTests {
    /// postgres-nio loses a query sent on a connection whose server has just closed it: without
    /// the watchdog this transaction waits forever (what stopped a worker after a restart).
    @Test("A query sent on a connection the server has closed fails within a second or so, and the store goes on")
    func queryOnClosedConnection() async throws {
        try await withStore { store in
            let started = ContinuousClock.now
            let error = await #expect(throws: StoreError.self) {
                try await store.write { connection in
                    let pid = try await connection.query("SELECT pg_backend_pid()", logger: store.logger).decodeSingle(Int32.self)
                    try await store.terminateBackend(try #require(pid))
                    try? await connection.closeFuture.get()
                    try await connection.query("SELECT 1", logger: store.logger)
                }
            }
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("its connection closed under it") == true, "\(String(describing: error))")
            let answer = try await store.read { try await $0.query("SELECT 41 + 1", logger: store.logger).decodeSingle(Int.self) }
            #expect(answer == 42, "the store works after giving up on a transaction")
        }
    }

    @Test("A transaction past transaction_timeout is given up and its connection closed; the next one runs")
    func transactionPastItsTimeLimit() async throws {
        try await withStore(options: "&transaction_timeout=1") { store in
            let started = ContinuousClock.now
            let error = await #expect(throws: StoreError.self) {
                try await store.read { connection in
                    try await connection.query("SELECT pg_sleep(30)", logger: store.logger)
                }
            }
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("ran longer than the transaction time limit (1 s)") == true, "\(String(describing: error))")
            // A loaded machine may take longer than the limit to open the next connection: a few tries.
            var answer: Int?
            for _ in 0..<5 where answer == nil {
                answer = try? await store.read { try await $0.query("SELECT 41 + 1", logger: store.logger).decodeSingle(Int.self) }
            }
            #expect(answer == 42, "the store works after giving up on a transaction")
        }
    }

    private func withStore(options: String = "", _ body: (PostgresStore) async throws -> Void) async throws {
        let url = try #require(PostgresTestServer.urlWithFreshSchema(prefix: "watchdog")) + options
        try await PostgresStore.withStore(at: try PostgresLocation(url: url, environment: [:]), body)
    }
}

extension PostgresStore {
    /// Ends a server process from another connection, as a restart would.
    fileprivate func terminateBackend(_ pid: Int32) async throws {
        let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 99, logger: logger)
        try await connection.query("SELECT pg_terminate_backend(\(pid))", logger: logger)
        try await connection.close()
    }
}
