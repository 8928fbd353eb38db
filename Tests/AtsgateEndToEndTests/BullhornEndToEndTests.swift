import AtsgateTesting
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `atsgate` binary against an in-process fake Bullhorn: what the fake holds at the end is
/// checked against expectations read from `examples/crm.json`, not from the connector's code.
@Suite("Bullhorn end to end", .serialized, .timeLimit(.minutes(2)))
struct BullhornEndToEndTests {
    static let organisation = "org-northwind"
    static let variables = (
        clientID: "ATSGATE_E2E_BH_CLIENT_ID", clientSecret: "ATSGATE_E2E_BH_CLIENT_SECRET",
        username: "ATSGATE_E2E_BH_USERNAME", password: "ATSGATE_E2E_BH_PASSWORD"
    )
    let loxo = LoxoEndToEndTests()

    // MARK: - Import to Bullhorn

    @Test("Import, qualify and deliver: Bullhorn holds exactly the corporations, contacts and job orders of the CRM; a restarted worker closes one without a password login")
    func deliversExactlyTheCRM() async throws {
        let crm = try ExampleCRM.load()
        // Two jobs of one company (Halcyon Robotics), and a company without a decision maker (cmp-011: its hiring manager is the contact).
        let jobIDs = ["job-001", "job-034", "job-002", "job-004", "job-013"]
        let jobs = try jobIDs.map { try #require(crm.jobs[$0], "\($0) is in examples/crm.json") }
        #expect(jobs.allSatisfy { $0.organisationID == Self.organisation && $0.status == "open" })
        #expect(Set(jobs.map(\.companyID)).count == jobs.count - 1, "the chosen jobs share one company")

        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeBullhorn.withRunning { fake in
            // With a key, the rotating refresh token is sealed at rest, and read back by the next process.
            let environment = try await prepare(atsgate, fake: fake, retryBaseDelay: "1s")
                .merging(["ATSGATE_SECRET_KEY": Data((0..<32).map { UInt8($0) }).base64EncodedString()]) { _, new in new }
            try await loxo.qualify(atsgate, jobIDs, environment: environment)

            let worker = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: environment)
            #expect(worker.exitCode == 0, "\(worker.stderr)")
            #expect(!worker.stderr.contains(fake.configuration.password) && !worker.stderr.contains(fake.configuration.clientSecret))

            let rows = try await loxo.listRows(atsgate, environment: environment)
            #expect(rows.map(\.jobId).sorted() == jobIDs.sorted())
            for row in rows {
                #expect(row.status == "sent", "\(row.jobId): \(row.lastErrorKind ?? "-") \(row.lastErrorMessage ?? "")")
                let job = fake.jobOrders.first { "\($0.id)" == row.externalId }
                #expect(job?["externalID"]?.string == marker(row.jobId), "row of \(row.jobId) has external id \(row.externalId ?? "none")")
            }
            try await expectBullhornHolds(exactly: jobs, crm: crm, fake: fake)
            #expect(fake.authCounts.passwordLogins == 1)

            // A new worker process closes a job: it continues with the stored refresh token.
            let closed = jobIDs[0]
            let close = try await atsgate.execute(["jobs", "close", closed, "--organisation", Self.organisation], environment: environment)
            #expect(close.exitCode == 0, "\(close.stderr)")
            let before = (jobs: fake.jobOrders.count, companies: fake.clientCorporations.count, contacts: fake.clientContacts.count)
            let requestsBefore = fake.requests.count
            let again = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: environment)
            #expect(again.exitCode == 0, "\(again.stderr)")
            #expect(fake.authCounts.passwordLogins == 1, "no password login after a restart")
            #expect(fake.authCounts.refreshGrants == 1)

            let closeRow = try #require(try await loxo.listRows(atsgate, environment: environment).first { $0.jobId == closed })
            #expect(closeRow.operation == "close")
            #expect(closeRow.status == "sent", "\(closeRow.lastErrorMessage ?? "")")
            for job in fake.jobOrders {
                let isClosed = job["externalID"]?.string == marker(closed)
                #expect(job["isOpen"]?.bool == !isClosed, "JobOrder \(job.id)")
                #expect(job["status"]?.string == (isClosed ? "Closed" : "Accepting Candidates"))
            }
            #expect(fake.jobOrders.count == before.jobs)
            #expect(fake.clientCorporations.count == before.companies)
            #expect(fake.clientContacts.count == before.contacts)
            let closeWrites = fake.requests.dropFirst(requestsBefore).filter { $0.method != "GET" && $0.path.contains("/entity/") }
            #expect(closeWrites.map(\.method) == ["POST"], "the close writes only the JobOrder: \(closeWrites.map { "\($0.method) \($0.path)" })")
            try await expectBullhornHolds(exactly: jobs, crm: crm, fake: fake)
            let database = ["", "-wal"].compactMap { FileManager.default.contents(atPath: atsgate.databasePath + $0) }
                .map { String(decoding: $0, as: UTF8.self) }.joined()
            #expect(!fake.liveRefreshTokens.isEmpty && fake.liveRefreshTokens.allSatisfy { !database.contains($0) }, "the refresh token is stored sealed")
        }
    }

    @Test("Bullhorn stores a JobOrder and answers 500: one JobOrder, adopted in the same attempt")
    func persistThenFail() async throws {
        let crm = try ExampleCRM.load()
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeBullhorn.withRunning { fake in
            let environment = try await prepare(atsgate, fake: fake, retryBaseDelay: "200ms")
            try await loxo.qualify(atsgate, ["job-001"], environment: environment)
            _ = try await loxo.deliverUntilSettled(atsgate, environment: environment)

            // job-034's company and contact are known: its first write is the JobOrder, stored and answered 500.
            fake.script(.persistThenFail())
            try await loxo.qualify(atsgate, ["job-034"], environment: environment)
            let rows = try await loxo.deliverUntilSettled(atsgate, environment: environment)
            let row = try #require(rows.first { $0.jobId == "job-034" })
            #expect(row.status == "sent", "\(row.lastErrorKind ?? "-"): \(row.lastErrorMessage ?? "")")
            #expect(fake.jobOrders.filter { $0["externalID"]?.string == marker("job-034") }.map { "\($0.id)" } == [row.externalId])
            #expect(fake.requests.filter { $0.method == "PUT" && $0.path.hasSuffix("/entity/JobOrder") }.count == 2)

            let shown = try await atsgate.execute(["outbox", "show", "\(row.id)", "--json"], environment: environment)
            let attempts = try loxo.decoder.decode(LoxoEndToEndTests.ShownRow.self, from: Data(shown.stdout.utf8)).attempts
            #expect(attempts.map(\.outcome) == ["sent"], "\(shown.stdout)")
            #expect(attempts.first?.message == "adopted an existing remote record found by marker")
            try await expectBullhornHolds(exactly: [try #require(crm.jobs["job-001"]), try #require(crm.jobs["job-034"])], crm: crm, fake: fake)
        }
    }

    @Test("mappings check refuses a Bullhorn mapping whose externalID is not the marker; preview lists the Bullhorn requests")
    func mappingsCheckAndPreview() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try atsgate.writeTarget("bullhorn", """
            kind: bullhorn
            client_id_env: A
            client_secret_env: B
            username_env: C
            password_env: D

            """)
        let mappings = atsgate.workingDirectory.appendingPathComponent("mappings")
        try FileManager.default.createDirectory(at: mappings, withIntermediateDirectories: true)
        let shipped = try String(contentsOf: AtsgateProcess.repositoryRoot.appendingPathComponent("mappings/bullhorn.yaml"), encoding: .utf8)
        try Data(shipped.utf8).write(to: mappings.appendingPathComponent("bullhorn.yaml"))
        #expect(try await atsgate.execute(["mappings", "check"], environment: atsgate.localConfig).exitCode == 0)

        #expect(try await atsgate.execute(["import", atsgate.exampleDataset], environment: atsgate.localConfig).exitCode == 0)
        let preview = try await atsgate.execute(
            ["mappings", "preview", "--job", "job-001", "--target", "bullhorn", "--organisation", Self.organisation, "--json"], environment: atsgate.localConfig
        )
        #expect(preview.exitCode == 0, "\(preview.stderr)")
        let requests = try #require(try JSONSerialization.jsonObject(with: Data(preview.stdout.utf8)) as? [[String: Any]])
        #expect(requests.map { "\($0["method"] ?? "") \(($0["path"] as? String)?.split(separator: "?").first ?? "")" } == [
            "GET /search/ClientCorporation", "PUT /entity/ClientCorporation", "GET /search/ClientContact", "PUT /entity/ClientContact",
            "PUT /entity/JobOrder", "GET /search/JobOrder",
        ])
        #expect((requests[4]["body"] as? [String: Any])?["externalID"] as? String == marker("job-001"))

        let withoutMarker = shipped.replacingOccurrences(of: "externalID: { from: marker, required: true }", with: "externalID: { from: job.id }")
        #expect(withoutMarker != shipped)
        try Data(withoutMarker.utf8).write(to: mappings.appendingPathComponent("bullhorn.yaml"))
        let refused = try await atsgate.execute(["mappings", "check"], environment: atsgate.localConfig)
        #expect(refused.exitCode == 2)
        #expect(refused.stderr.contains("mappings/bullhorn.yaml"), "\(refused.stderr)")
        #expect(refused.stderr.contains("job.externalID"), "\(refused.stderr)")
    }

    // MARK: - Sandbox

    @Test("atsgate sandbox delivers every qualified job to the fake Bullhorn exactly once too, and prints no secret")
    func sandbox() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let directory = atsgate.workingDirectory.appendingPathComponent("sbx")
        let result = try await atsgate.execute([
            "sandbox", "--directory", directory.path, "--config", AtsgateProcess.repositoryRoot.path, "--data", atsgate.exampleDataset,
        ])
        #expect(result.exitCode == 0, "\(result.stdout.suffix(3_000))\n\(result.stderr)")
        let lastLine = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(lastLine.contains("at Bullhorn exactly once"), "\(lastLine)")
        #expect(result.stdout.contains("what the fake Bullhorn holds"))
        #expect(result.stdout.contains("logins: 1 with the password"), "one password login for the whole run")
        // The sandbox's Bullhorn secrets are random `sandbox-<UUID>` values; none is printed.
        #expect(result.stdout.range(of: "sandbox-[0-9A-F]{8}-", options: .regularExpression) == nil)
        let written = try String(contentsOf: directory.appendingPathComponent("connectors/bullhorn.yaml"), encoding: .utf8)
        #expect(written.contains("password_env: ATSGATE_SANDBOX_BULLHORN_PASSWORD"))
        #expect(written.range(of: "sandbox-[0-9A-F]{8}-", options: .regularExpression) == nil, "only variable names in the file")
    }

    // MARK: - Expectations from the CRM

    /// Bullhorn holds exactly `jobs` (one JobOrder each, by marker), exactly their companies (each
    /// once), and for each company exactly the contact a JobOrder names — its first decision maker,
    /// else its first hiring manager — besides Bullhorn's archived placeholders.
    func expectBullhornHolds(exactly jobs: [ExampleCRM.Job], crm: ExampleCRM, fake: FakeBullhorn) async throws {
        let companyIDs = Set(jobs.map(\.companyID))
        let expectedCompanies = try companyIDs.map { try #require(crm.companies[$0]).name }.sorted()
        #expect(fake.clientCorporations.compactMap { $0["name"]?.string }.sorted() == expectedCompanies, "each company of the jobs once, and no other")
        for company in fake.clientCorporations {
            let local = crm.companies.values.first { $0.name == company["name"]?.string && $0.organisationID == Self.organisation }
            #expect(company["externalID"]?.string == local.map { "atsgate:\(Self.organisation):\($0.id)" })
        }
        let companyNames = Dictionary(fake.clientCorporations.map { ($0.id, $0["name"]?.string ?? "") }, uniquingKeysWith: { first, _ in first })

        let contacts = fake.clientContacts.filter { $0["status"]?.string != "Archive" }
        let expectedContacts = try companyIDs.map { try #require(jobOrderContact(ofCompany: $0, crm: crm), "\($0) has someone to name") }
        #expect(
            contacts.map { ExampleCRM.Contact(name: $0["name"]?.string ?? "", email: $0["email"]?.string) }.sorted() == expectedContacts.sorted(),
            "one contact per company, and no one else"
        )
        #expect(fake.clientContacts.count - contacts.count == companyIDs.count, "one archived placeholder per new company")
        let contactsByID = Dictionary(contacts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })

        #expect(fake.jobOrders.count == jobs.count)
        for job in jobs {
            let remote = fake.jobOrders.filter { $0["externalID"]?.string == marker(job.id) }
            #expect(remote.count == 1, "\(job.id) is at Bullhorn \(remote.count) time(s)")
            guard let remote = remote.first else { continue }
            #expect(remote["title"]?.string == job.title)
            #expect(remote["clientCorporation"]?.associatedID.flatMap { companyNames[$0] } == crm.companies[job.companyID]?.name, "\(job.id)'s company")
            let contact = remote["clientContact"]?.associatedID.flatMap { contactsByID[$0] }
            #expect(contact?["name"]?.string == jobOrderContact(ofCompany: job.companyID, crm: crm)?.name, "\(job.id)'s contact")
            #expect(contact?["clientCorporation"]?.associatedID == remote["clientCorporation"]?.associatedID)
        }
    }

    /// The company's first decision maker by id, else its first hiring manager.
    func jobOrderContact(ofCompany companyID: String, crm: ExampleCRM) -> ExampleCRM.Contact? {
        for label in ["decision_maker", "hiring_manager", "primary_contact"] {
            let ids = crm.associations
                .filter { $0.organisationID == Self.organisation && $0.companyID == companyID && $0.label == label }
                .map(\.personID).sorted()
            if let first = ids.first, let person = crm.people[first] { return ExampleCRM.Contact(name: person.name, email: person.email) }
        }
        return nil
    }

    // MARK: - Helpers

    /// A `bullhorn` target pointing at the fake, the repository's Bullhorn mapping, and the example CRM imported.
    /// - Returns: the environment every later command runs with (the secrets as values of the named variables).
    func prepare(
        _ atsgate: AtsgateProcess, fake: FakeBullhorn, retryBaseDelay: String, maxDelay: String = "2s", redosPerAttempt: Int = 3
    ) async throws -> [String: String] {
        try atsgate.writeTarget("bullhorn", """
            kind: bullhorn
            login_info_url: \(fake.loginInfoURL)
            client_id_env: \(Self.variables.clientID)
            client_secret_env: \(Self.variables.clientSecret)
            username_env: \(Self.variables.username)
            password_env: \(Self.variables.password)
            redirect_uri: \(fake.configuration.redirectURI)
            retry:
              max_attempts: 5
              base_delay: \(retryBaseDelay)
              max_delay: \(maxDelay)
              max_age: 1h
              redos_per_attempt: \(redosPerAttempt)
            rate_limit:
              requests_per_second: 200
              burst: 200
            concurrency: 4
            timeout: 5s
            circuit_breaker:
              failure_threshold: 5
              cool_down: 1s

            """)
        try atsgate.copyRepositoryMapping("bullhorn.yaml")
        let configuration = fake.configuration
        let environment = atsgate.localConfig.merging([
            Self.variables.clientID: configuration.clientID, Self.variables.clientSecret: configuration.clientSecret,
            Self.variables.username: configuration.username, Self.variables.password: configuration.password,
        ]) { _, new in new }
        let imported = try await atsgate.execute(["import", atsgate.exampleDataset], environment: environment)
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        return environment
    }

    func marker(_ jobID: String) -> String { "atsgate:\(Self.organisation):\(jobID)" }
}

