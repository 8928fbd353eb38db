@testable import AtsgateBullhorn
import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

/// The Bullhorn connector against the fake Bullhorn (written from ATS_APIS.md part B), with the
/// mapping the repository ships.
@Suite("Bullhorn connector against the fake Bullhorn", .timeLimit(.minutes(2)))
struct BullhornConnectorTests {
    typealias Fixture = BullhornFixture

    func create(_ connector: BullhornConnector, _ snapshot: JobSnapshot = Fixture.snapshot(), references: RemoteReferences = RemoteReferences(), unknown: Bool = false) async throws -> SubmissionReceipt {
        try await connector.submit(SubmissionRequest(operation: .create, snapshot: snapshot, outcomeOfEarlierAttemptUnknown: unknown, references: references))
    }

    // MARK: - Create

    @Test("A create makes the company, the decision maker as contact (with name), and the JobOrder carrying the marker")
    func create() async throws {
        try await FakeBullhorn.withRunning { fake in
            let receipt = try await create(try Fixture.connector(fake))

            let company = try #require(fake.clientCorporations.only)
            #expect(company["name"] == "Halcyon Robotics cmp-1")
            #expect(company["externalID"] == "atsgate:org-a:cmp-1")
            let contact = try #require(fake.realContacts.only)
            #expect(contact["name"] == "Ada Lind")
            #expect(contact["occupation"] == "VP Engineering")
            #expect(contact["externalID"] == "atsgate:org-a:per-1")
            #expect(contact["clientCorporation"]?.associatedID == company.id)
            // Bullhorn's archived placeholder is there too, and left alone.
            #expect(fake.clientContacts.count == 2)

            let job = try #require(fake.jobOrders.only)
            #expect(receipt.externalID == String(job.id))
            #expect(!receipt.adoptedExisting)
            #expect(job["externalID"] == "atsgate:org-a:job-1")
            #expect(job["title"] == "Backend Engineer")
            #expect(job["employmentType"] == "Permanent")
            #expect(job["isOpen"] == true)
            #expect(job["status"] == "Accepting Candidates")
            #expect(job["startDate"] == .int(1_790_000_000_000), "epoch milliseconds")
            #expect(job["salary"]?.number == 120_000)
            #expect(job["clientCorporation"]?.associatedID == company.id)
            #expect(job["clientContact"]?.associatedID == contact.id)
            #expect(receipt.learnedReferences.companies == ["cmp-1": String(company.id)])
            #expect(receipt.learnedReferences.people == ["per-1": String(contact.id)])

            // Every read names its fields; every search of an entity with isDeleted leaves deleted ones out.
            for request in fake.dataRequests where request.method == "GET" {
                #expect(request.query?.contains("fields=") == true, "\(request.path)?\(request.query ?? "")")
                if request.path.contains("/search/JobOrder") || request.path.contains("/search/ClientContact") {
                    #expect(request.query?.removingPercentEncoding?.contains("AND isDeleted:0") == true)
                }
            }
        }
    }

    @Test("Without a decision maker the hiring manager is the contact; without anyone it is a mapping failure before any request")
    func contactChoice() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            _ = try await create(connector, Fixture.snapshot(decisionMakers: []))
            #expect(fake.realContacts.map { $0["name"] } == ["Bo Krantz"])

