import AtsgateTesting
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `atsgate` binary against an in-process fake Loxo: what the fake holds at the end is checked
/// against expectations read from `examples/crm.json`, not from the connector's code.
@Suite("Loxo end to end", .serialized, .timeLimit(.minutes(2)))
struct LoxoEndToEndTests {
    static let organisation = "org-northwind"
    static let keyVariable = "ATSGATE_E2E_LOXO_KEY"

    // MARK: - Import to Loxo

    @Test("Import, qualify and deliver: Loxo holds exactly the jobs, companies and hiring contacts of the CRM; a close adds nothing")
    func deliversExactlyTheCRM() async throws {
        let crm = try ExampleCRM.load()
        // Two jobs of one company (Halcyon Robotics, whose VP is both decision maker and hiring manager),
        // and companies with contacts that have no email, found by name instead.
        let jobIDs = ["job-001", "job-034", "job-002", "job-004", "job-005"]
        let jobs = try jobIDs.map { try #require(crm.jobs[$0], "\($0) is in examples/crm.json") }
        #expect(jobs.allSatisfy { $0.organisationID == Self.organisation && $0.status == "open" })
        let companyIDs = Set(jobs.map(\.companyID))
        #expect(companyIDs.count >= 2 && companyIDs.count < jobs.count, "the chosen jobs span several companies and share one")

        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeLoxo.withRunning { fake in
            let environment = try await prepare(atsgate, fake: fake, retryBaseDelay: "1s")
            try await qualify(atsgate, jobIDs, environment: environment)

            // Given every job queued, when one worker runs until idle (logging everything)…
            let debug = environment.merging(["ATSGATE_LOG_LEVEL": "debug"]) { _, new in new }
            let worker = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: debug)
            #expect(worker.exitCode == 0, "\(worker.stderr)")
            #expect(worker.stderr.contains("debug"), "the worker logged at debug level")
            #expect(!worker.stderr.contains(fake.apiKey) && !worker.stdout.contains(fake.apiKey), "the API key was printed")

            // …then every row is sent, with the id of a Loxo job carrying that row's marker.
            let rows = try await listRows(atsgate, environment: environment)
            #expect(rows.map(\.jobId).sorted() == jobIDs.sorted())
            for row in rows {
                #expect(row.status == "sent", "\(row.jobId): \(row.lastErrorKind ?? "-") \(row.lastErrorMessage ?? "")")
                let job = fake.jobs.first { "\($0.id)" == row.externalId }
                #expect(job?.fields["custom_text_1"] == marker(row.jobId), "row of \(row.jobId) has external id \(row.externalId ?? "none")")
            }
            try await expectLoxoHolds(exactly: jobs, crm: crm, fake: fake)

            // When one of them is closed in the CRM and the worker runs again…
            let closed = jobIDs[0]
            let close = try await atsgate.execute(["jobs", "close", closed, "--organisation", Self.organisation], environment: environment)
            #expect(close.exitCode == 0, "\(close.stderr)")
            let before = (jobs: fake.jobs.count, companies: fake.companies.count, people: fake.people.count)
            let requestsBefore = fake.requests.count
            let again = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: environment)
            #expect(again.exitCode == 0, "\(again.stderr)")

            // …then its Loxo job is closed through a PUT, the others stay open, and nothing new was created.
            let closeRow = try #require(try await listRows(atsgate, environment: environment).first { $0.jobId == closed })
            #expect(closeRow.operation == "close")
            #expect(closeRow.status == "sent", "\(closeRow.lastErrorMessage ?? "")")
            for job in fake.jobs {
                let expected = job.fields["custom_text_1"] == marker(closed) ? "2" : "1"
                #expect(job.fields["job_status_id"] == expected, "Loxo job \(job.id) (\(job.fields["custom_text_1"] ?? "-"))")
            }
            #expect(fake.jobs.count == before.jobs)
            #expect(fake.companies.count == before.companies)
            #expect(fake.people.count == before.people)
            let closeWrites = fake.requests.dropFirst(requestsBefore).filter { $0.method != "GET" }
            #expect(closeWrites.map(\.method) == ["PUT"], "the close writes only the job: \(closeWrites.map { "\($0.method) \($0.path)" })")
            try await expectLoxoHolds(exactly: jobs, crm: crm, fake: fake)
        }
    }

    // MARK: - Commit, then drop

    enum DroppedWrite: String, CaseIterable, CustomTestStringConvertible {
        /// The company is new, so the first write of the delivery is `POST /companies`.
        case companyCreate
        /// The company already exists at Loxo, so the first write is `POST /jobs`.
        case jobCreate

        var testDescription: String { rawValue }
    }

    @Test("A create that Loxo commits but never answers is redone after the backoff's wait and leaves exactly one job", arguments: DroppedWrite.allCases)
    func commitThenDrop(_ dropped: DroppedWrite) async throws {
        let crm = try ExampleCRM.load()
        let jobID = "job-001"
        let job = try #require(crm.jobs[jobID])
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeLoxo.withRunning { fake in
            let environment = try await prepare(atsgate, fake: fake, retryBaseDelay: "200ms")
            if dropped == .jobCreate {
                try await createCompany(named: try #require(crm.companies[job.companyID]?.name), at: fake)
                #expect(fake.companies.count == 1)
            }
            try await qualify(atsgate, [jobID], environment: environment)

            // Given the next write is stored and its connection dropped before any answer…
            fake.script(.commitThenDropConnection)
            let rows = try await deliverUntilSettled(atsgate, environment: environment)

            // …the row is sent, and Loxo holds the job once, with its company and contacts once.
            let row = try #require(rows.first)
            #expect(rows.count == 1)
            #expect(row.status == "sent", "\(row.lastErrorKind ?? "-"): \(row.lastErrorMessage ?? "")")
            let marked = fake.jobs.filter { $0.fields["custom_text_1"] == marker(jobID) }
            #expect(marked.count == 1)
            #expect(marked.first.map { "\($0.id)" } == row.externalId)
            try await expectLoxoHolds(exactly: [job], crm: crm, fake: fake)
            let posts = fake.requests.filter { $0.method == "POST" }
            #expect(posts.filter { $0.path.hasSuffix("/jobs") }.count == 1, "no second job create")
            #expect(posts.filter { $0.path.hasSuffix("/companies") }.count == 1, "no second company create")

            // One attempt: the dropped create was redone within it, after the outbox's first backoff
            // (Loxo's search may not show at once what the create made), and found by its search.
            let shown = try await atsgate.execute(["outbox", "show", "\(row.id)", "--json"], environment: environment)
            #expect(shown.exitCode == 0, "\(shown.stderr)")
            let attempts = try decoder.decode(ShownRow.self, from: Data(shown.stdout.utf8)).attempts
            #expect(attempts.map(\.outcome) == ["sent"], "\(shown.stdout)")
            if dropped == .jobCreate {
                #expect(attempts.last?.message == "adopted an existing remote record found by marker", "\(shown.stdout)")
            } else {
                #expect(attempts.last?.message?.contains("after 1 redo within the attempt (last: ") == true, "\(shown.stdout)")
            }
        }
    }

    // MARK: - Sandbox

    @Test("atsgate sandbox with the repository's mappings ends with every qualified job at Loxo exactly once")
    func sandbox() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let root = AtsgateProcess.repositoryRoot
        let directory = atsgate.workingDirectory.appendingPathComponent("sbx")
        let result = try await atsgate.execute([
            "sandbox", "--directory", directory.path, "--config", root.path, "--data", atsgate.exampleDataset,
        ])
        #expect(result.exitCode == 0, "\(result.stdout.suffix(2_000))\n\(result.stderr)")
        let lastLine = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(lastLine.hasPrefix("ok: each of the 6 qualified jobs is at Loxo exactly once"), "\(lastLine)")
        #expect(result.stdout.contains("workspace:  \(directory.path)"))
        // The email target runs against a real aiosmtpd (scripts/install-system-packages installs it).
        #expect(result.stdout.contains("ok: each job mailed to the desk once"), "\(result.stdout.suffix(1_000))")
        let copied = try Data(contentsOf: directory.appendingPathComponent("mappings/loxo.yaml"))
        #expect(copied == (try Data(contentsOf: root.appendingPathComponent("mappings/loxo.yaml"))), "the sandbox ran with the repository's Loxo mapping")

        // Without mappings/ under --config there is nothing to run with.
        let empty = atsgate.workingDirectory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let refused = try await atsgate.execute([
            "sandbox", "--directory", atsgate.workingDirectory.appendingPathComponent("sbx2").path,
            "--config", empty.path, "--data", atsgate.exampleDataset,
        ])
        #expect(refused.exitCode != 0)
        #expect(refused.stderr.contains("loxo.yaml not found"), "\(refused.stderr)")
    }

    // MARK: - Expectations from the CRM

    /// Loxo holds exactly `jobs` (one each, by marker), exactly their companies, exactly their
    /// companies' decision makers and hiring managers, and each job's contacts are its company's.
    func expectLoxoHolds(exactly jobs: [ExampleCRM.Job], crm: ExampleCRM, fake: FakeLoxo) async throws {
        let companyIDs = Set(jobs.map(\.companyID))
        let expectedCompanies = try companyIDs.map { try #require(crm.companies[$0]).name }.sorted()
        #expect(fake.companies.compactMap { $0.fields["name"] }.sorted() == expectedCompanies, "each company of the jobs once, and no other")
        let companyNames = Dictionary(fake.companies.map { ($0.id, $0.fields["name"] ?? "") }, uniquingKeysWith: { first, _ in first })

        let expectedPeople = companyIDs.flatMap { crm.hiringContacts(ofCompany: $0, in: Self.organisation) }
        #expect(
            fake.people.map { ExampleCRM.Contact(name: $0.fields["name"] ?? "", email: $0.fields["email"]) }.sorted() == expectedPeople.sorted(),
            "each decision maker and hiring manager of those companies once, and no one else"
        )
        let peopleByID = Dictionary(fake.people.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for person in fake.people {
            let title = expectedPeople.first { $0.name == person.fields["name"] }.flatMap { crm.title(of: $0) }
            #expect(person.fields["title"] == title, "title of \(person.fields["name"] ?? "?")")
        }

        #expect(fake.jobs.count == jobs.count)
        for job in jobs {
            let remote = fake.jobs.filter { $0.fields["custom_text_1"] == marker(job.id) }
            #expect(remote.count == 1, "\(job.id) is at Loxo \(remote.count) time(s)")
            guard let remote = remote.first else { continue }
            #expect(remote.fields["title"] == job.title)
            let companyID = remote.fields["company_id"].flatMap { Int($0) }
            #expect(companyID.flatMap { companyNames[$0] } == crm.companies[job.companyID]?.name, "\(job.id)'s company")
            let contacts = remote.contacts.map { id in
                peopleByID[id].map { ExampleCRM.Contact(name: $0.fields["name"] ?? "", email: $0.fields["email"]) }
            }
            #expect(
                contacts.sorted { ($0?.name ?? "") < ($1?.name ?? "") }
                    == crm.hiringContacts(ofCompany: job.companyID, in: Self.organisation).sorted().map(Optional.some),
                "\(job.id)'s hiring contacts are its company's decision makers and hiring managers, each once"
            )
        }
    }

    // MARK: - Helpers

    /// A `loxo` target pointing at the fake, the repository's Loxo mapping, and the example CRM imported.
    /// - Returns: the environment every later command runs with.
    func prepare(_ atsgate: AtsgateProcess, fake: FakeLoxo, retryBaseDelay: String) async throws -> [String: String] {
        try atsgate.writeTarget("loxo", """
            kind: loxo
            base_url: \(fake.baseURL)
            agency_slug: \(fake.agencySlug)
            api_key_env: \(Self.keyVariable)
            retry:
              max_attempts: 5
              base_delay: \(retryBaseDelay)
              max_delay: 2s
              max_age: 10m
            rate_limit:
              requests_per_second: 200
              burst: 200
            concurrency: 4
            timeout: 5s
            circuit_breaker:
              failure_threshold: 5
              cool_down: 1s

            """)
        try atsgate.copyRepositoryMapping("loxo.yaml")
        let environment = atsgate.localConfig.merging([Self.keyVariable: fake.apiKey]) { _, new in new }
        let imported = try await atsgate.execute(["import", atsgate.exampleDataset], environment: environment)
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        return environment
    }

    func qualify(_ atsgate: AtsgateProcess, _ jobs: [String], environment: [String: String]) async throws {
        for job in jobs {
            let result = try await atsgate.execute(["jobs", "qualify", job, "--organisation", Self.organisation], environment: environment)
            #expect(result.exitCode == 0, "\(job): \(result.stderr)")
        }
    }

    /// Runs `worker --until-idle` until no row is waiting for a retry (a retry scheduled later
    /// ends a run), for at most 20 seconds.
    func deliverUntilSettled(_ atsgate: AtsgateProcess, environment: [String: String]) async throws -> [ListedRow] {
        let clock = ContinuousClock()
        let giveUp = clock.now + .seconds(20)
        while true {
            let worker = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: environment)
            #expect(worker.exitCode == 0, "\(worker.stderr)")
            let rows = try await listRows(atsgate, environment: environment)
            if rows.allSatisfy({ $0.status == "sent" || $0.status == "failed" }) || clock.now > giveUp { return rows }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Creates a company at the fake through its API, as a recruiter at the agency would.
    func createCompany(named name: String, at fake: FakeLoxo) async throws {
        var request = URLRequest(url: try #require(URL(string: "\(fake.baseURL)/api/\(fake.agencySlug)/companies")))
        request.httpMethod = "POST"
        request.setValue("Bearer \(fake.apiKey)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: ["company": ["name": name]])
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
    }

    func marker(_ jobID: String) -> String { "atsgate:\(Self.organisation):\(jobID)" }

    struct ListedRow: Decodable {
        var id: Int
        var jobId: String
        var operation: String
        var status: String
        var attempts: Int
        var externalId: String?
        var lastErrorKind: String?
        var lastErrorMessage: String?
    }

    struct ShownRow: Decodable {
        struct Attempt: Decodable {
            var attemptNumber: Int
            var outcome: String?
            var errorKind: String?
            var httpStatus: Int?
            var message: String?
        }

        var attempts: [Attempt]
    }

    var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    func listRows(_ atsgate: AtsgateProcess, environment: [String: String]) async throws -> [ListedRow] {
        let result = try await atsgate.execute(["outbox", "list", "--json"], environment: environment)
        #expect(result.exitCode == 0, "\(result.stderr)")
        return try decoder.decode([ListedRow].self, from: Data(result.stdout.utf8))
    }
}

/// `examples/crm.json`, read with `JSONSerialization`: what the tests expect at Loxo comes from the data file.
struct ExampleCRM: Sendable {
    struct Job: Sendable {
        var id: String
        var organisationID: String
        var companyID: String
        var title: String
        var status: String
    }

    struct Company: Sendable {
        var id: String
        var organisationID: String
        var name: String
    }

    struct Person: Sendable {
        var id: String
        var name: String
        var email: String?
        var role: String?
    }

    /// A person as Loxo should hold them: the CRM's full name and email.
    struct Contact: Hashable, Comparable, Sendable {
        var name: String
        var email: String?

        static func < (left: Contact, right: Contact) -> Bool {
            (left.name, left.email ?? "") < (right.name, right.email ?? "")
        }
    }

    struct Association: Sendable {
        var organisationID: String
        var companyID: String
        var personID: String
        var label: String
    }

    var jobs: [String: Job] = [:]
    var companies: [String: Company] = [:]
    var people: [String: Person] = [:]
    var associations: [Association] = []

    static func load() throws -> ExampleCRM {
        let url = AtsgateProcess.repositoryRoot.appendingPathComponent("examples/crm.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        func records(_ key: String) throws -> [[String: Any]] {
            try #require(root[key] as? [[String: Any]], "examples/crm.json has a '\(key)' list")
        }
        var crm = ExampleCRM()
        for job in try records("jobs") {
            let id = try #require(job["id"] as? String)
            crm.jobs[id] = Job(
                id: id, organisationID: try #require(job["organisation_id"] as? String), companyID: try #require(job["company_id"] as? String),
                title: try #require(job["title"] as? String), status: try #require(job["status"] as? String)
            )
        }
        for company in try records("companies") {
            let id = try #require(company["id"] as? String)
            crm.companies[id] = Company(id: id, organisationID: try #require(company["organisation_id"] as? String), name: try #require(company["name"] as? String))
        }
        for person in try records("people") {
            let id = try #require(person["id"] as? String)
            let name = "\(try #require(person["first_name"] as? String)) \(try #require(person["last_name"] as? String))"
            crm.people[id] = Person(id: id, name: name, email: person["email"] as? String, role: person["company_role"] as? String)
        }
        for association in try records("associations") {
            crm.associations.append(Association(
                organisationID: try #require(association["organisation_id"] as? String), companyID: try #require(association["company_id"] as? String),
                personID: try #require(association["person_id"] as? String), label: try #require(association["association_label"] as? String)
            ))
        }
        return crm
    }

    /// The company's decision makers and hiring managers, each person once.
    func hiringContacts(ofCompany companyID: String, in organisationID: String) -> [Contact] {
        let ids = associations
            .filter { $0.organisationID == organisationID && $0.companyID == companyID && ["decision_maker", "hiring_manager"].contains($0.label) }
            .map(\.personID)
        return Set(ids).compactMap { people[$0] }.map { Contact(name: $0.name, email: $0.email) }
    }

    func title(of contact: Contact) -> String? {
        people.values.first { $0.name == contact.name && $0.email == contact.email }?.role
    }
}
