import AtsgateCore
@testable import AtsgateServer
import AtsgateTesting
import Foundation
import HTTPTypes
import Testing

@Suite("Idempotency keys, health, readiness, metrics and the OpenAPI document")
struct IdempotencyAndOperationsTests {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    @Test("The same key and body answers the first answer without doing the work again; another body is a 422")
    func idempotency() async throws {
        let harness = try await ServerHarness.make()
        let key = harness.key("org-a", .crm)
        let edit = #"{"jobs": [{"id": "job-2", "company_id": "cmp-1", "title": "Data Engineer II", "status": "open", "qualification_status": "new"}]}"#
        try await harness.withClient { client in
            let first = try await client.send(.post, "/v1/import", key: key, body: edit, headers: [Self.idempotencyKey: "edit-1"])
            #expect(first.status == .ok)
            // Someone edits the job again meanwhile; a retry of the first request must not undo that.
            let later = #"{"jobs": [{"id": "job-2", "company_id": "cmp-1", "title": "Data Engineer III", "status": "open", "qualification_status": "new"}]}"#
            #expect(try await client.send(.post, "/v1/import", key: key, body: later).status == .ok)
            let retry = try await client.send(.post, "/v1/import", key: key, body: edit, headers: [Self.idempotencyKey: "edit-1"])
            #expect(retry.status == .ok)
            #expect(retry.body == first.body)
            #expect(retry.headers[HTTPField.Name("Idempotency-Replayed")!] == "true")
            let reused = try await client.send(.post, "/v1/import", key: key, body: later, headers: [Self.idempotencyKey: "edit-1"])
            #expect(reused.status == .unprocessableContent)
            #expect(reused.pointers == ["Idempotency-Key"])
            // Keys are per organisation: org-b may use the same one for its own request.
            let otherOrganisation = try await client.send(.post, "/v1/jobs/job-1/skip", key: harness.key("org-b", .crm), body: "{}", headers: [Self.idempotencyKey: "edit-1"])
            #expect(otherOrganisation.status == .ok)
        }
        #expect(try await harness.store.job(organisationID: "org-a", jobID: "job-2")?.job.title == "Data Engineer III")
        #expect(try await harness.store.job(organisationID: "org-a", jobID: "job-2")?.version == 3)
    }

    @Test("A refused request is answered the same on retry; a qualification retried is queued once")
    func idempotentRefusalsAndDecisions() async throws {
        let harness = try await ServerHarness.make()
        let key = harness.key("org-a", .crm)
        try await harness.withClient { client in
            let refused = try await client.send(.post, "/v1/jobs/job-404/qualify", key: key, body: "{}", headers: [Self.idempotencyKey: "q-404"])
            #expect(refused.status == .notFound)
            let again = try await client.send(.post, "/v1/jobs/job-404/qualify", key: key, body: "{}", headers: [Self.idempotencyKey: "q-404"])
            #expect(again.status == .notFound)
            #expect(again.body == refused.body)
            for _ in 0..<3 {
                #expect(try await client.send(.post, "/v1/jobs/job-1/qualify", key: key, body: #"{"targets": ["loxo"]}"#, headers: [Self.idempotencyKey: "q-1"]).status == .ok)
            }
        }
        #expect(try await harness.store.auditLog().filter { $0.action == .jobQualified }.count == 1)
    }

    @Test("A replayed 202 keeps its Location; another API key repeating the key is refused, not answered")
    func replayedHeadersAndCallers() async throws {
        let harness = try await ServerHarness.make()
        try await harness.withClient { client in
            let started = try await client.send(.post, "/v1/reconcile-runs", key: harness.key("org-a", .operator), body: #"{"target": "loxo"}"#, headers: [Self.idempotencyKey: "run-1"])
            #expect(started.status == .accepted)
            let replayed = try await client.send(.post, "/v1/reconcile-runs", key: harness.key("org-a", .operator), body: #"{"target": "loxo"}"#, headers: [Self.idempotencyKey: "run-1"])
            #expect(replayed.status == .accepted)
            #expect(replayed.headers[.location] == started.headers[.location])
            let reader = try await client.send(.post, "/v1/reconcile-runs", key: harness.key("org-a", .reader), body: #"{"target": "loxo"}"#, headers: [Self.idempotencyKey: "run-1"])
            #expect(reader.status == .unprocessableContent)
        }
        #expect(harness.reconciles.launches.withLock { $0.count } == 1)
    }

    @Test("/healthz answers; /readyz says which check failed with a 503")
    func health() async throws {
        let harness = try await ServerHarness.make()
        try await harness.withClient { client in
            #expect(try await client.send(.get, "/healthz").status == .ok)
            #expect(try await client.send(.get, "/readyz").status == .ok)
            harness.readiness.failing.withLock { $0 = "the database does not answer" }
            let answer = try await client.send(.get, "/readyz")
            #expect(answer.status == .serviceUnavailable)
            #expect((answer.json["checks"] as? [[String: Any]])?.first?["detail"] as? String == "the database does not answer")
        }
    }

    @Test("/metrics shows the outbox by target and status, the oldest due row's age and circuits, in Prometheus text")
    func metrics() async throws {
        let harness = try await ServerHarness.make()
        _ = try await harness.qualifyAndFail()
        try await harness.withClient { client in
            let answer = try await client.send(.get, "/metrics")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(answer.body.contains(#"atsgate_outbox_rows{target="loxo",status="failed"} 1"#))
            #expect(answer.body.contains(#"atsgate_outbox_rows{target="loxo",status="pending"} 1"#))
            #expect(answer.body.contains(#"atsgate_outbox_rows{target="bullhorn",status="pending"} 0"#))
            #expect(answer.body.contains("# TYPE atsgate_outbox_oldest_due_age_seconds gauge"))
        }
    }

    @Test("The OpenAPI document is served, and describes every route the router has")
    func openAPI() async throws {
        let harness = try await ServerHarness.make()
        try await harness.withClient { client in
            let answer = try await client.send(.get, "/openapi.yaml")
            #expect(answer.status == .ok)
            #expect(answer.body.hasPrefix("openapi: 3.1"))
            for path in [
                "/v1/companies/{id}", "/v1/people/{id}", "/v1/jobs/{id}", "/v1/associations", "/v1/import", "/v1/jobs/{id}/qualify",
                "/v1/jobs/{id}/skip", "/v1/jobs/{id}/close", "/v1/qualifications", "/v1/outbox", "/v1/outbox/{id}", "/v1/outbox/{id}/replay",
                "/v1/outbox/{id}/cancel", "/v1/outbox/replay", "/v1/reconcile-runs", "/v1/reconcile-runs/{id}", "/v1/targets", "/v1/connections",
                "/healthz", "/readyz", "/metrics",
            ] {
                #expect(answer.body.contains("\n  \(path):"), "\(path) is not in the document")
            }
        }
    }
}

@Suite("Small formats")
struct SmallFormatTests {
    @Test("Keys hash to lowercase hex SHA-256; durations print in milliseconds with two decimals")
    func formats() {
        #expect(APIKeys.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(APIKeys.hex([0x00, 0x0f, 0xf0, 0xff]) == "000ff0ff")
        #expect(AccessLogMiddleware.milliseconds(.microseconds(1_234)) == "1.23")
        #expect(AccessLogMiddleware.milliseconds(.microseconds(20_050)) == "20.05")
        #expect(AccessLogMiddleware.milliseconds(.zero) == "0.00")
    }
}
