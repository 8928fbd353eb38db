import AtsgateCore
import AtsgatePostgres
import AtsgateSQLite
import AtsgateTesting
import Foundation
import Testing

/// The storage engines the conformance suite runs against; every case of the suite runs once per engine.
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case memory
    /// Only with a server to run on (``PostgresTestServer``); each fixture gets a schema of its own.
    case postgres

    var testDescription: String { rawValue }

    static var allCases: [StoreEngine] {
        PostgresTestServer.url == nil ? [.sqlite, .memory] : [.sqlite, .memory, .postgres]
    }

    /// A fresh, empty store of this engine, removed when the returned value goes away.
    func open() async throws -> StoreFixture {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-conformance-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let store = try SQLiteStore.open(path: directory.appendingPathComponent("test.sqlite").path)
            return StoreFixture(store: store) { try? FileManager.default.removeItem(at: directory) }
        case .memory:
            return StoreFixture()
        case .postgres:
            guard let url = PostgresTestServer.urlWithFreshSchema(prefix: "conformance") else {
                throw StoreError(.unavailable, PostgresTestServer.skipReason)
            }
            let store = PostgresStore(location: try PostgresLocation(url: url, environment: [:]))
            try await store.migrate()
            let pool = Task { await store.run() }
            return StoreFixture(store: store) { pool.cancel() }
        }
    }
}

/// The root of the conformance suite: `swift test --filter StoreConformance` runs all of it.
@Suite("StoreConformance")
struct StoreConformance {}

/// Whether the suite ran on PostgreSQL: skipped (and said so) without a server, failed when CI requires one.
@Suite struct PostgresAvailability {
    @Test(.enabled(if: PostgresTestServer.url != nil || PostgresTestServer.isRequired, Comment(rawValue: PostgresTestServer.skipReason)))
    func conformanceRunsOnPostgres() {
        #expect(StoreEngine.allCases.contains(.postgres), "ATSGATE_REQUIRE_POSTGRES=1 but ATSGATE_TEST_POSTGRES_URL is not set")
    }
}
