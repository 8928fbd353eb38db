import AtsgateCore
import AtsgateSQLite
import AtsgateTesting
import Foundation
import Testing

@Suite("Qualification workflow on SQLite")
struct QualificationStoreTests {
    func describe(_ entries: [OutboxEntry]) -> [String] {
        entries.map { "\($0.organisationID)/\($0.jobID)/\($0.target):\($0.operation.rawValue):\($0.status.rawValue)" }
    }

    @Test("Qualify writes the status, one row per enabled target, one notification per decision maker and an audit entry")
    func qualify() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1")

        let job = try #require(try await temporary.store.job(organisationID: "org-a", jobID: "job-1"))
        #expect(job.job.qualificationStatus == .qualify)
        #expect(job.job.qualifiedBy == "maria")
        #expect(job.job.qualifiedAt == Fixtures.now)
        #expect(describe(try await temporary.entries()) == [
            "org-a/job-1/bullhorn:create:pending", "org-a/job-1/email:create:pending", "org-a/job-1/loxo:create:pending",
        ])
        let notifications = try await temporary.store.notifications(organisationID: "org-a", jobID: "job-1")
        #expect(notifications.map { "\($0.personID):\($0.status.rawValue):\($0.error ?? "")" } == [
            "per-1:pending:", "per-2:skipped:person has no email address",
        ])
        let audit = try await temporary.snapshot().tables["audit_log"] ?? []
        #expect(audit.last?.contains("job_qualified") == true)
        #expect(audit.last?.contains("job:job-1") == true)
    }

    @Test("The (job, target) key: qualifying again, or with a subset first, never adds a row or a notification")
    func uniqueKey() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1", targets: [Fixtures.loxo])
        let loxoRow = try #require(try await temporary.entries().first)
        _ = try await temporary.qualify("job-1")
        _ = try await temporary.qualify("job-1")
        let rows = try await temporary.entries()
        #expect(rows.count == 3)
        #expect(rows.first { $0.target == Fixtures.loxo }?.id == loxoRow.id)
        #expect(try await temporary.store.notifications(organisationID: "org-a", jobID: "job-1").count == 2)
    }

    @Test("An unknown target anywhere in the list writes nothing")
    func unknownTarget() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        let before = try await temporary.snapshot()
        let nope = try #require(TargetName(rawValue: "nope"))
        await #expect(throws: WorkflowError.self) {
            _ = try await temporary.qualify("job-1", targets: [Fixtures.loxo, nope, Fixtures.email])
        }
        #expect(try await temporary.snapshot() == before)
    }

    @Test("A failure at the last write (the audit entry) rolls back the status, the rows and the notifications")
    func atomicity() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        try await temporary.execute("CREATE TRIGGER boom BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'planted failure'); END")
        let before = try await temporary.snapshot()
        await #expect(throws: StoreError.self) { _ = try await temporary.qualify("job-1") }
        #expect(try await temporary.snapshot() == before)
    }

    @Test("Tenant scoping: a job is only reachable through its own organisation")
    func tenantScoping() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        let before = try await temporary.snapshot()
        await #expect(throws: WorkflowError.jobNotFound("job-2", organisation: "org-b")) {
            _ = try await temporary.qualify("job-2", organisation: "org-b")
        }
        await #expect(throws: WorkflowError.jobNotFound("job-1", organisation: "org-c")) {
            _ = try await temporary.qualify("job-1", organisation: "org-c")
        }
        #expect(try await temporary.snapshot() == before)

        // Both organisations have a job-1; qualifying org-b's touches only org-b.
        _ = try await temporary.qualify("job-1", organisation: "org-b", targets: [Fixtures.loxo])
        #expect(describe(try await temporary.entries()) == ["org-b/job-1/loxo:create:pending"])
        #expect(try await temporary.store.job(organisationID: "org-a", jobID: "job-1")?.job.qualificationStatus == .new)
        #expect(try await temporary.entries(OutboxFilter(organisationID: "org-a")).isEmpty)
        let notified = try await temporary.store.notifications(organisationID: "org-b", jobID: "job-1")
        #expect(notified.map(\.personID) == ["per-9"])
    }

    @Test("Skip cancels pending creates; re-qualifying revives them")
    func skip() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1")
        _ = try await temporary.qualify("job-1", .skip)
        #expect(try await temporary.entries().allSatisfy { $0.status == .cancelled && $0.nextAttemptAt == nil })
        #expect(try await temporary.store.job(organisationID: "org-a", jobID: "job-1")?.job.qualificationStatus == .skip)
        _ = try await temporary.qualify("job-1")
        #expect(try await temporary.entries().allSatisfy { $0.status == .pending && $0.operation == .create })
    }

    @Test("Close: a delivered row gets a close, an unsent create is cancelled, the job is closed")
    func close() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1")
        try await temporary.execute("UPDATE job_external_submissions SET status = 'sent', next_attempt_at = NULL, external_id = 'L-1', sent_job_version = 1 WHERE external_system = 'loxo'")
        let outcome = try await temporary.qualify("job-1", .close)
        #expect(outcome.job.job.status == .closed)
        #expect(outcome.job.version == 2)
        #expect(describe(try await temporary.entries()) == [
            "org-a/job-1/bullhorn:create:cancelled", "org-a/job-1/email:create:cancelled", "org-a/job-1/loxo:close:pending",
        ])
        let loxo = try #require(try await temporary.entries(OutboxFilter(target: Fixtures.loxo)).first)
        #expect(loxo.jobVersion == 2)
        #expect(loxo.attempts == 0)
        await #expect(throws: WorkflowError.jobNotOpen("job-1", status: .closed)) { _ = try await temporary.qualify("job-1") }
    }

    @Test("Re-qualifying a sent job after an edit queues an update")
    func requalifyAfterEdit() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1", targets: [Fixtures.loxo])
        try await temporary.execute("UPDATE job_external_submissions SET status = 'sent', next_attempt_at = NULL, external_id = 'L-1', sent_job_version = 1")
        _ = try await temporary.qualify("job-1", targets: [Fixtures.loxo])
        #expect(describe(try await temporary.entries()) == ["org-a/job-1/loxo:create:sent"])
        // An edit the import did not propagate (the row was not yet sent then) is caught by re-qualifying.
        try await temporary.execute("UPDATE jobs SET title = 'Staff Engineer', version = 2 WHERE organisation_id = 'org-a' AND id = 'job-1'")
        _ = try await temporary.qualify("job-1", targets: [Fixtures.loxo])
        #expect(describe(try await temporary.entries()) == ["org-a/job-1/loxo:update:pending"])
    }

    @Test("Outbox filters narrow by status, target, job and organisation")
    func filters() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1")
        _ = try await temporary.qualify("job-2", targets: [Fixtures.email])
        _ = try await temporary.qualify("job-2", .skip)
        #expect(try await temporary.entries(OutboxFilter(status: .cancelled)).map(\.jobID) == ["job-2"])
        #expect(try await temporary.entries(OutboxFilter(target: Fixtures.email)).count == 2)
        #expect(try await temporary.entries(OutboxFilter(jobID: "job-1", limit: 2)).count == 2)
        #expect(try await temporary.entries(OutboxFilter(organisationID: "org-b")).isEmpty)
    }
}
