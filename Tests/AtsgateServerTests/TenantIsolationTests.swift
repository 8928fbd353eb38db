import AtsgateCore
import AtsgateServer
import AtsgateTesting
import Foundation
import Testing

/// A key acts within its organisation only: on every route, another organisation's job, row or
/// run answers 404 (never 403), lists leave it out, and writes land in the caller's own data.
@Suite("Tenant isolation on every route")
struct TenantIsolationTests {
    @Test("Reads of another organisation's job, row or run answer 404; lists leave them out")
    func reads() async throws {
        let harness = try await ServerHarness.make()
        let (failed, _) = try await harness.qualifyAndFail()
        let runID = try await harness.reconciles.launcher(store: harness.store).launch(organisationID: "org-a", target: Fixtures.loxo, apply: false, actor: "t")
        let other = harness.key("org-b", .operator)
        try await harness.withClient { client in
            for uri in ["/v1/jobs/job-2", "/v1/outbox/\(failed)", "/v1/reconcile-runs/\(runID)"] {
                let answer = try await client.send(.get, uri, key: other)
                #expect(answer.status == .notFound, "\(uri): \(answer.body)")
                #expect(answer.headers[.contentType] == "application/problem+json")
                // The owner sees it.
                #expect(try await client.send(.get, uri, key: harness.key("org-a", .reader)).status == .ok, "\(uri)")
            }
            // Both organisations have a job-1: each key sees its own.
            let own = try await client.send(.get, "/v1/jobs/job-1", key: other)
            #expect((own.json["job"] as? [String: Any])?["title"] as? String == "Driver")
            #expect(try await client.send(.get, "/v1/outbox", key: other).data.isEmpty)
            #expect(try await client.send(.get, "/v1/outbox", key: harness.key("org-a", .reader)).data.count == 2)
            #expect(try await client.send(.get, "/v1/reconcile-runs", key: other).data.isEmpty)
            #expect(try await client.send(.get, "/v1/reconcile-runs", key: harness.key("org-a", .reader)).data.count == 1)
        }
    }

    @Test("Replay and cancel of another organisation's row answer 404 and change nothing; a bulk replay sees only the caller's rows")
    func operatorActions() async throws {
        let harness = try await ServerHarness.make()
        let (failed, pending) = try await harness.qualifyAndFail()
        let other = harness.key("org-b", .operator)
        try await harness.withClient { client in
            #expect(try await client.send(.post, "/v1/outbox/\(failed)/replay", key: other).status == .notFound)
            #expect(try await client.send(.post, "/v1/outbox/\(pending)/cancel", key: other).status == .notFound)
            let bulk = try await client.send(.post, "/v1/outbox/replay", key: other, body: "{}")
            #expect(bulk.status == .ok)
            #expect(bulk.json["count"] as? Int == 0)
        }
        let rows = try await harness.store.outboxEntries(matching: OutboxFilter(organisationID: "org-a"))
        #expect(rows.map(\.status) == [.failed, .pending])
    }

