import AtsgateTesting
import Foundation
import Testing

/// The commands on PostgreSQL as on SQLite: `migrate` reports the engine and its durability, the
/// sandbox runs end to end on it, and no output carries the password.
@Suite("Commands on PostgreSQL", .timeLimit(.minutes(3)))
struct PostgresCommandsEndToEndTests {
    static let enabled = PostgresTestServer.url != nil

    @Test("migrate: the engine, the schema, synchronous_commit on, every migration applied; twice is a no-op", .enabled(if: enabled, Comment(rawValue: PostgresTestServer.skipReason)))
    func migrate() async throws {
        let url = try #require(PostgresTestServer.urlWithFreshSchema(prefix: "migrate"))
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        for _ in 0..<2 {
            let migrated = try await atsgate.execute(["migrate", "--database", url])
            #expect(migrated.exitCode == 0, "\(migrated.stderr)")
            #expect(migrated.stdout.contains("(PostgreSQL 1"), "\(migrated.stdout)")
            #expect(migrated.stdout.contains("synchronous_commit: on"), "\(migrated.stdout)")
            #expect(migrated.stdout.contains("migrations applied (4 of 4)"), "\(migrated.stdout)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: atsgate.workingDirectory.path).isEmpty, "no SQLite file was made")
    }

    @Test("The password given in the URL appears in no output, even when the command fails", .enabled(if: enabled, Comment(rawValue: PostgresTestServer.skipReason)))
    func passwordNeverPrinted() async throws {
        let url = try #require(PostgresTestServer.urlWithFreshSchema(prefix: "secret"))
        // Trust authentication ignores the password; the URL still carries it through every layer.
        let withPassword = url.replacingOccurrences(of: "postgres://atsgate@", with: "postgres://atsgate:s3cret-pw-77@")
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        for arguments in [["migrate"], ["outbox", "list"], ["outbox", "show", "999"], ["jobs", "qualify", "nope", "--organisation", "nobody"]] {
            let result = try await atsgate.execute(arguments + ["--database", withPassword], environment: ["ATSGATE_LOG_LEVEL": "debug"])
            #expect(!result.stdout.contains("s3cret-pw-77") && !result.stderr.contains("s3cret-pw-77"), "\(arguments): \(result.stdout) \(result.stderr)")
        }
    }

    @Test("The sandbox runs on PostgreSQL, in a schema of its own", .enabled(if: enabled, Comment(rawValue: PostgresTestServer.skipReason)))
    func sandbox() async throws {
        let url = try #require(PostgresTestServer.url)
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let result = try await atsgate.execute(["sandbox", "--jobs", "3", "--data", atsgate.exampleDataset, "--database", url, "--directory", atsgate.workingDirectory.appendingPathComponent("sandbox").path])
        #expect(result.exitCode == 0, "\(result.stdout.suffix(3_000)) \(result.stderr.suffix(2_000))")
        #expect(result.stdout.contains("schema=sandbox_"), "\(result.stdout.prefix(1_500))")
    }
}