            let before = fake.requests.count
            let nobody = await Fixture.failure { _ = try await create(connector, Fixture.snapshot("job-2", company: "cmp-2", decisionMakers: [], hiringManagers: [])) }
            #expect(nobody?.kind == .mapping)
            #expect(nobody?.message.contains("job.clientContact") == true)
            #expect(fake.requests.count == before)
        }
    }

    @Test("Known company and contact are reused without a search; unknown ones are found by their externalID, not created again")
    func reuse() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let first = try await create(connector)
            let searchesBefore = fake.dataRequests.filter { $0.path.contains("/search/") }.count
            _ = try await create(connector, Fixture.snapshot("job-2"), references: first.learnedReferences)
            #expect(fake.dataRequests.filter { $0.path.contains("/search/") }.count == searchesBefore)

            // Another process: nothing remembered, so both are found by searching.
            let third = try await create(try Fixture.connector(fake), Fixture.snapshot("job-3"))
            #expect(third.learnedReferences == first.learnedReferences)
            #expect(fake.clientCorporations.count == 1)
            #expect(fake.realContacts.count == 1)
            #expect(fake.jobOrders.count == 3)
        }
    }

    @Test("Search hits are compared exactly: a record whose externalID only resembles ours is not taken")
    func exactMatches() async throws {
        try await FakeBullhorn.withRunning { fake in
            let other = fake.insert(.clientCorporation, ["name": "Someone else", "externalID": "atsgate:org-a:cmp-1-old"])
            fake.insert(.jobOrder, [
                "title": "Not ours", "externalID": "atsgate:org-a:job-1 copy", "isOpen": true,
                "clientCorporation": ["id": .int(other.id)], "employmentType": "Permanent",
            ])
            let connector = try Fixture.connector(fake)
            #expect(try await connector.findJobs(carrying: JobMarker(organisationID: "org-a", jobID: "job-1")).isEmpty)
            _ = try await create(connector, unknown: true)
            #expect(fake.clientCorporations.count == 2)
            #expect(fake.jobOrders(carrying: Fixture.marker("job-1")).count == 1)
            #expect(fake.jobOrders.count == 2)
        }
    }

    @Test("Deliveries of one company's jobs at the same time create the company and the contact once")
    func concurrentDeliveries() async throws {
        try await FakeBullhorn.withRunning { fake in
            fake.setLatency(.milliseconds(5))
            let connector = try Fixture.connector(fake)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 1...6 {
                    group.addTask { _ = try await create(connector, Fixture.snapshot(JobID("job-\(index)"))) }
                }
                try await group.waitForAll()
            }
            #expect(fake.jobOrders.count == 6)
            #expect(fake.clientCorporations.count == 1)
            #expect(fake.realContacts.count == 1)
        }
    }

    // MARK: - Update and close

    @Test("An update POSTs only the fields that differ (and the compare: false ones); a close sends isOpen false and the closed status")
    func updateAndClose() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let created = try await create(connector)
            let id = created.externalID
            let updated = try await connector.submit(SubmissionRequest(
                operation: .update, snapshot: Fixture.snapshot(title: "Staff Backend Engineer"), externalID: id, references: created.learnedReferences
            ))
            #expect(updated.externalID == id)
            let post = try #require(fake.requests.last { $0.method == "POST" && $0.path.hasSuffix("/entity/JobOrder/\(id)") })
            let sent = try #require(try JSONSerialization.jsonObject(with: Data((post.body ?? "").utf8)) as? [String: Any])
            #expect(Set(sent.keys) == ["title", "startDate"])
            #expect(fake.jobOrders.only?["title"] == "Staff Backend Engineer")

            _ = try await connector.submit(SubmissionRequest(
                operation: .close, snapshot: Fixture.snapshot(status: .filled), externalID: id, references: created.learnedReferences
            ))
            let job = try #require(fake.jobOrders.only)
            #expect(job["isOpen"] == false)
            #expect(job["status"] == "Placed")
            #expect(job["title"] == "Backend Engineer")
            #expect(fake.clientCorporations.count == 1)
            #expect(fake.realContacts.count == 1)
        }
    }

    @Test("An update of a JobOrder deleted at Bullhorn, or of an id Bullhorn never had, is rejected")
    func updateOfMissingJob() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let created = try await create(connector)
            let gone = await Fixture.failure {
                _ = try await connector.submit(SubmissionRequest(operation: .update, snapshot: Fixture.snapshot(), externalID: "999999", references: created.learnedReferences))
            }
            #expect(gone?.kind == .rejected)
            #expect(gone?.httpStatus == 404)

            let deleted = fake.insert(.jobOrder, ["title": "x", "isDeleted": true, "externalID": .string(Fixture.marker("job-9"))])
            let softDeleted = await Fixture.failure {
                _ = try await connector.submit(SubmissionRequest(operation: .close, snapshot: Fixture.snapshot("job-9"), externalID: String(deleted.id), references: created.learnedReferences))
            }
            #expect(softDeleted?.kind == .rejected)
            #expect(softDeleted?.message.contains("deleted") == true)
        }
    }

    // MARK: - No second record

    @Test("Bullhorn stores the JobOrder and answers 500: the same attempt finds it by its marker and adopts it")
    func persistThenFailJob() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let known = try await create(connector, Fixture.snapshot("job-0"))
            fake.script(.persistThenFail())
            let receipt = try await create(connector, references: known.learnedReferences)
            #expect(receipt.adoptedExisting)
            #expect(fake.jobOrders(carrying: Fixture.marker("job-1")).map { String($0.id) } == [receipt.externalID])
            #expect(fake.requests.filter { $0.method == "PUT" && $0.path.hasSuffix("/entity/JobOrder") }.count == 2)
        }
    }

    @Test("Bullhorn stores the company (or contact) and answers 500: it is found by its externalID, not created twice")
    func persistThenFailCompanyAndContact() async throws {
        try await FakeBullhorn.withRunning { fake in
            fake.script(.persistThenFail(), .persistThenFail())
            _ = try await create(try Fixture.connector(fake))
            #expect(fake.clientCorporations.count == 1)
            #expect(fake.realContacts.count == 1)
            #expect(fake.jobOrders.count == 1)
        }
    }

    @Test("Bullhorn commits the JobOrder and drops the connection: adopted, no second JobOrder")
    func commitThenDrop() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let known = try await create(connector, Fixture.snapshot("job-0"))
            fake.script(.commitThenDropConnection)
            let receipt = try await create(connector, references: known.learnedReferences)
            #expect(receipt.adoptedExisting)
            #expect(fake.jobOrders(carrying: Fixture.marker("job-1")).count == 1)
        }
    }

    @Test("A create that failed and left nothing is reported as possibly delivered; the retry searches first, then creates once")
    func failedCreateIsLookedUpAgain() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let known = try await create(connector, Fixture.snapshot("job-0"))
            fake.script(.status(503))
            let request = SubmissionRequest(operation: .create, snapshot: Fixture.snapshot(), references: known.learnedReferences)
            let unavailable = await Fixture.failure { _ = try await connector.submit(request) }
            #expect(unavailable?.kind == .transient)
            #expect(unavailable?.mayHaveReachedTarget == true)
            #expect(fake.jobOrders(carrying: Fixture.marker("job-1")).isEmpty)

            var retry = request
            retry.outcomeOfEarlierAttemptUnknown = true
            let searchesBefore = fake.dataRequests.filter { $0.path.hasSuffix("/search/JobOrder") }.count
            let receipt = try await connector.submit(retry)
            #expect(!receipt.adoptedExisting)
            #expect(fake.dataRequests.filter { $0.path.hasSuffix("/search/JobOrder") }.count == searchesBefore + 1)
            #expect(fake.jobOrders(carrying: Fixture.marker("job-1")).count == 1)
        }
    }

    @Test("Persist-then-fail under a stream of 500s, retried as the dispatcher would: never a second JobOrder")
    func persistThenFailNeverDuplicates() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let known = try await create(connector, Fixture.snapshot("job-0"))
            // The create is stored and answered 500; the lookup right after fails too.
            fake.script(.persistThenFail(), .status(500))
            var request = SubmissionRequest(operation: .create, snapshot: Fixture.snapshot(), references: known.learnedReferences)
            let first = await Fixture.failure { _ = try await connector.submit(request) }
            #expect(first?.mayHaveReachedTarget == true)
            request.outcomeOfEarlierAttemptUnknown = true
            let receipt = try await connector.submit(request)
            #expect(receipt.adoptedExisting)
            #expect(fake.jobOrders(carrying: Fixture.marker("job-1")).count == 1)
        }
    }

    // MARK: - Error kinds

    @Test("429 is rate_limited: Bullhorn's documented 1 s first, then the dispatcher's backoff; a success starts over")
    func rateLimited() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let known = try await create(connector, Fixture.snapshot("job-0"))
            let request = SubmissionRequest(operation: .create, snapshot: Fixture.snapshot(), references: known.learnedReferences)
            fake.script(.rateLimited, .rateLimited)
            let first = await Fixture.failure { _ = try await connector.submit(request) }
            #expect(first?.kind == .rateLimited)
            #expect(first?.retryAfter == .seconds(1))
            #expect(first?.mayHaveReachedTarget == false)
            let second = await Fixture.failure { _ = try await connector.submit(request) }
            #expect(second?.kind == .rateLimited)
            #expect(second?.retryAfter == nil)
            _ = try await connector.submit(request)
            fake.script(.rateLimited)
            let again = await Fixture.failure { _ = try await connector.submit(SubmissionRequest(operation: .create, snapshot: Fixture.snapshot("job-2"), references: known.learnedReferences)) }
            #expect(again?.retryAfter == .seconds(1))
            #expect(fake.jobOrders.count == 2)
        }
    }

    @Test("A 400 with errors[] is rejected and names each property")
    func validationErrors() async throws {
        let withoutEmploymentType = try MappingLoader.parse("""
        entities:
          company: { name: { from: company.name } }
          contact: { firstName: { from: person.first_name }, lastName: { from: person.last_name } }
          job:
            title: { from: job.title }
            externalID: { from: marker }
        """, file: "bullhorn.yaml")
        try await FakeBullhorn.withRunning { fake in
            let refused = await Fixture.failure { _ = try await create(try Fixture.connector(fake, mapping: withoutEmploymentType)) }
            #expect(refused?.kind == .rejected)
            #expect(refused?.httpStatus == 400)
            #expect(refused?.message.contains("employmentType") == true, "\(refused?.message ?? "")")
            #expect(fake.jobOrders.isEmpty)

            // A contact field Bullhorn does not have (there is no `title` on ClientContact, B3).
            let titled = try MappingLoader.parse("""
            entities:
              company: { name: { from: company.name } }
              contact: { firstName: { from: person.first_name }, lastName: { from: person.last_name }, title: { from: person.company_role } }
              job:
                title: { from: job.title }
                externalID: { from: marker }
                employmentType: { value: Permanent }
            """, file: "bullhorn.yaml")
            let cy = Person(organisationID: "org-a", id: "per-9", firstName: "Cy", lastName: "Moreau", companyRole: "CTO", companyID: "cmp-9")
            let unknownField = await Fixture.failure {
                _ = try await create(try Fixture.connector(fake, mapping: titled), Fixture.snapshot(company: "cmp-9", decisionMakers: [cy]))
            }
            #expect(unknownField?.kind == .rejected)
            #expect(unknownField?.message.contains("title: 'title' does not exist on entity ClientContact") == true, "\(unknownField?.message ?? "")")
        }
    }

    @Test("503 is transient; a session refused again right after its renewal is auth")
    func otherErrorKinds() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let known = try await create(connector, Fixture.snapshot("job-0"))
            let request = SubmissionRequest(operation: .create, snapshot: Fixture.snapshot(), references: known.learnedReferences)
            fake.script(.status(503), .status(503))
            let maintenance = await Fixture.failure { _ = try await connector.submit(request) }
            #expect(maintenance?.kind == .transient)
            #expect(maintenance?.httpStatus == 503)

            // The request, the renewal's ping, and the request sent again are all refused.
            fake.script(.status(401), .status(401), .status(401))
            let refused = await Fixture.failure { _ = try await connector.submit(request) }
            #expect(refused?.kind == .auth)
            #expect(refused?.httpStatus == 401)
            #expect(fake.jobOrders(carrying: Fixture.marker("job-1")).isEmpty)
        }
    }

    // MARK: - Reconciling

    @Test("Listing pages through every live JobOrder 500 at a time, reading the marker, isOpen and the compared fields")
    func listing() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let created = try await create(connector)
            for index in 0..<1_203 {
                fake.insert(.jobOrder, [
                    "title": .string("Seeded \(index)"), "externalID": index % 3 == 0 ? .null : .string(Fixture.marker(JobID("seed-\(index)"))),
                    "isOpen": .bool(index % 2 == 0), "isDeleted": .bool(index % 10 == 0),
                ])
            }
            var listed: [RemoteJob] = []
            for try await job in connector.allJobs() { listed.append(job) }
            #expect(listed.count == 1 + 1_203 - 121)
            #expect(Set(listed.map(\.remoteID)).count == listed.count)
            let ours = try #require(listed.first { $0.remoteID == created.externalID })
            #expect(ours.marker == JobMarker(organisationID: "org-a", jobID: "job-1"))
            #expect(ours.isOpen)
            // What the target holds compares equal to what the mapping makes of the job: no false drift.
            #expect(ours.fields == (try connector.comparableFields(of: Fixture.snapshot())))
            #expect(ours.fields.digest == created.comparedFieldsDigest)
            #expect(!ours.fields.isEmpty)
            #expect(ours.fields["startDate"] == nil, "compare: false")
            #expect(listed.filter { $0.marker == nil }.count == 401 - 41)
            let pages = fake.dataRequests.filter { $0.path.hasSuffix("/search/JobOrder") && $0.query?.contains("count=500") == true }
            #expect(pages.count == 3)
        }
    }

    @Test("The bulk existence check reads the records: deleted and unknown ids are not live")
    func existence() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let one = try await create(connector, Fixture.snapshot("job-1")).externalID
            let two = try await create(connector, Fixture.snapshot("job-2")).externalID
            let deleted = fake.insert(.jobOrder, ["title": "gone", "isDeleted": true])
            let ids = [one, two, String(deleted.id), "999999", "not-a-bullhorn-id"]
            #expect(try await connector.existingJobIDs(ids) == [one, two])
            #expect(try await connector.existingJobIDs(["999998"]).isEmpty)
            let reads = fake.dataRequests.filter { $0.method == "GET" && $0.path.contains("/entity/JobOrder/") && $0.path.contains(",") }
            #expect(reads.count == 1)
        }
    }

    @Test("findJobs returns every live JobOrder carrying the marker, oldest first: duplicates show")
    func findDuplicates() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            let created = try await create(connector)
            let copy = fake.insert(.jobOrder, ["title": "copy", "externalID": .string(Fixture.marker("job-1")), "isOpen": false])
            fake.insert(.jobOrder, ["title": "deleted copy", "externalID": .string(Fixture.marker("job-1")), "isDeleted": true])
            let found = try await connector.findJobs(carrying: JobMarker(organisationID: "org-a", jobID: "job-1"))
            #expect(found.map(\.remoteID) == [created.externalID, String(copy.id)])
            #expect(found.map(\.isOpen) == [true, false])
        }
    }

    @Test("checkConnection logs in and reads, writing nothing; a refused password is auth")
    func checkConnection() async throws {
        try await FakeBullhorn.withRunning { fake in
            let detail = try await Fixture.connector(fake).checkConnection()
            #expect(detail.contains("127.0.0.1"))
            #expect(detail.contains("0 live JobOrder"))
            #expect(fake.dataRequests.allSatisfy { $0.method == "GET" })
            let refused = await Fixture.failure { _ = try await Fixture.connector(fake, secrets: Fixture.secrets(fake, password: "nope")).checkConnection() }
            #expect(refused?.kind == .auth)
        }
    }

    // MARK: - Mapping and preview

    @Test("A mapping whose job externalID is not fed by the marker, or that sets the company's externalID, is refused")
    func mappingShape() throws {
        let noMarker = try MappingLoader.parse("""
        entities:
          company: { name: { from: company.name } }
          contact: { firstName: { from: person.first_name } }
          job: { title: { from: job.title }, externalID: { from: job.id } }
        """, file: "bullhorn.yaml")
        let companyKey = try MappingLoader.parse("""
        entities:
          company: { name: { from: company.name }, externalID: { from: company.id } }
          contact: { firstName: { from: person.first_name } }
          job: { title: { from: job.title }, externalID: { from: marker } }
        """, file: "bullhorn.yaml")
        for (mapping, expected) in [(noMarker, "job.externalID"), (companyKey, "company.externalID")] {
            #expect {
                _ = try BullhornConnector(
                    target: "bullhorn", settings: Fixture.variables, secrets: BullhornSecrets(clientID: nil, clientSecret: nil, username: nil, password: nil),
                    mapping: mapping, timeout: .seconds(1), client: .shared, credentials: nil
                )
            } throws: { error in
                (error as? ConnectorError)?.kind == .config && (error as? ConnectorError)?.message.contains(expected) == true
            }
        }
    }

    @Test("The preview lists the finds, the creates with their conditions, and the JobOrder; an update reads, then POSTs")
    func preview() throws {
        let connector = try BullhornConnector(
            target: "bullhorn", settings: Fixture.variables, secrets: BullhornSecrets(clientID: nil, clientSecret: nil, username: nil, password: nil),
            mapping: Fixture.shippedMapping, timeout: .seconds(1), client: .shared, credentials: nil
        )
        let create = try connector.plannedRequests(for: SubmissionRequest(operation: .create, snapshot: Fixture.snapshot()))
        #expect(create.map { "\($0.method) \(BullhornAPI.pathWithoutQuery($0.path))" } == [
            "GET /search/ClientCorporation", "PUT /entity/ClientCorporation",
            "GET /search/ClientContact", "PUT /entity/ClientContact",
            "PUT /entity/JobOrder", "GET /search/JobOrder",
        ])
        #expect(create[1].condition == "only if no ClientCorporation has the externalID 'atsgate:org-a:cmp-1'")
        guard case .object(let job) = create[4].body else { Issue.record("no JobOrder body"); return }
        #expect(job["externalID"] == .string("atsgate:org-a:job-1"))
        #expect(job["clientCorporation"] == .object(["id": .string("<id of company 'Halcyon Robotics cmp-1'>")]))

        let close = try connector.plannedRequests(for: SubmissionRequest(
            operation: .close, snapshot: Fixture.snapshot(status: .closed), externalID: "4101",
            references: RemoteReferences(companies: ["cmp-1": "701"], people: ["per-1": "9302"])
        ))
        #expect(close.map { "\($0.method) \(BullhornAPI.pathWithoutQuery($0.path))" } == ["GET /entity/JobOrder/4101", "POST /entity/JobOrder/4101"])
        guard case .object(let closed) = close[1].body else { Issue.record("no update body"); return }
        #expect(closed["isOpen"] == .bool(false))
        #expect(closed["status"] == .string("Closed"))
        #expect(closed["clientContact"] == .object(["id": .integer(9302)]))
    }
}