// MARK: - Reconcile against the fake Bullhorn

extension BullhornEndToEndTests {
    func reconcile(_ atsgate: AtsgateProcess, _ extra: [String] = [], environment: [String: String]) async throws -> (Int32, ReconcileEndToEndTests.Report?) {
        try await atsgate.reconcile(target: "bullhorn", organisation: Self.organisation, extra, environment: environment)
    }

    @Test("Reconcile finds drift, missing_remote, status_mismatch, unlinked_remote (persist-then-fail), duplicates and orphans; --apply repairs; a second --apply adds nothing")
    func reconcilePlantedDifferences() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeBullhorn.withRunning { fake in
            // Retries wait ten minutes and nothing is redone within an attempt, so a planted failure
            // stays as it is while reconcile looks at it.
            let environment = try await prepare(atsgate, fake: fake, retryBaseDelay: "10m", maxDelay: "10m", redosPerAttempt: 0)
            try await loxo.qualify(atsgate, ["job-001", "job-002", "job-004", "job-005"], environment: environment)
            #expect(try await loxo.deliverUntilSettled(atsgate, environment: environment).allSatisfy { $0.status == "sent" })
            let remote = { (job: String) in try #require(fake.jobOrders.first { $0["externalID"]?.string == marker(job) && $0["isDeleted"]?.bool != true }) }

            // The export's already-qualified jobs (one of a company without a decision maker) are unsynced; repaired, all is clean.
            let (_, first) = try await reconcile(atsgate, environment: environment)
            #expect(Set(first?.findings.map { "\($0.category) \($0.jobId ?? "-")" } ?? [])
                == Set(try ReconcileEndToEndTests.importedQualifiedOpenJobs().map { "unsynced \($0)" }))
            let (_, applied) = try await reconcile(atsgate, ["--apply"], environment: environment)
            #expect(applied?.run.status == "completed")
            #expect(try await loxo.deliverUntilSettled(atsgate, environment: environment).allSatisfy { $0.status == "sent" })
            let (cleanExit, clean) = try await reconcile(atsgate, ["--fail-on-findings"], environment: environment)
            #expect(cleanExit == 0)
            #expect(clean?.findings.map { "\($0.category) \($0.jobId ?? "-") \($0.fields)" } == [])

            // Planted at Bullhorn by a user: a title edited, a JobOrder deleted, one closed, a copy, one with an unknown marker.
            let user = try await BullhornUser.logIn(fake)
            try await user.update("JobOrder", try remote("job-001").id, ["title": "Field Service Engineer (Robotics)"])
            try await user.delete("JobOrder", try remote("job-002").id)
            try await user.update("JobOrder", try remote("job-004").id, ["isOpen": false, "status": "Closed"])
            let copy = fake.insert(.jobOrder, ["title": "copy", "externalID": .string(marker("job-005")), "isOpen": true])
            let orphan = fake.insert(.jobOrder, ["title": "made by hand", "externalID": .string(marker("job-999")), "isOpen": true])
            // Planted here: Bullhorn stores job-034's JobOrder and answers 500, and the lookup right after fails too,
            // so the row waits for a retry without the id.
            fake.script(.persistThenFail(), .status(503))
            try await loxo.qualify(atsgate, ["job-034"], environment: environment)
            let worker = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: environment)
            #expect(worker.exitCode == 0, "\(worker.stderr)")
            let waiting = try #require(try await loxo.listRows(atsgate, environment: environment).first { $0.jobId == "job-034" })
            #expect(waiting.status == "pending")
            #expect(waiting.externalId == nil)
            let unanswered = try remote("job-034")