    @Test("Decisions on another organisation's job answer 404 and queue nothing, one job or in bulk")
    func decisions() async throws {
        let harness = try await ServerHarness.make()
        let other = harness.key("org-b", .crm)
        try await harness.withClient { client in
            for decision in ["qualify", "skip", "close"] {
                let answer = try await client.send(.post, "/v1/jobs/job-2/\(decision)", key: other, body: "{}")
                #expect(answer.status == .notFound, "\(decision): \(answer.body)")
            }
            let bulk = try await client.send(.post, "/v1/qualifications", key: other, body: #"{"job_ids": ["job-1", "job-2"]}"#)
            #expect(bulk.status == .notFound)
            #expect(bulk.pointers == ["/job_ids/1"])
        }
        #expect(try await harness.store.outboxEntries(matching: OutboxFilter()).isEmpty)
        let job = try await harness.store.job(organisationID: "org-a", jobID: "job-2")
        #expect(job?.job.qualificationStatus == .new)
    }

    @Test("CRM writes land in the caller's organisation; naming another one is refused")
    func writes() async throws {
        let harness = try await ServerHarness.make()
        let other = harness.key("org-b", .crm)
        try await harness.withClient { client in
            // cmp-1 exists in both organisations: org-b's key edits only its own.
            let company = try await client.send(.put, "/v1/companies/cmp-1", key: other, body: #"{"name": "Bramble Freight"}"#)
            #expect(company.status == .ok, "\(company.body)")
            let person = try await client.send(.put, "/v1/people/per-1", key: other, body: #"{"first_name": "Eve", "last_name": "Stone", "company_id": "cmp-1"}"#)
            #expect(person.status == .ok, "\(person.body)")
            let job = try await client.send(.put, "/v1/jobs/job-2", key: other, body: #"{"company_id": "cmp-1", "title": "Dispatcher", "status": "open", "qualification_status": "new"}"#)
            #expect(job.status == .ok, "\(job.body)")
            let association = try await client.send(
                .put, "/v1/associations", key: other, body: #"{"company_id": "cmp-1", "person_id": "per-1", "association_label": "hiring_manager"}"#
            )
            #expect(association.status == .ok, "\(association.body)")
            let named = try await client.send(.put, "/v1/jobs/job-9", key: other, body: #"{"organisation_id": "org-a", "company_id": "cmp-1", "title": "X"}"#)
            #expect(named.status == .unprocessableContent)
            #expect(named.pointers == ["/organisation_id"])
            let document = try await client.send(.post, "/v1/import", key: other, body: #"{"companies": [{"id": "cmp-7", "organisation_id": "org-a", "name": "Intruder"}]}"#)
            #expect(document.status == .unprocessableContent)
            #expect(document.pointers == ["/companies/0/organisation_id"])
        }
        let snapshotA = try await harness.store.jobSnapshot(organisationID: "org-a", jobID: "job-2")
        #expect(snapshotA?.job.title == "Data Engineer")
        #expect(snapshotA?.company.name == "Halcyon Robotics")
        let snapshotB = try await harness.store.jobSnapshot(organisationID: "org-b", jobID: "job-2")
        #expect(snapshotB?.job.title == "Dispatcher")
        #expect(snapshotB?.company.name == "Bramble Freight")
        #expect(try await harness.store.job(organisationID: "org-a", jobID: "job-9") == nil)
        #expect(try await harness.store.jobSnapshot(organisationID: "org-a", jobID: "job-1")?.company.name == "Halcyon Robotics")
    }

    @Test("A reconcile run is started for the caller's organisation; targets and connections show its own lane and connections")
    func reconcileAndTargets() async throws {
        let harness = try await ServerHarness.make()
        try await harness.store.saveConnection(
            StoredConnection(organisationID: "org-a", target: Fixtures.loxo, kind: .loxo, settings: ["agency_slug": .text("a-agency")], secrets: [:], updatedAt: Date()),
            changedKeys: ["agency_slug"], actor: "test"
        )
        try await harness.withClient { client in
            let started = try await client.send(.post, "/v1/reconcile-runs", key: harness.key("org-b", .operator), body: #"{"target": "loxo"}"#)
            #expect(started.status == .accepted, "\(started.body)")
            #expect(started.json["organisation_id"] as? String == "org-b")
            #expect(started.headers[.location] == "/v1/reconcile-runs/\(started.json["id"] as? Int ?? -1)")
            let targetsB = try await client.send(.get, "/v1/targets", key: harness.key("org-b", .reader)).data
            let targetsA = try await client.send(.get, "/v1/targets", key: harness.key("org-a", .reader)).data
            #expect(targetsB.first { $0["target"] as? String == "loxo" }?["connection"] as? String == "default")
            #expect(targetsA.first { $0["target"] as? String == "loxo" }?["connection"] as? String == "own")
            #expect(try await client.send(.get, "/v1/connections", key: harness.key("org-b", .reader)).data.isEmpty)
            let connectionsA = try await client.send(.get, "/v1/connections", key: harness.key("org-a", .reader)).data
            #expect(connectionsA.map { $0["target"] as? String } == ["loxo"])
        }
        #expect(harness.reconciles.launches.withLock { $0.map(\.0) } == ["org-b"])
    }
}
