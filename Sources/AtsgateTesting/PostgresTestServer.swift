import Foundation

/// The PostgreSQL server tests may use: `ATSGATE_TEST_POSTGRES_URL` (a throwaway database, as
/// `scripts/postgres-test-server start DIR` prints). Without it the PostgreSQL tests are skipped,
/// unless `ATSGATE_REQUIRE_POSTGRES=1` (CI), where a missing server fails the run instead.
public enum PostgresTestServer {
    public static var url: String? {
        ProcessInfo.processInfo.environment["ATSGATE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static var isRequired: Bool {
        ProcessInfo.processInfo.environment["ATSGATE_REQUIRE_POSTGRES"] == "1"
    }

    public static let skipReason = "no PostgreSQL server: set ATSGATE_TEST_POSTGRES_URL (scripts/postgres-test-server start DIR prints one)"

    /// The server's URL with a fresh schema of its own, so tests never see each other's rows.
    public static func urlWithFreshSchema(prefix: String) -> String? {
        guard let url else { return nil }
        let schema = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        return url + (url.contains("?") ? "&" : "?") + "schema=\(schema)"
    }
}