            let (exit, found) = try await reconcile(atsgate, ["--fail-on-findings"], environment: environment)
            #expect(exit == 1, "--fail-on-findings")
            let report = try #require(found)
            #expect(report.run.status == "completed")
            let summary = Set(report.findings.map { "\($0.category) \($0.jobId ?? "-") \($0.repair ?? "report")" })
            #expect(summary == [
                "drift job-001 enqueue_update",
                "missing_remote job-002 enqueue_create",
                "status_mismatch job-004 enqueue_update",
                "duplicate_remote job-005 report",
                "orphan_remote job-999 report",
                "unlinked_remote job-034 adopt",
            ])
            #expect(report.findings.count == summary.count)
            #expect(report.findings.first { $0.category == "drift" }?.fields == ["title"])
            #expect(report.findings.first { $0.category == "duplicate_remote" }?.remoteId == String(copy.id))
            #expect(report.findings.first { $0.category == "orphan_remote" }?.remoteId == String(orphan.id))
            #expect(report.findings.first { $0.category == "unlinked_remote" }?.remoteId == String(unanswered.id))

            let (_, repaired) = try await reconcile(atsgate, ["--apply"], environment: environment)
            #expect(repaired?.repairedRows == 4)
            let rows = try await loxo.listRows(atsgate, environment: environment)
            func row(_ job: String) -> String? {
                rows.first { $0.jobId == job }.map { "\($0.status) \($0.operation) \($0.externalId ?? "-")" }
            }
            #expect(row("job-001") == "pending update \(try remote("job-001").id)")
            #expect(row("job-002") == "pending create -")
            #expect(row("job-004") == "pending update \(try remote("job-004").id)")
            #expect(row("job-034")?.hasSuffix(" \(unanswered.id)") == true, "adopted: \(row("job-034") ?? "-")")

            let (_, again) = try await reconcile(atsgate, ["--apply"], environment: environment)
            #expect(again?.repairedRows == 0)
            #expect(try await loxo.listRows(atsgate, environment: environment).map { "\($0.id) \($0.status) \($0.operation)" }
                == rows.map { "\($0.id) \($0.status) \($0.operation)" })

            // The worker carries the repairs out; what is left is what only a person can decide.
            #expect(try await loxo.deliverUntilSettled(atsgate, environment: environment).allSatisfy { $0.status == "sent" })
            let (_, after) = try await reconcile(atsgate, environment: environment)
            #expect(Set(after?.findings.map(\.category) ?? []) == ["duplicate_remote", "orphan_remote"])
            #expect(try remote("job-001")["title"]?.string != "Field Service Engineer (Robotics)")
            #expect(try remote("job-004")["isOpen"]?.bool == true)
            #expect(fake.jobOrders.filter { $0["externalID"]?.string == marker("job-002") }.map { $0["isDeleted"]?.bool } == [true, false])
            #expect(fake.jobOrders.filter { $0["externalID"]?.string == marker("job-034") }.count == 1)
            // atsgate's first and the user's: every later worker and reconcile continued with the stored refresh token.
            #expect(fake.authCounts.passwordLogins == 2)
            #expect(fake.authCounts.rejectedRefreshGrants == 0)
        }
    }
}

