import AtsgateCore
import AtsgateServer
import AtsgateTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("API routes")
struct APIRouteTests {
    @Test("No key, a malformed header, an unknown or revoked key answer 401 with a problem")
    func authentication() async throws {
        let harness = try await ServerHarness.make()
        let revoked = APIKeys.make(organisationID: "org-a", role: .reader, name: nil, createdBy: "t", now: Date())
        try await harness.store.createAPIKey(revoked.record)
        _ = try await harness.store.revokeAPIKey(id: revoked.record.id, actor: "t", now: Date())
        try await harness.withClient { client in
            #expect(try await client.send(.get, "/v1/outbox").status == .unauthorized)
            #expect(try await client.send(.get, "/v1/outbox", headers: [.authorization: "Basic abc"]).status == .unauthorized)
            #expect(try await client.send(.get, "/v1/outbox", key: "atsgate_ak_000000000000_nope").status == .unauthorized)
            let answer = try await client.send(.get, "/v1/outbox", key: revoked.key)
            #expect(answer.status == .unauthorized)
            #expect(answer.headers[.wwwAuthenticate] == "Bearer")
            #expect(answer.json["status"] as? Int == 401)
            #expect(try await client.send(.get, "/v1/outbox", key: harness.key("org-a", .reader)).status == .ok)
        }
    }

    @Test("Roles: crm writes and decides, operator replays and reconciles, reader reads; a wrong role is 403")
    func roles() async throws {
        let harness = try await ServerHarness.make()
        let (failed, _) = try await harness.qualifyAndFail()
        try await harness.withClient { client in
            #expect(try await client.send(.post, "/v1/jobs/job-2/skip", key: harness.key("org-a", .reader), body: "{}").status == .forbidden)
            #expect(try await client.send(.post, "/v1/jobs/job-2/skip", key: harness.key("org-a", .operator), body: "{}").status == .forbidden)
            #expect(try await client.send(.put, "/v1/companies/cmp-1", key: harness.key("org-a", .operator), body: #"{"name": "X"}"#).status == .forbidden)
            #expect(try await client.send(.post, "/v1/outbox/\(failed)/replay", key: harness.key("org-a", .crm)).status == .forbidden)
            #expect(try await client.send(.post, "/v1/reconcile-runs", key: harness.key("org-a", .reader), body: #"{"target": "loxo"}"#).status == .forbidden)
            let replayed = try await client.send(.post, "/v1/outbox/\(failed)/replay", key: harness.key("org-a", .operator))
            #expect(replayed.status == .ok, "\(replayed.body)")
            #expect((replayed.json["rows"] as? [[String: Any]])?.first?["status"] as? String == "pending")
        }
    }

