import AsyncHTTPClient
import AtsgateCore
import AtsgateTesting
import AtsgateWebhook
import Foundation
import Testing

@Suite("Webhook connector against the fake webhook target", .timeLimit(.minutes(1)))
struct WebhookConnectorTests {
    let snapshot = JobSnapshot(
        job: Job(organisationID: "org-a", id: "job-1", companyID: "cmp-1", title: "Backend Engineer"),
        version: 2,
        company: Company(organisationID: "org-a", id: "cmp-1", name: "Halcyon Robotics")
    )

    func connector(_ fake: FakeWebhookTarget, token: String? = "s3cret-token", timeout: Duration = .seconds(5)) -> WebhookConnector {
        WebhookConnector(
            target: "hook",
            settings: .init(url: fake.url, tokenEnvironmentVariable: "HOOK_TOKEN"),
            token: Secret(token), timeout: timeout, client: .shared
        )
    }

    func failure(_ body: () async throws(ConnectorError) -> Void) async -> ConnectorError? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test("Create, update and close reach the target with the job document; listing pages through everything")
    func lifecycle() async throws {
        try await FakeWebhookTarget.withRunning(token: "s3cret-token") { fake in
            let hook = connector(fake)
            let created = try await hook.submit(SubmissionRequest(operation: .create, snapshot: snapshot))
            #expect(fake.jobs.map(\.id) == [created.externalID])
            #expect(fake.jobs.first?.marker == "atsgate:org-a:job-1")
            #expect(created.httpStatus == 201)

            var edited = snapshot
            edited.job.title = "Staff Engineer"
            edited.version = 3
            _ = try await hook.submit(SubmissionRequest(operation: .update, snapshot: edited, externalID: created.externalID))
            #expect(fake.jobs.first?.title == "Staff Engineer")
            #expect(fake.jobs.first?.version == 3)
            _ = try await hook.submit(SubmissionRequest(operation: .close, snapshot: edited, externalID: created.externalID))
            #expect(fake.jobs.first?.open == false)

            for index in 2...5 {
                var other = snapshot
                other.job.id = JobID("job-\(index)")
                _ = try await hook.submit(SubmissionRequest(operation: .create, snapshot: other))
            }
            var listed: [String] = []
            for try await job in hook.allJobs() { listed.append(job.remoteID) }
            #expect(listed == fake.jobs.map(\.id))
            #expect(try await hook.findJobs(carrying: snapshot.marker).map(\.remoteID) == [created.externalID])
        }
    }

    @Test("A create whose outcome is unknown adopts the job the target already holds instead of making a second")
    func adoptsExisting() async throws {
        try await FakeWebhookTarget.withRunning { fake in
            let hook = connector(fake, token: nil)
            let first = try await hook.submit(SubmissionRequest(operation: .create, snapshot: snapshot))
            let retry = try await hook.submit(SubmissionRequest(operation: .create, snapshot: snapshot, outcomeOfEarlierAttemptUnknown: true))
            #expect(retry.externalID == first.externalID)
            #expect(retry.adoptedExisting)
            #expect(fake.jobs.count == 1)
        }
    }

    @Test("Each kind of failure is classified: 401 auth, 5xx transient, 429 rate-limited with Retry-After, 4xx rejected, garbage rejected")
    func errors() async throws {
        try await FakeWebhookTarget.withRunning(token: "s3cret-token") { fake in
            let request = SubmissionRequest(operation: .create, snapshot: snapshot)
            let wrongToken = await failure { () throws(ConnectorError) in _ = try await connector(fake, token: "wrong").submit(request) }
            #expect(wrongToken?.kind == .auth)
            #expect(wrongToken?.httpStatus == 401)

            let hook = connector(fake)
            fake.script(.status(503), .status(429, retryAfter: "7"), .status(429, retryAfter: "Wed, 21 Oct 2099 07:28:00 GMT"), .status(422), .garbageAfterCommit)
            let unavailable = await failure { () throws(ConnectorError) in _ = try await hook.submit(request) }
            #expect(unavailable?.kind == .transient)
            #expect(unavailable?.mayHaveReachedTarget == true)
            let limited = await failure { () throws(ConnectorError) in _ = try await hook.submit(request) }
            #expect(limited?.kind == .rateLimited)
            #expect(limited?.retryAfter == .seconds(7))
            let limitedByDate = await failure { () throws(ConnectorError) in _ = try await hook.submit(request) }
            #expect((limitedByDate?.retryAfter ?? .zero) > .seconds(3_600))
            let refused = await failure { () throws(ConnectorError) in _ = try await hook.submit(request) }
            #expect(refused?.kind == .rejected)
            #expect(refused?.message == "the target refused the request (422): scripted failure 422")
            let garbage = await failure { () throws(ConnectorError) in _ = try await hook.submit(request) }
            #expect(garbage?.kind == .rejected)
            #expect(garbage?.message == "the target's create answer (200) is not the expected JSON")
            #expect(!(garbage?.description.contains("s3cret-token") ?? true))
        }
    }

    @Test("A redirect is reported as a config error naming where it points, and not followed: a create is never repeated as a GET")
    func redirectsAreNotFollowed() async throws {
        let client = HTTPClient.forTargets(TargetCatalog([]))
        do {
            try await FakeWebhookTarget.withRunning(token: nil) { fake in
                let hook = WebhookConnector(target: "hook", settings: .init(url: fake.url), token: nil, timeout: .seconds(5), client: client)
                fake.script(.redirect(302, location: "\(fake.url)?moved=1"))
                let redirected = await failure { () throws(ConnectorError) in
                    _ = try await hook.submit(SubmissionRequest(operation: .create, snapshot: snapshot))
                }
                #expect(redirected?.kind == .config)
                #expect(redirected?.message.contains("302, redirecting to \(fake.url)?moved=1") == true, "\(redirected?.message ?? "")")
                #expect(fake.requests.map(\.method) == ["POST"])
            }
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test("A target that does not answer in time is a transient failure that may have reached it")
    func timeout() async throws {
        try await FakeWebhookTarget.withRunning { fake in
            fake.holdAfterCommit(true)
            // Long enough for the request to reach the fake on a loaded machine: it must land before the client gives up.
            let error = await failure { () throws(ConnectorError) in
                _ = try await connector(fake, token: nil, timeout: .seconds(2)).submit(SubmissionRequest(operation: .create, snapshot: snapshot))
            }
            #expect(error?.kind == .transient)
            #expect(error?.mayHaveReachedTarget == true)
            #expect(fake.jobs.count == 1, "the target committed the job before the client gave up")
        }
    }

    @Test("A refused connection is transient and known not to have reached the target")
    func refused() async throws {
        let port = try await FakeWebhookTarget.withRunning { $0.port }
        let hook = WebhookConnector(
            target: "hook", settings: .init(url: "http://127.0.0.1:\(port)/jobs"),
            token: nil, timeout: .milliseconds(500), client: .shared
        )
        let error = await failure { () throws(ConnectorError) in _ = try await hook.submit(SubmissionRequest(operation: .create, snapshot: snapshot)) }
        #expect(error?.kind == .transient)
        #expect(error?.mayHaveReachedTarget == false, "\(error?.message ?? "")")
    }
}
