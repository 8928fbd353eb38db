@testable import AtsgateSQLite
import AtsgateCore
import AtsgateTesting
import Foundation
import GRDB
import Testing

@Suite("Schema and migrations")
struct MigrationTests {
    @Test("An empty file gets every table, WAL, synchronous FULL and foreign keys")
    func emptyFile() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        #expect(try await store.appliedMigrations() == SQLiteStore.knownMigrations)
        let durability = try await store.durability()
        #expect(durability.journalMode == "wal")
        #expect(durability.synchronous == 2)
        let tables = try await temporary.snapshot().tables.keys.sorted()
        #expect(tables == [
            "api_keys", "audit_log", "companies", "company_contact_associations", "connection_states", "connections", "creation_claims",
            "decision_maker_notifications", "external_refs", "grdb_migrations", "idempotency_keys", "job_external_submissions", "jobs",
            "organisations", "people", "reconcile_findings",
            "reconcile_runs", "submission_attempts", "target_credentials", "target_states",
        ])
        let foreignKeys = try await store.reader.read { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") }
        #expect(foreignKeys == 1)
    }

    @Test("Reopening keeps the data and applies nothing twice")
    func reopen() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        let before = try await temporary.snapshot()
        let reopened = try SQLiteStore.open(path: temporary.path)
        #expect(try await StoreContents(tables: reopened.dumpTables()) == before)
    }

    @Test("A database from before connections keeps every row; its targets' credentials stay the default connection for every organisation")
    func upgradeFromBeforeConnections() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1", targets: [Fixtures.loxo])
        _ = try await temporary.qualify("job-1", organisation: "org-b", targets: [Fixtures.loxo])
        // As the previous release left it: no connections, no connection_states, v6 and v7 not applied.
        try await temporary.execute("DROP TABLE connections")
        try await temporary.execute("DROP TABLE connection_states")
        try await temporary.execute("DELETE FROM grdb_migrations WHERE identifier LIKE 'v6:%' OR identifier LIKE 'v7:%'")
        let before = try await temporary.snapshot()

        let upgraded = try SQLiteStore.open(path: temporary.path)
        #expect(try await upgraded.appliedMigrations() == SQLiteStore.knownMigrations)
        var after = StoreContents(tables: try await upgraded.dumpTables())
        #expect(after.tables.removeValue(forKey: "connections") == [])
        #expect(after.tables.removeValue(forKey: "connection_states") == [])
        after.tables["grdb_migrations"] = before.tables["grdb_migrations"]
        #expect(after == before, "every row is kept")

        // No organisation has a connection of its own: both rows go to the default lane.
        #expect(try await upgraded.connections(organisationID: nil).isEmpty)
        let claimed = try await upgraded.claim(ClaimRequest(
            owner: "w", now: Fixtures.now.addingTimeInterval(60), limits: [DeliveryLane(Fixtures.loxo): 10], leaseDurations: [Fixtures.loxo: .seconds(30)]
        ))
        #expect(Set(claimed.submissions.map(\.entry.organisationID)) == ["org-a", "org-b"])
        #expect(claimed.submissions.allSatisfy { $0.lane == DeliveryLane(Fixtures.loxo) })
    }

    @Test("The claim and reconcile queries have their indexes")
    func indexes() async throws {
        let temporary = try TemporaryStore()
        let plan = try await temporary.store.reader.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT id FROM job_external_submissions
                WHERE external_system = 'loxo' AND status = 'pending' AND next_attempt_at <= '2026-11-22' ORDER BY next_attempt_at LIMIT 10
                """).map { $0["detail"] as String? ?? "" }
        }
        #expect(plan.contains { $0.contains("job_external_submissions_due") }, "\(plan)")
        let reconcile = try await temporary.store.reader.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE organisation_id = 'o' AND qualification_status = 'qualify'
                """).map { $0["detail"] as String? ?? "" }
        }
        #expect(reconcile.contains { $0.contains("jobs_by_qualification") }, "\(reconcile)")
    }

    @Test("The database itself enforces the unique keys and tenant boundaries", arguments: [
        // A second outbox row for the same (job, target).
        """
        INSERT INTO job_external_submissions (organisation_id, job_id, external_system, operation, status, next_attempt_at, job_version, created_at, updated_at)
        VALUES ('org-a', 'job-1', 'loxo', 'create', 'pending', '2026-01-01', 1, '2026-01-01', '2026-01-01')
        """,
        // A second notification for the same (job, person, type).
        """
        INSERT INTO decision_maker_notifications (organisation_id, job_id, person_id, company_id, notification_type, notification_channel, status, next_attempt_at, created_at, updated_at)
        VALUES ('org-a', 'job-1', 'per-1', 'cmp-1', 'job_qualified', 'email', 'pending', '2026-01-01', '2026-01-01', '2026-01-01')
        """,
        // The same association twice.
        "INSERT INTO company_contact_associations VALUES ('org-a', 'cmp-1', 'per-1', 'decision_maker', 0, '2026-01-01', '2026-01-01')",
        // A job of org-b pointing at a company only org-a has.
        "INSERT INTO jobs (organisation_id, id, company_id, title, status, qualification_status, created_at, updated_at) VALUES ('org-b', 'job-x', 'cmp-missing', 'T', 'open', 'new', '2026-01-01', '2026-01-01')",
        // A state no enum knows.
        "UPDATE job_external_submissions SET status = 'done'",
        // An in-flight row without a lease.
        "UPDATE job_external_submissions SET status = 'in_flight'",
        // The same remote id linked to two local jobs.
        "INSERT INTO external_refs VALUES ('org-a', 'job', 'job-2', 'loxo', 'L-1', '2026-01-01', '2026-01-01')",
    ])
    func constraints(sql: String) async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1")
        try await temporary.execute("INSERT INTO external_refs VALUES ('org-a', 'job', 'job-1', 'loxo', 'L-1', '2026-01-01', '2026-01-01')")
        await #expect(throws: DatabaseError.self) { try await temporary.execute(sql) }
    }
}