/// A Bullhorn user editing records by hand, through the fake's REST API (its own OAuth session).
struct BullhornUser: Sendable {
    let restURL: String
    let token: String

    /// Stops at the 302 of `authorize`, whose `Location` carries the code.
    private final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }

    private static let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)

    static func logIn(_ fake: FakeBullhorn) async throws -> BullhornUser {
        let configuration = fake.configuration
        func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text }
        let (_, authorize) = try await send("POST", "\(fake.oauthURL)/authorize", form: "client_id=\(encoded(configuration.clientID))&response_type=code&action=Login&username=\(encoded(configuration.username))&password=\(encoded(configuration.password))")
        let location = try #require(authorize.value(forHTTPHeaderField: "Location"))
        let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
        let (tokens, _) = try await send("POST", "\(fake.oauthURL)/token", form: "grant_type=authorization_code&code=\(encoded(code))&client_id=\(encoded(configuration.clientID))&client_secret=\(encoded(configuration.clientSecret))")
        let accessToken = try #require(tokens["access_token"] as? String)
        let (login, _) = try await send("POST", "\(fake.baseURL)/rest-services/login", form: "version=2.0&access_token=\(encoded(accessToken))")
        return BullhornUser(restURL: try #require(login["restUrl"] as? String), token: try #require(login["BhRestToken"] as? String))
    }

    func update(_ entity: String, _ id: Int, _ fields: [String: Any]) async throws {
        let (answer, response) = try await Self.send("POST", "\(restURL)entity/\(entity)/\(id)", json: fields, token: token)
        #expect(response.statusCode == 200, "\(answer)")
    }

    func delete(_ entity: String, _ id: Int) async throws {
        let (answer, response) = try await Self.send("DELETE", "\(restURL)entity/\(entity)/\(id)", token: token)
        #expect(response.statusCode == 200, "\(answer)")
    }

    private static func send(
        _ method: String, _ url: String, form: String? = nil, json: [String: Any]? = nil, token: String? = nil
    ) async throws -> ([String: Any], HTTPURLResponse) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        if let form {
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(form.utf8)
        }
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        if let token { request.setValue(token, forHTTPHeaderField: "BhRestToken") }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:], http)
    }
}
