import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

extension StoreConformance {
    @Suite("Import")
    struct Import {
        @Test("Round trip: what was imported reads back equal, decimals and all", arguments: StoreEngine.allCases)
        func roundTrip(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            let summary = try await subject.importSmallDataset()
            #expect(summary.organisations.inserted == 2)
            #expect(summary.companies.inserted == 2)
            #expect(summary.people.inserted == 4)
            #expect(summary.associations.inserted == 4)
            #expect(summary.jobs.inserted == 4)
            let expected = try #require(try Fixtures.dataset().jobs.first { $0.value.id == "job-1" && $0.value.organisationID == "org-a" }).value
            let stored = try #require(try await subject.store.job(organisationID: "org-a", jobID: "job-1"))
            #expect(stored.job == expected)
            #expect(stored.version == 1)
        }

        @Test("Importing the same data twice changes nothing at all", arguments: StoreEngine.allCases)
        func idempotent(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            let before = try await subject.snapshot()
            let again = try await subject.importSmallDataset()
            #expect(!again.changedAnything)
            #expect(again.jobs.unchanged == 4)
            #expect(try await subject.snapshot() == before)
        }

        @Test("The shipped example dataset imports, and imports again as a no-op", arguments: StoreEngine.allCases)
        func exampleDataset(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/crm.json").standardized.path
            let dataset = try DatasetParser().parse(ImportFileReader().records(fromFileAt: file))
            let first = try await subject.store.importDataset(dataset, planner: subject.planner, actor: "test")
            #expect([first.organisations.inserted, first.companies.inserted, first.people.inserted, first.jobs.inserted] as [Int] == [2, 20, 60, 100])
            let second = try await subject.store.importDataset(dataset, planner: subject.planner, actor: "test")
            #expect(!second.changedAnything)
        }

        @Test("An edited job is an edit: its version goes up and targets holding it get an update", arguments: StoreEngine.allCases)
        func edit(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1")
            // The loxo row was delivered at version 1; the others still wait.
            try await subject.plantSent(target: Fixtures.loxo, externalID: "L-1", jobVersion: 1)

            let edited = Fixtures.smallDatasetJSON.replacingOccurrences(of: "\"Backend Engineer\"", with: "\"Senior Backend Engineer\"")
            let summary = try await subject.store.importDataset(Fixtures.dataset(fromJSON: edited), planner: subject.planner, actor: "test")
            #expect(summary.jobs.updated == 1)
            #expect(summary.queuedSubmissions == 1)
            let job = try #require(try await subject.store.job(organisationID: "org-a", jobID: "job-1"))
            #expect(job.job.title == "Senior Backend Engineer")
            // The file still says "new": an import never reverts a decision the workflow made.
            #expect(job.job.qualificationStatus == .qualify)
            #expect(job.version == 2)
            let rows = try await subject.entries(OutboxFilter(jobID: "job-1"))
            #expect(rows.map { "\($0.target):\($0.operation.rawValue):\($0.status.rawValue):\($0.jobVersion)" } == [
                "bullhorn:create:pending:1", "email:create:pending:1", "loxo:update:pending:2",
            ])
        }

        @Test("A row that references nothing known is refused with its location; nothing is stored", arguments: StoreEngine.allCases)
        func missingReference(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            let before = try await subject.snapshot()
            let json = """
            {"companies": [{"id": "cmp-new", "organisation_id": "org-a", "name": "New Co"}],
             "jobs": [{"id": "job-9", "organisation_id": "org-a", "company_id": "cmp-nope", "title": "T", "status": "open"}]}
            """
            do {
                _ = try await subject.store.importDataset(Fixtures.dataset(fromJSON: json), planner: subject.planner, actor: "test")
                Issue.record("the import was accepted")
            } catch let error as ImportError {
                #expect(error.issues.map(\.description) == [
                    "test.json: jobs[0]: field 'company_id': no company 'cmp-nope' in organisation 'org-a' in this import or the database",
                ])
            }
            #expect(try await subject.snapshot() == before)
        }

        @Test("A reference into another organisation is refused", arguments: StoreEngine.allCases)
        func crossTenantReference(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            let json = #"{"people": [{"id": "per-x", "organisation_id": "org-b", "first_name": "X", "last_name": "Y", "company_id": "cmp-404"}]}"#
            await #expect(throws: ImportError.self) {
                _ = try await subject.store.importDataset(Fixtures.dataset(fromJSON: json), planner: subject.planner, actor: "test")
            }
        }

        @Test("A failure midway rolls the whole import back", arguments: StoreEngine.allCases)
        func failureMidway(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            try await subject.store.plantFailure(.storingJob("job-boom"))
            let before = try await subject.snapshot()
            let json = """
            {"companies": [{"id": "cmp-new", "organisation_id": "org-a", "name": "New Co"}],
             "jobs": [{"id": "job-ok", "organisation_id": "org-a", "company_id": "cmp-new", "title": "T", "status": "open"},
                      {"id": "job-boom", "organisation_id": "org-a", "company_id": "cmp-new", "title": "T", "status": "open"}]}
            """
            await #expect(throws: StoreError.self) {
                _ = try await subject.store.importDataset(Fixtures.dataset(fromJSON: json), planner: subject.planner, actor: "test")
            }
            #expect(try await subject.snapshot() == before)
        }

        @Test("Re-importing a file that still says 'new' keeps a job the workflow qualified, and changes nothing", arguments: StoreEngine.allCases)
        func importKeepsDecision(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1")
            let before = try await subject.snapshot()
            let summary = try await subject.importSmallDataset()
            #expect(!summary.changedAnything)
            #expect(try await subject.snapshot() == before)
            #expect(try await subject.store.job(organisationID: "org-a", jobID: "job-1")?.job.qualificationStatus == .qualify)
        }
    }
}
