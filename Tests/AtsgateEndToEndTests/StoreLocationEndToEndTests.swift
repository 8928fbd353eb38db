import Foundation
import Testing

/// `--database` picks the storage engine; a URL naming one this build lacks is refused, naming it.
@Suite("Choosing the store")
struct StoreLocationEndToEndTests {
    @Test("A path, sqlite:PATH and sqlite://PATH open SQLite; migrate reports the engine and its durability")
    func sqlite() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        for url in ["plain.sqlite", "sqlite:prefixed.sqlite", "sqlite://slashed.sqlite"] {
            let migrated = try await atsgate.execute(["migrate", "--database", url])
            #expect(migrated.exitCode == 0, "\(url): \(migrated.stderr)")
            #expect(migrated.stdout.contains("(SQLite 3."), "\(migrated.stdout)")
            #expect(migrated.stdout.contains("journal_mode: wal, synchronous: FULL"), "\(migrated.stdout)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: atsgate.workingDirectory.path)
        #expect(Set(files).isSuperset(of: ["plain.sqlite", "prefixed.sqlite", "slashed.sqlite"]))
    }

    @Test("postgres:// is refused until its engine lands, an unknown scheme is named; nothing is created", arguments: [
        ("postgres://localhost/atsgate", "PostgreSQL is not supported by this build yet"),
        ("postgresql://localhost/atsgate", "PostgreSQL is not supported by this build yet"),
        ("mysql://localhost/atsgate", "no storage engine is called 'mysql'"),
    ])
    func refused(_ url: String, _ reason: String) async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let listed = try await atsgate.execute(["outbox", "list", "--database", url])
        #expect(listed.exitCode == 2)
        #expect(listed.stderr.contains("--database: \(reason)"), "\(listed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: atsgate.workingDirectory.path).isEmpty)
    }
}
