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

    @Test("A URL that names no usable store is refused before anything is opened, naming what is wrong", arguments: [
        ("postgres://localhost/atsgate", "the PostgreSQL URL names no user"),
        ("postgresql://atsgate@localhost/", "the PostgreSQL URL names no database"),
        ("postgres://atsgate@localhost/atsgate?schema=Bad-Name", "has schema=Bad-Name"),
        ("postgres://atsgate@localhost/atsgate?sslmode=sometimes", "has sslmode=sometimes"),
        ("postgres://atsgate@localhost/atsgate?transaction_timeout=0", "has transaction_timeout=0; use whole seconds"),
        ("mysql://localhost/atsgate", "no storage engine is called 'mysql'"),
    ])
    func refused(_ url: String, _ reason: String) async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let listed = try await atsgate.execute(["outbox", "list", "--database", url])
        #expect(listed.exitCode == 2)
        #expect(listed.stderr.contains("--database: "), "\(listed.stderr)")
        #expect(listed.stderr.contains(reason), "\(listed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: atsgate.workingDirectory.path).isEmpty)
    }

    @Test("A PostgreSQL server that does not answer: exit 3 naming the host, never the password")
    func unreachablePostgres() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        // Port 1 on loopback: nothing listens there.
        let listed = try await atsgate.execute(["outbox", "list", "--database", "postgres://atsgate:hunter2secret@127.0.0.1:1/atsgate"])
        #expect(listed.exitCode == 3, "\(listed.stderr)")
        #expect(listed.stderr.contains("127.0.0.1:1"), "\(listed.stderr)")
        #expect(!listed.stderr.contains("hunter2secret") && !listed.stdout.contains("hunter2secret"))
    }
}
