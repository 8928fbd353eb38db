import AtsgateCore
import AtsgateSQLite
import AtsgateTesting
import Foundation
import Testing

@Suite("Import into SQLite")
struct ImportStoreTests {
    @Test("Round trip: what was imported reads back equal, decimals and all")
    func roundTrip() async throws {
        let temporary = try TemporaryStore()
        let summary = try await temporary.importSmallDataset()
        #expect(summary.organisations.inserted == 2)
        #expect(summary.companies.inserted == 2)
        #expect(summary.people.inserted == 4)
        #expect(summary.associations.inserted == 4)
        #expect(summary.jobs.inserted == 4)
        let expected = try #require(try Fixtures.dataset().jobs.first { $0.value.id == "job-1" && $0.value.organisationID == "org-a" }).value
        let stored = try #require(try await temporary.store.job(organisationID: "org-a", jobID: "job-1"))
        #expect(stored.job == expected)
        #expect(stored.version == 1)
    }

    @Test("Importing the same data twice changes nothing at all")
    func idempotent() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        let before = try await temporary.snapshot()
        let again = try await temporary.importSmallDataset()
        #expect(!again.changedAnything)
        #expect(again.jobs.unchanged == 4)
        #expect(try await temporary.snapshot() == before)
    }

    @Test("The shipped example dataset imports, and imports again as a no-op")
    func exampleDataset() async throws {
        let temporary = try TemporaryStore()
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/crm.json").standardized.path
        let dataset = try DatasetParser().parse(ImportFileReader().records(fromFileAt: file))
        let first = try await temporary.store.importDataset(dataset, planner: temporary.planner, actor: "test")
        #expect([first.organisations.inserted, first.companies.inserted, first.people.inserted, first.jobs.inserted] as [Int] == [2, 20, 60, 100])
        let second = try await temporary.store.importDataset(dataset, planner: temporary.planner, actor: "test")
        #expect(!second.changedAnything)
    }

    @Test("An edited job is an edit: its version goes up and targets holding it get an update")
    func edit() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1")
        // The loxo row was delivered at version 1; the others still wait.
        try await temporary.execute("UPDATE job_external_submissions SET status = 'sent', next_attempt_at = NULL, external_id = 'L-1', sent_job_version = 1 WHERE external_system = 'loxo'")

        let edited = Fixtures.smallDatasetJSON.replacingOccurrences(of: "\"Backend Engineer\"", with: "\"Senior Backend Engineer\"")
        let summary = try await temporary.store.importDataset(Fixtures.dataset(fromJSON: edited), planner: temporary.planner, actor: "test")
        #expect(summary.jobs.updated == 1)
        #expect(summary.queuedSubmissions == 1)
        let job = try #require(try await temporary.store.job(organisationID: "org-a", jobID: "job-1"))
        #expect(job.job.title == "Senior Backend Engineer")
        // The file still says "new": an import never reverts a decision the workflow made.
        #expect(job.job.qualificationStatus == .qualify)
        #expect(job.version == 2)
        let rows = try await temporary.entries(OutboxFilter(jobID: "job-1"))
        #expect(rows.map { "\($0.target):\($0.operation.rawValue):\($0.status.rawValue):\($0.jobVersion)" } == [
            "bullhorn:create:pending:1", "email:create:pending:1", "loxo:update:pending:2",
        ])
    }

    @Test("A row that references nothing known is refused with its location; nothing is stored")
    func missingReference() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        let before = try await temporary.snapshot()
        let json = """
        {"companies": [{"id": "cmp-new", "organisation_id": "org-a", "name": "New Co"}],
         "jobs": [{"id": "job-9", "organisation_id": "org-a", "company_id": "cmp-nope", "title": "T", "status": "open"}]}
        """
        do {
            _ = try await temporary.store.importDataset(Fixtures.dataset(fromJSON: json), planner: temporary.planner, actor: "test")
            Issue.record("the import was accepted")
        } catch let error as ImportError {
            #expect(error.issues.map(\.description) == ["test.json: jobs[0]: field 'company_id': no company 'cmp-nope' in organisation 'org-a' in this import or the database"])
        }
        #expect(try await temporary.snapshot() == before)
    }

    @Test("A reference into another organisation is refused")
    func crossTenantReference() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        let json = #"{"people": [{"id": "per-x", "organisation_id": "org-b", "first_name": "X", "last_name": "Y", "company_id": "cmp-404"}]}"#
        await #expect(throws: ImportError.self) {
            _ = try await temporary.store.importDataset(Fixtures.dataset(fromJSON: json), planner: temporary.planner, actor: "test")
        }
    }

    @Test("A database failure midway rolls the whole import back")
    func failureMidway() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        try await temporary.execute("CREATE TRIGGER boom BEFORE INSERT ON jobs WHEN NEW.id = 'job-boom' BEGIN SELECT RAISE(ABORT, 'planted failure'); END")
        let before = try await temporary.snapshot()
        let json = """
        {"companies": [{"id": "cmp-new", "organisation_id": "org-a", "name": "New Co"}],
         "jobs": [{"id": "job-ok", "organisation_id": "org-a", "company_id": "cmp-new", "title": "T", "status": "open"},
                  {"id": "job-boom", "organisation_id": "org-a", "company_id": "cmp-new", "title": "T", "status": "open"}]}
        """
        await #expect(throws: StoreError.self) {
            _ = try await temporary.store.importDataset(Fixtures.dataset(fromJSON: json), planner: temporary.planner, actor: "test")
        }
        #expect(try await temporary.snapshot() == before)
    }
}

@Suite("Import and the workflow")
struct ImportAndWorkflowTests {
    @Test("Re-importing a file that still says 'new' keeps a job the workflow qualified, and changes nothing")
    func importKeepsDecision() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1")
        let before = try await temporary.snapshot()
        let summary = try await temporary.importSmallDataset()
        #expect(!summary.changedAnything)
        #expect(try await temporary.snapshot() == before)
        #expect(try await temporary.store.job(organisationID: "org-a", jobID: "job-1")?.job.qualificationStatus == .qualify)
    }
}