    @Test("Qualify queues one row per target in the job's transaction; replaying a row that is not failed is a 409")
    func qualifyAndOperate() async throws {
        let harness = try await ServerHarness.make()
        try await harness.withClient { client in
            let answer = try await client.send(.post, "/v1/jobs/job-1/qualify", key: harness.key("org-a", .crm), body: #"{"targets": ["loxo", "bullhorn"], "by": "ana", "note": "fits"}"#)
            #expect(answer.status == .ok, "\(answer.body)")
            #expect(answer.json["qualification_status"] as? String == "qualify")
            #expect((answer.json["submissions"] as? [[String: Any]])?.compactMap { $0["target"] as? String }.sorted() == ["bullhorn", "loxo"])
            let rows = try await client.send(.get, "/v1/outbox?status=pending", key: harness.key("org-a", .reader)).data
            #expect(rows.count == 2)
            let id = rows[0]["id"] as? Int ?? -1
            let replay = try await client.send(.post, "/v1/outbox/\(id)/replay", key: harness.key("org-a", .operator))
            #expect(replay.status == .conflict)
            let cancel = try await client.send(.post, "/v1/outbox/\(id)/cancel", key: harness.key("org-a", .operator))
            #expect(cancel.status == .ok)
            let shown = try await client.send(.get, "/v1/outbox/\(id)", key: harness.key("org-a", .reader))
            #expect((shown.json["row"] as? [String: Any])?["status"] as? String == "cancelled")
            #expect(shown.json["attempts"] is [Any])
            let unknown = try await client.send(.post, "/v1/jobs/job-1/qualify", key: harness.key("org-a", .crm), body: #"{"targets": ["nowhere"]}"#)
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.pointers == ["/targets"])
            let closed = try await client.send(.post, "/v1/jobs/job-3/qualify", key: harness.key("org-a", .crm), body: "{}")
            #expect(closed.status == .conflict)
        }
        let audit = try await harness.store.auditLog()
        #expect(audit.contains { $0.action == .jobQualified && $0.actor == "ana" })
        #expect(audit.contains { $0.action == .outboxCancelled && $0.actor.hasPrefix("api:ak_") })
    }

    @Test("Bulk qualification: all jobs in one transaction, or none when one is unknown; the size is bounded")
    func bulkQualification() async throws {
        let harness = try await ServerHarness.make { $0.bulkQualificationLimit = 3 }
        try await harness.withClient { client in
            let key = harness.key("org-a", .crm)
            let refused = try await client.send(.post, "/v1/qualifications", key: key, body: #"{"job_ids": ["job-1", "job-404", "job-2"], "targets": ["loxo"]}"#)
            #expect(refused.status == .notFound)
            #expect(refused.pointers == ["/job_ids/1"])
            #expect(try await harness.store.outboxEntries(matching: OutboxFilter()).isEmpty)
            let tooMany = try await client.send(.post, "/v1/qualifications", key: key, body: #"{"job_ids": ["a", "b", "c", "d"]}"#)
            #expect(tooMany.status == .unprocessableContent)
            #expect(tooMany.pointers == ["/job_ids"])
            let done = try await client.send(.post, "/v1/qualifications", key: key, body: #"{"job_ids": ["job-1", "job-2"], "targets": ["loxo"]}"#)
            #expect(done.status == .ok, "\(done.body)")
            #expect(done.json["count"] as? Int == 2)
        }
        #expect(try await harness.store.outboxEntries(matching: OutboxFilter(organisationID: "org-a")).count == 2)
    }

    @Test("Problems name each bad field, with the import's messages, and nothing is stored")
    func problems() async throws {
        let harness = try await ServerHarness.make()
        let key = harness.key("org-a", .crm)
        try await harness.withClient { client in
            let bad = try await client.send(.put, "/v1/jobs/job-7", key: key, body: #"{"company_id": "cmp-404", "title": "", "salary_min": "lots", "colour": "red"}"#)
            #expect(bad.status == .unprocessableContent, "\(bad.body)")
            #expect(bad.headers[.contentType] == "application/problem+json")
            #expect(Set(bad.pointers).isSuperset(of: ["/title", "/salary_min", "/colour"]), "\(bad.pointers)")
            let malformed = try await client.send(.put, "/v1/jobs/job-7", key: key, body: #"{"title": "#)
            #expect(malformed.status == .badRequest)
            let notObject = try await client.send(.post, "/v1/jobs/job-1/qualify", key: key, body: #"{"targets": "loxo"}"#)
            #expect(notObject.status == .badRequest)
            #expect(notObject.pointers == ["/targets"])
            let document = try await client.send(.post, "/v1/import", key: key, body: #"{"jobs": [{"id": "job-8", "company_id": "cmp-1", "title": "Ok"}, {"id": "job-9", "title": "No company"}]}"#)
            #expect(document.status == .unprocessableContent)
            #expect(document.pointers.contains("/jobs/1/company_id"), "\(document.pointers)")
            #expect(try await client.send(.get, "/v1/nowhere", key: key).status == .notFound)
        }
        #expect(try await harness.store.job(organisationID: "org-a", jobID: "job-7") == nil)
        #expect(try await harness.store.job(organisationID: "org-a", jobID: "job-8") == nil)
    }

    @Test("A body over the limit is a 413; a handler over the time limit a 503")
    func limits() async throws {
        let harness = try await ServerHarness.make { $0.maxUploadSize = 1_000 }
        try await harness.withClient { client in
            let big = "{\"companies\": [" + Array(repeating: #"{"id": "c", "name": "n"}"#, count: 100).joined(separator: ",") + "]}"
            let answer = try await client.send(.post, "/v1/import", key: harness.key("org-a", .crm), body: big)
            #expect(answer.status == .contentTooLarge)
            #expect(answer.headers[.contentType] == "application/problem+json")
        }
        let slow = try await ServerHarness.make { $0.requestTimeout = .milliseconds(50) }
        try await withSlowReadiness(slow) { client in
            let answer = try await client.send(.get, "/readyz")
            #expect(answer.status == .serviceUnavailable)
            #expect(answer.json["type"] as? String == "https://atsgate.dev/problems/timeout")
        }
    }

    private func withSlowReadiness(_ harness: ServerHarness, _ body: @Sendable (Client) async throws -> Void) async throws {
        let server = APIServer(
            store: harness.store, catalog: Fixtures.catalog, reconciles: harness.reconciles.launcher(store: harness.store),
            readiness: SlowReadiness(), metrics: harness.metrics, configuration: harness.configuration, logger: .init(label: "test")
        )
        let app = Application(router: server.router())
        try await app.test(.router) { client in try await body(Client(client: client)) }
    }

    @Test("Cursor pagination walks every row once; a cursor it did not give out is a 400")
    func pagination() async throws {
        let harness = try await ServerHarness.make()
        let planner = QualificationPlanner(catalog: Fixtures.catalog, now: Fixtures.now)
        _ = try await harness.store.apply(QualificationCommand(organisationID: "org-a", jobID: "job-1", decision: .qualify, actor: "t"), planner: planner)
        _ = try await harness.store.apply(QualificationCommand(organisationID: "org-a", jobID: "job-2", decision: .qualify, actor: "t"), planner: planner)
        let all = try await harness.store.outboxEntries(matching: OutboxFilter(organisationID: "org-a")).map { Int($0.id) }
        #expect(all.count == 6)
        try await harness.withClient { client in
            var seen: [Int] = []
            var uri = "/v1/outbox?limit=4"
            var pages = 0
            while pages < 10 {
                let page = try await client.send(.get, uri, key: harness.key("org-a", .reader))
                #expect(page.status == .ok)
                seen += page.data.compactMap { $0["id"] as? Int }
                pages += 1
                guard let cursor = page.json["next_cursor"] as? String else { break }
                uri = "/v1/outbox?limit=4&cursor=\(cursor)"
            }
            #expect(pages == 2)
            #expect(seen == all)
            #expect(try await client.send(.get, "/v1/outbox?cursor=bogus", key: harness.key("org-a", .reader)).status == .badRequest)
            #expect(try await client.send(.get, "/v1/outbox?limit=0", key: harness.key("org-a", .reader)).status == .badRequest)
            #expect(try await client.send(.get, "/v1/outbox?status=lost", key: harness.key("org-a", .reader)).status == .badRequest)
        }
    }
}

extension APIRouteTests {
    @Test("Reconcile runs page newest first, and one run shows its findings")
    func reconcileRuns() async throws {
        let harness = try await ServerHarness.make()
        let launcher = harness.reconciles.launcher(store: harness.store)
        var launched: [Int] = []
        for _ in 0..<3 { launched.append(Int(try await launcher.launch(organisationID: "org-a", target: Fixtures.loxo, apply: false, actor: "t"))) }
        let ids = launched
        try await harness.withClient { client in
            let key = harness.key("org-a", .reader)
            let first = try await client.send(.get, "/v1/reconcile-runs?limit=2", key: key)
            #expect(first.data.compactMap { $0["id"] as? Int } == [ids[2], ids[1]])
            let cursor = try #require(first.json["next_cursor"] as? String)
            let second = try await client.send(.get, "/v1/reconcile-runs?limit=2&cursor=\(cursor)", key: key)
            #expect(second.data.compactMap { $0["id"] as? Int } == [ids[0]])
            #expect(second.json["next_cursor"] is NSNull)
            let run = try await client.send(.get, "/v1/reconcile-runs/\(ids[0])", key: key)
            #expect((run.json["findings"] as? [[String: Any]])?.first?["category"] as? String == "orphan_remote")
            #expect((run.json["run"] as? [String: Any])?["status"] as? String == "completed")
        }
    }
}

extension APIRouteTests {
    @Test("A known path asked with another method is a 405 naming the methods it takes; path ids are percent-decoded; NULs are refused")
    func methodsPathsAndNUL() async throws {
        let harness = try await ServerHarness.make()
        try await harness.withClient { client in
            let key = harness.key("org-a", .crm)
            let wrong = try await client.send(.delete, "/v1/outbox", key: key)
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.headers[.allow] == "GET")
            #expect(try await client.send(.patch, "/v1/jobs/job-1", key: key).headers[.allow] == "GET, PUT")
            #expect(try await client.send(.get, "/v1/outbox/replay", key: key).headers[.allow] == "POST")
            #expect(try await client.send(.get, "/v1/nothing-here", key: key).status == .notFound)
            let decoded = try await client.send(.get, "/v1/jobs/job%2D1", key: key)
            #expect((decoded.json["job"] as? [String: Any])?["id"] as? String == "job-1")
            let nulInBody = try await client.send(.put, "/v1/companies/cmp-9", key: key, body: #"{"name": "Acme\u0000Evil"}"#)
            #expect(nulInBody.status == .unprocessableContent)
            #expect(nulInBody.pointers == ["/name"])
            let nulInBulk = try await client.send(.post, "/v1/qualifications", key: key, body: #"{"job_ids": ["job-1\u0000x"]}"#)
            #expect(nulInBulk.status == .unprocessableContent)
            #expect(try await client.send(.get, "/v1/jobs/job-1%00x", key: key).status == .notFound)
        }
        #expect(try await harness.store.jobSnapshot(organisationID: "org-a", jobID: "job-1")?.job.qualificationStatus == .new)
    }
}

private struct SlowReadiness: ReadinessProbe {
    func check() async -> [ReadinessCheck] {
        // Answers only once cancelled: the request's time limit must end it.
        for await _ in AsyncStream<Never>.makeStream().stream {}
        return [ReadinessCheck(name: "database", ok: true)]
    }
}
