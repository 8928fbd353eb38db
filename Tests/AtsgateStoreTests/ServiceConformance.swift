import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

extension StoreConformance {
    /// What `atsgate serve` keeps: API keys (hashes only), idempotency keys and their answers,
    /// bulk qualification in one transaction, outbox pages and the oldest due row.
    @Suite("Service: API keys, idempotency, bulk qualification")
    struct Service {
        static func key(_ id: String, _ organisation: OrganisationID, _ role: APIRole, hash: Character) -> APIKeyRecord {
            APIKeyRecord(
                id: id, organisationID: organisation, role: role, name: "crm sync", secretHash: String(repeating: hash, count: 64),
                createdAt: Fixtures.now, createdBy: "ops"
            )
        }

        @Test("Keys are found by hash until revoked, listed per organisation, and audited without their secret", arguments: StoreEngine.allCases)
        func apiKeys(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            let store = subject.store
            let crm = Self.key("ak_1", "org-a", .crm, hash: "a")
            try await store.createAPIKey(crm)
            try await store.createAPIKey(Self.key("ak_2", "org-new", .reader, hash: "b"))
            #expect(try await store.activeAPIKey(secretHash: String(repeating: "a", count: 64)) == crm)
            #expect(try await store.activeAPIKey(secretHash: String(repeating: "c", count: 64)) == nil)
            #expect(try await store.apiKeys(organisationID: "org-a").map(\.id) == ["ak_1"])
            #expect(try await store.apiKeys(organisationID: nil).map(\.id) == ["ak_1", "ak_2"])
            await #expect(throws: (any Error).self) { try await store.createAPIKey(Self.key("ak_3", "org-a", .crm, hash: "a")) }

            let revoked = try #require(try await store.revokeAPIKey(id: "ak_1", actor: "ops", now: Fixtures.now.addingTimeInterval(60)))
            #expect(revoked.revokedAt == Fixtures.now.addingTimeInterval(60))
            #expect(try await store.activeAPIKey(secretHash: String(repeating: "a", count: 64)) == nil)
            #expect(try await store.revokeAPIKey(id: "ak_1", actor: "ops", now: Fixtures.now.addingTimeInterval(120))?.revokedAt == revoked.revokedAt)
            #expect(try await store.revokeAPIKey(id: "ak_404", actor: "ops", now: Fixtures.now) == nil)

            let audit = try await store.auditLog().filter { $0.subject.hasPrefix("api_key:") }
            #expect(audit.map(\.action) == [.apiKeyCreated, .apiKeyCreated, .apiKeyRevoked])
            #expect(audit.map(\.organisationID) == ["org-a", nil, "org-a"])
            #expect(!audit.contains { $0.details.values.contains { $0.contains(String(repeating: "a", count: 64)) } })
            #expect(try await store.organisationIDs() == ["org-a", "org-b"])
        }

        @Test("An idempotency key is claimed once; its answer is kept for the same request and refused for another; a given-up or old key is claimed again", arguments: StoreEngine.allCases)
        func idempotencyKeys(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            let store = subject.store
            let now = Fixtures.now
            func claim(_ key: String, _ organisation: OrganisationID = "org-a", hash: String = "h1", at time: Date = now) async throws -> IdempotencyClaim {
                try await store.claimIdempotencyKey(
                    key, organisationID: organisation, requestHash: hash, now: time,
                    expiredBefore: time.addingTimeInterval(-86_400), abandonedBefore: time.addingTimeInterval(-300)
                )
            }
            #expect(try await claim("k1") == .claimed)
            #expect(try await claim("k1") == .inProgress)
            #expect(try await claim("k1", hash: "h2") == .usedForAnotherRequest)
            #expect(try await claim("k1", "org-b") == .claimed)
            let answer = RecordedResponse(status: 200, contentType: "application/json", body: Data(#"{"ok":true}"#.utf8))
            try await store.recordIdempotentResponse(answer, key: "k1", organisationID: "org-a")
            #expect(try await claim("k1") == .answered(answer))
            try await store.releaseIdempotencyKey("k1", organisationID: "org-a")
            #expect(try await claim("k1") == .answered(answer), "an answered key is never given back")

            #expect(try await claim("k2") == .claimed)
            try await store.releaseIdempotencyKey("k2", organisationID: "org-a")
            #expect(try await claim("k2", hash: "h9") == .claimed)
            #expect(try await claim("k2", hash: "h9", at: now.addingTimeInterval(301)) == .claimed, "an abandoned claim is taken over")
            #expect(try await claim("k1", hash: "h3", at: now.addingTimeInterval(86_401)) == .claimed, "a day-old key is forgotten")
            #expect(try await store.purgeIdempotencyKeys(usedBefore: now.addingTimeInterval(1)) == 1)
            #expect(try await claim("k1", "org-b", hash: "h1") == .claimed)
        }

        @Test("Bulk qualification commits every job or none", arguments: StoreEngine.allCases)
        func bulkQualification(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            let store = subject.store
            func command(_ job: JobID) -> QualificationCommand {
                QualificationCommand(organisationID: "org-a", jobID: job, decision: .qualify, targets: ["loxo"], actor: "crm")
            }
            await #expect(throws: WorkflowError.self) { try await store.apply([command("job-1"), command("job-404")], planner: subject.planner) }
            #expect(try await subject.entries().isEmpty)
            #expect(try await store.job(organisationID: "org-a", jobID: "job-1")?.job.qualificationStatus == .new)
            let outcomes = try await store.apply([command("job-2"), command("job-1")], planner: subject.planner)
            #expect(outcomes.map(\.job.job.id) == ["job-2", "job-1"])
            #expect(Set(try await subject.entries().map(\.jobID)) == ["job-1", "job-2"])
        }

        @Test("Outbox pages follow the id; the oldest due row per target is the longest-waiting pending one", arguments: StoreEngine.allCases)
        func pagesAndOldestDue(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1")
            _ = try await subject.qualify("job-2")
            let all = try await subject.entries()
            #expect(all.count == 6)
            let page = try await subject.store.outboxEntries(matching: OutboxFilter(organisationID: "org-a", afterID: all[1].id, limit: 3))
            #expect(page.map(\.id) == all[2..<5].map(\.id))
            let oldest = try await subject.store.oldestDue(now: Fixtures.now.addingTimeInterval(10))
            #expect(oldest == ["loxo": Fixtures.now, "bullhorn": Fixtures.now, "email": Fixtures.now])
            #expect(try await subject.store.oldestDue(now: Fixtures.now.addingTimeInterval(-10)).isEmpty)
        }
    }
}
