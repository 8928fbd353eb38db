import AsyncHTTPClient
import AtsgateCore
import AtsgateLoxo
import AtsgateTesting
import Foundation
import Testing

/// The Loxo connector against the fake Loxo (written from ATS_APIS.md part A), with the
/// mapping the repository ships.
@Suite("Loxo connector against the fake Loxo", .timeLimit(.minutes(1)))
struct LoxoConnectorTests {
    static let shippedMapping: TargetMapping = {
        let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        do {
            return try MappingLoader(configurationDirectory: repository).load("loxo.yaml")
        } catch {
            fatalError("mappings/loxo.yaml does not load: \(error)")
        }
    }()

    let ada = Person(organisationID: "org-a", id: "per-1", firstName: "Ada", lastName: "Lind", email: "ada@halcyon.example", companyID: "cmp-1")
    let bo = Person(organisationID: "org-a", id: "per-2", firstName: "Bo", lastName: "Krantz", companyID: "cmp-1")
    let cy = Person(organisationID: "org-a", id: "per-3", firstName: "Cy", lastName: "Moreau", email: "cy@halcyon.example", companyID: "cmp-1")

    func snapshot(_ id: JobID = "job-1", title: String = "Backend Engineer", status: JobStatus = .open, company: String = "Halcyon Robotics") -> JobSnapshot {
        var job = Job(organisationID: "org-a", id: id, companyID: "cmp-1", title: title, status: status)
        job.employmentType = .fullTime
        job.salary = SalaryRange(minimum: 90_000, maximum: 120_000, currency: "EUR")
        return JobSnapshot(
            job: job, version: 1,
            company: Company(organisationID: "org-a", id: "cmp-1", name: company),
            decisionMakers: [ada, bo], hiringManagers: [cy, ada]
        )
    }

    func connector(_ fake: FakeLoxo, key: String? = nil, slug: String? = nil, mapping: TargetMapping = shippedMapping, timeout: Duration = .seconds(5)) throws -> LoxoConnector {
        try LoxoConnector(
            target: "loxo",
            settings: .init(baseURL: fake.baseURL, agencySlug: slug ?? fake.agencySlug, apiKeyEnvironmentVariable: "LOXO_KEY"),
            apiKey: Secret(key ?? fake.apiKey), mapping: mapping, timeout: timeout, client: .shared
        )
    }

    /// The connector error `body` ends with; `nil` when it succeeds (another error fails the test).
    func failure(_ body: () async throws -> Void) async -> ConnectorError? {
        do {
            try await body()
            return nil
        } catch let error as ConnectorError {
            return error
        } catch {
            Issue.record("expected a ConnectorError, got \(error)")
            return nil
        }
    }

    @Test("A create makes the company, the job with the marker, and attaches each hiring contact once")
    func create() async throws {
        try await FakeLoxo.withRunning { fake in
            let receipt = try await connector(fake).submit(SubmissionRequest(operation: .create, snapshot: snapshot()))

            let company = try #require(fake.companies.only)
            #expect(company.fields["name"] == "Halcyon Robotics")
            let job = try #require(fake.jobs.only)
            #expect(receipt.externalID == String(job.id))
            #expect(job.fields["title"] == "Backend Engineer")
            #expect(job.fields["company_id"] == String(company.id))
            #expect(job.fields["custom_text_1"] == "atsgate:org-a:job-1")
            #expect(job.fields["job_status_id"] == "1")
            // Ada is both decision maker and hiring manager: one person, attached once.
            #expect(fake.people.map { $0.fields["name"] } == ["Ada Lind", "Bo Krantz", "Cy Moreau"])
            #expect(job.contacts == fake.people.map(\.id))
            #expect(receipt.learnedReferences.companies == ["cmp-1": String(company.id)])
            #expect(receipt.learnedReferences.people == Dictionary(uniqueKeysWithValues: zip(["per-1", "per-2", "per-3"], fake.people.map { String($0.id) })))
            #expect(!receipt.adoptedExisting)
        }
    }

    @Test("Known company and people are reused without a search; an existing company is found by its exact name")
    func reuse() async throws {
        try await FakeLoxo.withRunning { fake in
            let loxo = try connector(fake)
            let first = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot()))
            let searchesBefore = fake.requests.filter { $0.method == "GET" }.count

