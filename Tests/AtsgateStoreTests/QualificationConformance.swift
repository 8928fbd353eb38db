import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

extension StoreConformance {
    @Suite("Qualification workflow")
    struct Qualification {
        func describe(_ entries: [OutboxEntry]) -> [String] {
            entries.map { "\($0.organisationID)/\($0.jobID)/\($0.target):\($0.operation.rawValue):\($0.status.rawValue)" }
        }

        @Test("Qualify writes the status, one row per enabled target, one notification per decision maker and an audit entry", arguments: StoreEngine.allCases)
        func qualify(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1")

            let job = try #require(try await subject.store.job(organisationID: "org-a", jobID: "job-1"))
            #expect(job.job.qualificationStatus == .qualify)
            #expect(job.job.qualifiedBy == "maria")
            #expect(job.job.qualifiedAt == Fixtures.now)
            #expect(describe(try await subject.entries()) == [
                "org-a/job-1/bullhorn:create:pending", "org-a/job-1/email:create:pending", "org-a/job-1/loxo:create:pending",
            ])
            let notifications = try await subject.store.notifications(organisationID: "org-a", jobID: "job-1")
            #expect(notifications.map { "\($0.personID):\($0.status.rawValue):\($0.error ?? "")" } == [
                "per-1:pending:", "per-2:skipped:person has no email address",
            ])
            let audit = try #require(try await subject.store.auditLog().last)
            #expect(audit.action == .jobQualified)
            #expect(audit.subject == "job:job-1")
            #expect(audit.actor == "maria")
            #expect(audit.organisationID == "org-a")
        }

        @Test("The (job, target) key: qualifying again, or with a subset first, never adds a row or a notification", arguments: StoreEngine.allCases)
        func uniqueKey(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1", targets: [Fixtures.loxo])
            let loxoRow = try #require(try await subject.entries().first)
            _ = try await subject.qualify("job-1")
            _ = try await subject.qualify("job-1")
            let rows = try await subject.entries()
            #expect(rows.count == 3)
            #expect(rows.first { $0.target == Fixtures.loxo }?.id == loxoRow.id)
            #expect(try await subject.store.notifications(organisationID: "org-a", jobID: "job-1").count == 2)
        }

        @Test("An unknown target anywhere in the list writes nothing", arguments: StoreEngine.allCases)
        func unknownTarget(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            let before = try await subject.snapshot()
            let nope = try #require(TargetName(rawValue: "nope"))
            await #expect(throws: WorkflowError.self) {
                _ = try await subject.qualify("job-1", targets: [Fixtures.loxo, nope, Fixtures.email])
            }
            #expect(try await subject.snapshot() == before)
        }

        @Test("A failure at the last write (the audit entry) rolls back the status, the rows and the notifications", arguments: StoreEngine.allCases)
        func atomicity(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            try await subject.store.plantFailure(.storingAuditEntry)
            let before = try await subject.snapshot()
            await #expect(throws: StoreError.self) { _ = try await subject.qualify("job-1") }
            #expect(try await subject.snapshot() == before)
        }

        @Test("Tenant scoping: a job is only reachable through its own organisation", arguments: StoreEngine.allCases)
        func tenantScoping(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            let before = try await subject.snapshot()
            await #expect(throws: WorkflowError.jobNotFound("job-2", organisation: "org-b")) {
                _ = try await subject.qualify("job-2", organisation: "org-b")
            }
            await #expect(throws: WorkflowError.jobNotFound("job-1", organisation: "org-c")) {
                _ = try await subject.qualify("job-1", organisation: "org-c")
            }
            #expect(try await subject.snapshot() == before)

            // Both organisations have a job-1; qualifying org-b's touches only org-b.
            _ = try await subject.qualify("job-1", organisation: "org-b", targets: [Fixtures.loxo])
            #expect(describe(try await subject.entries()) == ["org-b/job-1/loxo:create:pending"])
            #expect(try await subject.store.job(organisationID: "org-a", jobID: "job-1")?.job.qualificationStatus == .new)
            #expect(try await subject.entries(OutboxFilter(organisationID: "org-a")).isEmpty)
            let notified = try await subject.store.notifications(organisationID: "org-b", jobID: "job-1")
            #expect(notified.map(\.personID) == ["per-9"])
        }

        @Test("Skip cancels pending creates; re-qualifying revives them", arguments: StoreEngine.allCases)
        func skip(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1")
            _ = try await subject.qualify("job-1", .skip)
            #expect(try await subject.entries().allSatisfy { $0.status == .cancelled && $0.nextAttemptAt == nil })
            #expect(try await subject.store.job(organisationID: "org-a", jobID: "job-1")?.job.qualificationStatus == .skip)
            _ = try await subject.qualify("job-1")
            #expect(try await subject.entries().allSatisfy { $0.status == .pending && $0.operation == .create })
        }

        @Test("Close: a delivered row gets a close, an unsent create is cancelled, the job is closed", arguments: StoreEngine.allCases)
        func close(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1")
            try await subject.plantSent(target: Fixtures.loxo, externalID: "L-1", jobVersion: 1)
            let outcome = try await subject.qualify("job-1", .close)
            #expect(outcome.job.job.status == .closed)
            #expect(outcome.job.version == 2)
            #expect(describe(try await subject.entries()) == [
                "org-a/job-1/bullhorn:create:cancelled", "org-a/job-1/email:create:cancelled", "org-a/job-1/loxo:close:pending",
            ])
            let loxo = try #require(try await subject.entries(OutboxFilter(target: Fixtures.loxo)).first)
            #expect(loxo.jobVersion == 2)
            #expect(loxo.attempts == 0)
            await #expect(throws: WorkflowError.jobNotOpen("job-1", status: .closed)) { _ = try await subject.qualify("job-1") }
        }

        @Test("Re-qualifying a sent job after an edit queues an update", arguments: StoreEngine.allCases)
        func requalifyAfterEdit(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1", targets: [Fixtures.loxo])
            // Edited while its create was still waiting: the import has nothing to propagate yet.
            let edited = Fixtures.smallDatasetJSON.replacingOccurrences(of: "\"Backend Engineer\"", with: "\"Staff Engineer\"")
            let summary = try await subject.store.importDataset(Fixtures.dataset(fromJSON: edited), planner: subject.planner, actor: "test")
            #expect(summary.queuedSubmissions == 0)
            // …and the create that then went out carried version 1.
            try await subject.plantSent(externalID: "L-1", jobVersion: 1)
            #expect(describe(try await subject.entries()) == ["org-a/job-1/loxo:create:sent"])
            // Re-qualifying catches the edit the target does not hold.
            _ = try await subject.qualify("job-1", targets: [Fixtures.loxo])
            #expect(describe(try await subject.entries()) == ["org-a/job-1/loxo:update:pending"])
        }

        @Test("Re-qualifying a sent job that did not change queues nothing", arguments: StoreEngine.allCases)
        func requalifyUnchanged(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1", targets: [Fixtures.loxo])
            try await subject.plantSent(externalID: "L-1", jobVersion: 1)
            _ = try await subject.qualify("job-1", targets: [Fixtures.loxo])
            #expect(describe(try await subject.entries()) == ["org-a/job-1/loxo:create:sent"])
        }

        @Test("Outbox filters narrow by status, target, job and organisation", arguments: StoreEngine.allCases)
        func filters(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1")
            _ = try await subject.qualify("job-2", targets: [Fixtures.email])
            _ = try await subject.qualify("job-2", .skip)
            #expect(try await subject.entries(OutboxFilter(status: .cancelled)).map(\.jobID) == ["job-2"])
            #expect(try await subject.entries(OutboxFilter(target: Fixtures.email)).count == 2)
            #expect(try await subject.entries(OutboxFilter(jobID: "job-1", limit: 2)).count == 2)
            #expect(try await subject.entries(OutboxFilter(organisationID: "org-b")).isEmpty)
        }
    }
}