            _ = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot("job-2"), references: first.learnedReferences))
            #expect(fake.requests.filter { $0.method == "GET" }.count == searchesBefore)
            #expect(fake.companies.count == 1)
            #expect(fake.people.count == 3)

            // Without references (and in another process, so nothing is remembered) the company and
            // people are found by searching, not created again.
            let third = try await connector(fake).submit(SubmissionRequest(operation: .create, snapshot: snapshot("job-3")))
            #expect(fake.companies.count == 1)
            #expect(fake.people.count == 3)
            #expect(third.learnedReferences == first.learnedReferences)
            #expect(fake.jobs.count == 3)
        }
    }

    @Test("A company whose name only resembles ours is not adopted")
    func nearNameIsNotAdopted() async throws {
        try await FakeLoxo.withRunning { fake in
            let loxo = try connector(fake)
            _ = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot(company: "Halcyon Robotics GmbH")))
            _ = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot("job-2", company: "Halcyon Robotics")))
            #expect(fake.companies.map { $0.fields["name"] } == ["Halcyon Robotics GmbH", "Halcyon Robotics"])
        }
    }

    @Test("An update changes the job at Loxo and a close sets the closed status from the mapping")
    func updateAndClose() async throws {
        try await FakeLoxo.withRunning { fake in
            let loxo = try connector(fake)
            let created = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot()))
            let updated = try await loxo.submit(SubmissionRequest(
                operation: .update, snapshot: snapshot(title: "Staff Backend Engineer"), externalID: created.externalID, references: created.learnedReferences
            ))
            #expect(updated.externalID == created.externalID)
            #expect(fake.jobs.only?.fields["title"] == "Staff Backend Engineer")

            _ = try await loxo.submit(SubmissionRequest(
                operation: .close, snapshot: snapshot(status: .filled), externalID: created.externalID, references: created.learnedReferences
            ))
            #expect(fake.jobs.only?.fields["job_status_id"] == "3")
            #expect(fake.jobs.count == 1)
            #expect(fake.jobs.only?.contacts.count == 3)

            let gone = await failure {
                _ = try await loxo.submit(SubmissionRequest(operation: .update, snapshot: snapshot(), externalID: "999", references: created.learnedReferences))
            }
            #expect(gone?.kind == .rejected)
            #expect(gone?.httpStatus == 404)
        }
    }

    @Test("A 200 with a null id is a rejected failure naming the likely missing field")
    func nullID() async throws {
        let withoutCompany = try MappingLoader.parse("""
        entities:
          company: { name: { from: company.name } }
          contact: { name: { from: person.full_name } }
          job:
            title: { from: job.title }
            job_status_id: { from: job.status, map: { open: 1, closed: 2, filled: 3 } }
            custom_text_1: { from: marker }
        """, file: "loxo.yaml")
        try await FakeLoxo.withRunning { fake in
            // The company exists at Loxo and is known, but this mapping sends neither its id nor its name
            // once we drop the reference: the fake needs one of them.
            let loxo = try connector(fake, mapping: withoutCompany)
            var request = SubmissionRequest(operation: .create, snapshot: snapshot(title: ""))
            request.snapshot.decisionMakers = []
            request.snapshot.hiringManagers = []
            let error = await failure { _ = try await loxo.submit(request) }
            #expect(error?.kind == .rejected)
            #expect(error?.message.contains("null job id") == true)
            #expect(error?.message.contains("title") == true)
            #expect(fake.jobs.isEmpty)
        }
    }

    @Test("Wrong key is auth, wrong slug is config, 429 carries Retry-After, 503 is transient")
    func errorKinds() async throws {
        try await FakeLoxo.withRunning { fake in
            let request = SubmissionRequest(operation: .create, snapshot: snapshot())
            let badKey = await failure { _ = try await connector(fake, key: "wrong").submit(request) }
            #expect(badKey?.kind == .auth)
            #expect(badKey?.message.contains("wrong") == false)
            #expect(badKey?.message.contains("LOXO_KEY") == true)

            let badSlug = await failure { _ = try await connector(fake, slug: "elsewhere").submit(request) }
            #expect(badSlug?.kind == .config)
            #expect(badSlug?.message.contains("elsewhere") == true)

            let noKey = await failure { _ = try await connector(fake, key: "").submit(request) }
            #expect(noKey?.kind == .config)
            #expect(noKey?.message.contains("LOXO_KEY") == true)

            fake.script(.status(429, retryAfter: "7"))
            let limited = await failure { _ = try await connector(fake).submit(request) }
            #expect(limited?.kind == .rateLimited)
            #expect(limited?.retryAfter == .seconds(7))

            fake.script(.status(429))
            let limitedWithoutHint = await failure { _ = try await connector(fake).submit(request) }
            #expect(limitedWithoutHint?.kind == .rateLimited)
            #expect(limitedWithoutHint?.retryAfter == nil)

            fake.script(.status(503))
            let unavailable = await failure { _ = try await connector(fake).submit(request) }
            #expect(unavailable?.kind == .transient)

            fake.script(.status(302))
            let redirected = await failure { _ = try await connector(fake).submit(request) }
            #expect(redirected?.kind == .config)
            #expect(redirected?.message.contains("302, without a Location") == true, "\(redirected?.message ?? "")")
            #expect(fake.jobs.isEmpty)
        }
    }

    @Test("A create whose answer never came is found by its marker and adopted: no second job")
    func unansweredCreateIsAdopted() async throws {
        try await FakeLoxo.withRunning { fake in
            // A first job makes the company and people known, so the held request is the job's create.
            let first = try await connector(fake).submit(SubmissionRequest(operation: .create, snapshot: snapshot("job-0")))
            let impatient = try connector(fake, timeout: .seconds(2))
            let request = SubmissionRequest(operation: .create, snapshot: snapshot(), references: first.learnedReferences)
            fake.holdAfterCommit(true)
            let timedOut = await failure { _ = try await impatient.submit(request) }
            fake.holdAfterCommit(false)
            fake.releaseHeld()
            #expect(timedOut?.kind == .transient)
            #expect(timedOut?.mayHaveReachedTarget == true)
            #expect(fake.jobs.count == 2)
            let held = try #require(fake.jobs.last)
            #expect(held.contacts.isEmpty)

            var retry = request
            retry.outcomeOfEarlierAttemptUnknown = true
            let adopted = try await connector(fake).submit(retry)
            #expect(adopted.adoptedExisting)
            #expect(adopted.externalID == String(held.id))
            #expect(fake.jobs.count == 2)
            #expect(fake.jobs.last?.contacts.count == 3)
        }
    }

    @Test("Loxo commits the job and drops the connection: the retry adopts it and no second job is created")
    func commitThenDrop() async throws {
        try await FakeLoxo.withRunning { fake in
            let loxo = try connector(fake)
            let known = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot("job-0")))
            fake.script(.commitThenDropConnection)
            let request = SubmissionRequest(operation: .create, snapshot: snapshot(), references: known.learnedReferences)
            let dropped = await failure { _ = try await loxo.submit(request) }
            #expect(dropped?.kind == .transient)
            #expect(dropped?.mayHaveReachedTarget == true)
            #expect(fake.jobs.count == 2)

            var retry = request
            retry.outcomeOfEarlierAttemptUnknown = true
            let adopted = try await loxo.submit(retry)
            #expect(adopted.adoptedExisting)
            #expect(fake.jobs.filter { $0.fields["custom_text_1"] == "atsgate:org-a:job-1" }.map { String($0.id) } == [adopted.externalID])
            #expect(fake.requests.filter { $0.method == "POST" && $0.path.hasSuffix("/jobs") }.count == 2)
        }
    }

    @Test("A failure after the job exists (attaching a contact) is reported as possibly delivered, so the retry adopts")
    func failureAfterCreate() async throws {
        try await FakeLoxo.withRunning { fake in
            let loxo = try connector(fake)
            let known = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot("job-0")))
            // A stale person id (merged away at Loxo): the job is created, attaching that contact is refused.
            var stale = known.learnedReferences
            stale.people["per-1"] = "999999"
            let refused = await failure { _ = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot(), references: stale)) }
            #expect(refused?.kind == .rejected)
            #expect(refused?.mayHaveReachedTarget == true)
            #expect(refused?.message.contains("was created") == true)
            #expect(fake.jobs.count == 2)

            let retry = SubmissionRequest(operation: .create, snapshot: snapshot(), outcomeOfEarlierAttemptUnknown: true, references: known.learnedReferences)
            let adopted = try await loxo.submit(retry)
            #expect(adopted.adoptedExisting)
            #expect(fake.jobs.count == 2)
            #expect(fake.jobs.last?.contacts.count == 3)
        }
    }

    /// job-0 delivered (its company and contacts now known); then job-1's create makes the job and
    /// stops at a contact whose remembered id Loxo no longer has.
    func createStoppedAtAContact(_ fake: FakeLoxo) async throws -> (LoxoConnector, known: SubmissionReceipt, refused: ConnectorError?) {
        let loxo = try connector(fake)
        let known = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot("job-0")))
        var stale = known.learnedReferences
        stale.people["per-3"] = "999999"
        let refused = await failure { _ = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot(), references: stale)) }
        return (loxo, known, refused)
    }

    @Test("A create that failed after the job exists carries the job's id; the retry given it updates the job, attaches the missing contacts and creates nothing")
    func partialCreateGoesForward() async throws {
        try await FakeLoxo.withRunning { fake in
            let (loxo, known, refused) = try await createStoppedAtAContact(fake)
            let created = try #require(refused?.progress?.externalID, "the error names the job it created")
            #expect(fake.jobs.map { "\($0.id)" }.contains(created))
            #expect(refused?.progress?.learnedReferences.companies.isEmpty == true, "nothing new was learned: all was known")

            let requestsBefore = fake.requests.count
            let finished = try await loxo.submit(SubmissionRequest(
                operation: .create, snapshot: snapshot(), externalID: created, outcomeOfEarlierAttemptUnknown: true, references: known.learnedReferences
            ))
            #expect(finished.externalID == created)
            #expect(fake.jobs.count == 2, "no second job")
            let writes = fake.requests.dropFirst(requestsBefore).filter { $0.method != "GET" }.map(\.path)
            #expect(writes == ["/api/\(fake.agencySlug)/jobs/\(created)", "/api/\(fake.agencySlug)/jobs/\(created)/contacts"],
                    "the job's fields brought up to date, then only the contact that was missing: \(writes)")
            #expect(fake.jobs.first { "\($0.id)" == created }?.contacts.count == 3)
        }
    }

    @Test("A redo within the same attempt, given the steps the failed try finished, sends only the contact that is missing: no PUT, no re-read")
    func redoSkipsFinishedSteps() async throws {
        try await FakeLoxo.withRunning { fake in
            let (loxo, known, refused) = try await createStoppedAtAContact(fake)
            let progress = try #require(refused?.progress)
            let created = try #require(progress.externalID)
            #expect(progress.completedSteps.contains("job-fields"), "the create sent the job's fields")
            #expect(progress.completedSteps.contains("contacts-read"), "the create's answer said which contacts the job has")

            let requestsBefore = fake.requests.count
            let finished = try await loxo.submit(SubmissionRequest(
                operation: .create, snapshot: snapshot(), externalID: created, outcomeOfEarlierAttemptUnknown: true,
                references: known.learnedReferences, completedSteps: progress.completedSteps
            ))
            #expect(finished.externalID == created)
            let sent = fake.requests.dropFirst(requestsBefore).map { "\($0.method) \($0.path)" }
            #expect(sent == ["POST /api/\(fake.agencySlug)/jobs/\(created)/contacts"], "only the missing contact: \(sent)")
            #expect(fake.jobs.first { "\($0.id)" == created }?.contacts.count == 3)
        }
    }

    @Test("Through the real transport: a request whose timeout does not fit before the attempt's deadline is never sent")
    func deadlineThroughTheTransport() async throws {
        try await FakeLoxo.withRunning { fake in
            let loxo = try connector(fake, timeout: .seconds(5))
            let budget = AttemptBudget(deadline: Date().addingTimeInterval(3), clock: SystemClock())
            let stopped = await failure {
                _ = try await AttemptBudget.$current.withValue(budget) {
                    try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot()))
                }
            }
            #expect(stopped?.kind == .transient)
            #expect(stopped?.message.hasPrefix("stopped before GET /api/\(fake.agencySlug)/companies") == true, "\(stopped?.message ?? "")")
            #expect(stopped?.mayHaveReachedTarget == false)
            #expect(fake.requests.isEmpty)
        }
    }

    @Test("Deliveries of one company's jobs at the same time create the company and each person once")
    func concurrentDeliveries() async throws {
        try await FakeLoxo.withRunning { fake in
            fake.setLatency(.milliseconds(5))
            let loxo = try connector(fake)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 1...6 {
                    group.addTask { _ = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot(JobID("job-\(index)")))) }
                }
                try await group.waitForAll()
            }
            #expect(fake.jobs.count == 6)
            #expect(fake.companies.count == 1)
            #expect(fake.people.count == 3)
            #expect(fake.jobs.allSatisfy { $0.contacts.count == 3 })
        }
    }

    @Test("Lookup by marker compares exactly: job-1 does not find job-10")
    func markerLookupIsExact() async throws {
        try await FakeLoxo.withRunning { fake in
            let loxo = try connector(fake)
            let ten = try await loxo.submit(SubmissionRequest(operation: .create, snapshot: snapshot("job-10")))
            #expect(try await loxo.findJobs(carrying: JobMarker(organisationID: "org-a", jobID: "job-1")).isEmpty)
            let found = try await loxo.findJobs(carrying: JobMarker(organisationID: "org-a", jobID: "job-10"))
            #expect(found.map(\.remoteID) == [ten.externalID])
            #expect(found.first?.isOpen == true)
        }
    }

    @Test("Listing walks every status page by page and marks closed jobs")
    func listing() async throws {
        try await FakeLoxo.withRunning { fake in
            fake.seedJobs(230, status: 1)
            fake.seedJobs(40, status: 2)
            fake.seedJobs(5, status: 3)
            var open = 0
            var total = 0
            for try await job in try connector(fake).allJobs() {
                total += 1
                if job.isOpen { open += 1 }
            }
            #expect(total == 275)
            #expect(open == 230)
            #expect(!fake.requests.contains { $0.query?.contains("per_page=") == true && $0.path.hasSuffix("/job_statuses") })
        }
    }

    @Test("A status with more than 10,000 jobs fails the listing instead of returning part of it")
    func listingWall() async throws {
        try await FakeLoxo.withRunning { fake in
            fake.seedJobs(10_001, status: 1)
            var listed = 0
            let error = await failure {
                for try await _ in try connector(fake).allJobs() { listed += 1 }
            }
            #expect(error?.kind == .rejected)
            #expect(error?.message.contains("10000") == true)
            #expect(listed == 0)
        }
    }

    @Test("A mapping without a marker field or a status table is refused when the connector is built")
    func mappingShape() throws {
        let noMarker = try MappingLoader.parse("""
        entities:
          company: { name: { from: company.name } }
          contact: { name: { from: person.full_name } }
          job:
            title: { from: job.title }
            job_status_id: { from: job.status, map: { open: 1, closed: 2, filled: 3 } }
        """, file: "loxo.yaml")
        let noStatus = try MappingLoader.parse("""
        entities:
          company: { name: { from: company.name } }
          contact: { name: { from: person.full_name } }
          job:
            title: { from: job.title }
            custom_text_1: { from: marker }
        """, file: "loxo.yaml")
        for (mapping, expected) in [(noMarker, "marker"), (noStatus, "job_status_id")] {
            #expect {
                _ = try LoxoConnector(
                    target: "loxo", settings: .init(agencySlug: "acme", apiKeyEnvironmentVariable: "K"), apiKey: "k",
                    mapping: mapping, timeout: .seconds(1), client: .shared
                )
            } throws: { error in
                (error as? ConnectorError)?.kind == .config && (error as? ConnectorError)?.message.contains(expected) == true
            }
        }
    }
}

extension Array {
    /// The element of a one-element array.
    var only: Element? { count == 1 ? first : nil }
}
