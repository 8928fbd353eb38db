import AtsgateTesting
import Foundation
import Testing

/// Two organisations, each with its own Loxo agency: every job, company and person lands in its
/// own organisation's agency, and no secret shows anywhere.
@Suite("Connections: each organisation delivers to its own ATS account")
struct ConnectionsEndToEndTests {
    static let organisations = ["org-a", "org-b"]
    static let jobsPerOrganisation = 4
    static let keyVariable = "ATSGATE_E2E_ORG_B_LOXO_KEY"
    static let secretKey = Data((0..<32).map { UInt8($0 * 7 % 256) }).base64EncodedString()

    struct ListedRow: Decodable {
        var organisationId: String
        var jobId: String
        var status: String
        var lastErrorKind: String?
        var lastErrorMessage: String?
    }

    @Test("Two organisations with an 'Acme' each: each agency holds only its own jobs, company and people; no organisation without a connection can qualify")
    func eachOrganisationToItsOwnAgency() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeLoxo.withRunning(agencySlug: "agency-a", apiKey: "key-of-org-a-4711") { agencyA in
            try await FakeLoxo.withRunning(agencySlug: "agency-b", apiKey: "key-of-org-b-0815") { agencyB in
                let environment = try await prepare(atsgate, baseURL: agencyA.baseURL)
                    .merging([Self.keyVariable: agencyB.apiKey]) { _, new in new }

                // connections: required, and org-a has none yet: refused, nothing written.
                let refused = try await atsgate.execute(["jobs", "qualify", "job-1", "--organisation", "org-a"], environment: environment)
                #expect(refused.exitCode == 2)
                #expect(refused.stderr.contains("organisation 'org-a' has no connection to target 'loxo'"), "\(refused.stderr)")
                #expect(try await listRows(atsgate, environment: environment).isEmpty)

                // An inline secret without ATSGATE_SECRET_KEY is refused, and nothing is stored.
                let file = atsgate.workingDirectory.appendingPathComponent("inline.yaml")
                try Data("agency_slug: agency-a\napi_key: \(agencyA.apiKey)\n".utf8).write(to: file)
                var keyless = environment
                keyless["ATSGATE_SECRET_KEY"] = ""
                let unsealed = try await atsgate.execute(["connections", "set", "--organisation", "org-a", "--target", "loxo", "--file", file.path], environment: keyless)
                #expect(unsealed.exitCode == 2)
                #expect(unsealed.stderr.contains("storing a secret needs ATSGATE_SECRET_KEY"), "\(unsealed.stderr)")
                let listed = try await atsgate.execute(["connections", "list", "--json"], environment: environment)
                #expect((try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [Any])?.isEmpty == true, "\(listed.stdout)")
                try FileManager.default.removeItem(at: file)

                try await setConnection(atsgate, "org-a", "base_url: \(agencyA.baseURL)\nagency_slug: agency-a\napi_key: \(agencyA.apiKey)\n", environment: environment)
                try await setConnection(atsgate, "org-b", "base_url: \(agencyB.baseURL)\nagency_slug: agency-b\napi_key_env: \(Self.keyVariable)\n", environment: environment)
                try await qualifyAll(atsgate, environment: environment)

                let debug = environment.merging(["ATSGATE_LOG_LEVEL": "debug"]) { _, new in new }
                let worker = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: debug)
                #expect(worker.exitCode == 0, "\(worker.stderr)")
                let rows = try await listRows(atsgate, environment: environment)
                #expect(rows.count == Self.organisations.count * Self.jobsPerOrganisation)
                #expect(rows.allSatisfy { $0.status == "sent" }, "\(rows.filter { $0.status != "sent" })")

                for (agency, organisation) in [(agencyA, "org-a"), (agencyB, "org-b")] {
                    let markers = Set(agency.jobs.compactMap { $0.fields["custom_text_1"] })
                    #expect(markers == Set((1...Self.jobsPerOrganisation).map { "atsgate:\(organisation):job-\($0)" }), "\(agency.agencySlug): \(markers)")
                    #expect(agency.companies.compactMap { $0.fields["name"] } == ["Acme"], "\(agency.agencySlug) holds one Acme, its own")
                    let emails = agency.people.compactMap { $0.fields["email"] }
                    #expect(emails == ["hm@\(organisation).example"], "\(agency.agencySlug): \(emails)")
                }

                let outputs = try await everythingPrinted(atsgate, worker: worker, environment: environment)
                for secret in [agencyA.apiKey, agencyB.apiKey, Self.secretKey] {
                    #expect(!outputs.contains(secret), "a secret was printed or stored in clear")
                }
            }
        }
    }

    @Test("A wrong key fails only its organisation's rows, with the key nowhere; set right and replayed, they go")
    func wrongThenRightSecret() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let wrongKey = "wrong-key-of-org-a-2718"
        try await FakeLoxo.withRunning(agencySlug: "agency-a", apiKey: "key-of-org-a-4711") { agencyA in
            try await FakeLoxo.withRunning(agencySlug: "agency-b", apiKey: "key-of-org-b-0815") { agencyB in
                let environment = try await prepare(atsgate, baseURL: agencyA.baseURL)
                    .merging([Self.keyVariable: agencyB.apiKey]) { _, new in new }
                try await setConnection(atsgate, "org-a", "base_url: \(agencyA.baseURL)\nagency_slug: agency-a\napi_key: \(wrongKey)\n", environment: environment)
                try await setConnection(atsgate, "org-b", "base_url: \(agencyB.baseURL)\nagency_slug: agency-b\napi_key_env: \(Self.keyVariable)\n", environment: environment)
                try await qualifyAll(atsgate, environment: environment)

                let debug = environment.merging(["ATSGATE_LOG_LEVEL": "debug"]) { _, new in new }
                let first = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: debug)
                #expect(first.exitCode == 0, "\(first.stderr)")
                let afterWrong = try await listRows(atsgate, environment: environment)
                #expect(afterWrong.filter { $0.organisationId == "org-b" }.allSatisfy { $0.status == "sent" })
                let failed = afterWrong.filter { $0.organisationId == "org-a" }
                #expect(failed.count == Self.jobsPerOrganisation)
                #expect(failed.allSatisfy { $0.status == "failed" && $0.lastErrorKind == "auth" }, "\(failed)")
                #expect(agencyA.jobs.isEmpty)

                let check = try await atsgate.execute(["connections", "check", "--organisation", "org-a", "--target", "loxo"], environment: environment)
                #expect(check.exitCode == 3, "\(check.stdout)\(check.stderr)")
                #expect(check.stdout.contains("org-a/loxo") && check.stdout.contains("auth"), "\(check.stdout)")

                try await setConnection(atsgate, "org-a", "base_url: \(agencyA.baseURL)\nagency_slug: agency-a\napi_key: \(agencyA.apiKey)\n", environment: environment)
                let replay = try await atsgate.execute(["outbox", "replay", "--failed", "--target", "loxo"], environment: environment)
                #expect(replay.exitCode == 0, "\(replay.stderr)")
                let second = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: debug)
                #expect(second.exitCode == 0, "\(second.stderr)")
                #expect(try await listRows(atsgate, environment: environment).allSatisfy { $0.status == "sent" })
                #expect(agencyA.jobs.count == Self.jobsPerOrganisation)

                let outputs = try await everythingPrinted(atsgate, worker: first, environment: environment) + second.stdout + second.stderr
                    + check.stdout + check.stderr
                for secret in [wrongKey, agencyA.apiKey, agencyB.apiKey] {
                    #expect(!outputs.contains(secret), "a secret was printed or stored in clear")
                }
            }
        }
    }

    @Test("One organisation's refused key opens its own connection's circuit; the other's 200 jobs go at full pace meanwhile", .timeLimit(.minutes(3)))
    func brokenAccountSlowsNobodyElse() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let brokenJobs = 20
        let healthyJobs = 200
        try await FakeLoxo.withRunning(agencySlug: "agency-a", apiKey: "key-of-org-a-4711") { agencyA in
            try await FakeLoxo.withRunning(agencySlug: "agency-b", apiKey: "key-of-org-b-0815") { agencyB in
                let environment = try await prepare(
                    atsgate, baseURL: agencyA.baseURL, jobs: ["org-a": brokenJobs, "org-b": healthyJobs],
                    breaker: "circuit_breaker:\n  failure_rate: 0.5\n  minimum_requests: 4\n  window: 30s\n  initial_cool_down: 5m\n  cool_down: 5m\n"
                ).merging([Self.keyVariable: agencyB.apiKey]) { _, new in new }
                // org-a's key is refused at its agency, as a revoked one would be.
                try await setConnection(atsgate, "org-a", "base_url: \(agencyA.baseURL)\nagency_slug: agency-a\napi_key: revoked-key-of-org-a\n", environment: environment)
                try await setConnection(atsgate, "org-b", "base_url: \(agencyB.baseURL)\nagency_slug: agency-b\napi_key_env: \(Self.keyVariable)\n", environment: environment)
                try await qualifyAll(atsgate, jobs: ["org-a": brokenJobs, "org-b": healthyJobs], environment: environment)

                let (worker, elapsed) = try await startWorker(atsgate, untilDelivered: healthyJobs, environment: environment)
                let rows = try await listRows(atsgate, environment: environment)
                let status = try await atsgate.execute(["connectors", "status", "--json"], environment: environment)
                worker.send(SIGTERM)
                #expect(await worker.waitForExit() == 0, "\(worker.log.suffix(2_000))")

                #expect(rows.filter { $0.organisationId == "org-b" }.allSatisfy { $0.status == "sent" }, "org-b: \(Dictionary(grouping: rows.filter { $0.organisationId == "org-b" }, by: \.status).mapValues(\.count))")
                #expect(agencyB.jobs.count == healthyJobs)
                // With one shared breaker org-a's refusals would have paused everyone for the 5-minute cool-down.
                #expect(elapsed < .seconds(60), "org-b's jobs took \(elapsed)")
                let broken = rows.filter { $0.organisationId == "org-a" }
                #expect(broken.allSatisfy { $0.status != "sent" }, "\(broken)")
                #expect(broken.contains { $0.lastErrorKind == "auth" }, "\(broken)")
                #expect(agencyA.jobs.isEmpty)

                struct Status: Decodable {
                    struct Connection: Decodable { var organisation: String; var circuit: String }
                    var target: String
                    var circuit: String
                    var connections: [Connection]
                }
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                let loxo = try #require(try decoder.decode([Status].self, from: Data(status.stdout.utf8)).first { $0.target == "loxo" }, "\(status.stdout)")
                #expect(loxo.circuit == "closed", "the default connection is untouched")
                #expect(loxo.connections.first { $0.organisation == "org-a" }?.circuit == "open", "\(status.stdout)")
                #expect(loxo.connections.first { $0.organisation == "org-b" }.map { $0.circuit == "closed" } ?? true, "\(status.stdout)")
                #expect(try auditLog(atsgate).contains("connection:org-a/loxo"), "the opening is audited against org-a's connection")
            }
        }
    }

    @Test("Two Bullhorn API users: each organisation's JobOrders and companies in its own tenant; a refused password fails only its own rows")
    func twoBullhornUsers() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let tenantA = FakeBullhorn.Configuration(clientID: "client-a", clientSecret: "secret-of-org-a-31", username: "org-a.api", password: "password-of-org-a-27")
        let tenantB = FakeBullhorn.Configuration(clientID: "client-b", clientSecret: "secret-of-org-b-42", username: "org-b.api", password: "password-of-org-b-18")
        try await FakeBullhorn.withRunning(configuration: tenantA) { bullhornA in
            try await FakeBullhorn.withRunning(configuration: tenantB) { bullhornB in
                try atsgate.writeTarget("bullhorn", """
                    kind: bullhorn
                    connections: required
                    retry:
                      max_attempts: 1
                      base_delay: 1s
                      max_delay: 1s
                      max_age: 1h
                    rate_limit:
                      requests_per_second: 200
                      burst: 100
                    concurrency: 4
                    timeout: 5s

                    """)
                try atsgate.copyRepositoryMapping("bullhorn.yaml")
                let dataset = atsgate.workingDirectory.appendingPathComponent("crm.json")
                try Data(Self.dataset(jobs: Self.defaultJobs).utf8).write(to: dataset)
                let environment = atsgate.localConfig.merging([
                    "ATSGATE_SECRET_KEY": Self.secretKey, "ORG_B_BH_SECRET": tenantB.clientSecret, "ORG_B_BH_PASSWORD": tenantB.password,
                ]) { _, new in new }
                #expect(try await atsgate.execute(["import", dataset.path], environment: environment).exitCode == 0)

                func connection(_ fake: FakeBullhorn, password: String, inline: Bool) -> String {
                    let tenant = fake.configuration
                    return """
                        login_info_url: \(fake.loginInfoURL)
                        redirect_uri: \(tenant.redirectURI)
                        client_id: \(tenant.clientID)
                        username: \(tenant.username)
                        \(inline ? "client_secret: \(tenant.clientSecret)\npassword: \(password)" : "client_secret_env: ORG_B_BH_SECRET\npassword_env: ORG_B_BH_PASSWORD")

                        """
                }
                // org-a's password is wrong at first: Bullhorn refuses the login.
                try await setConnection(atsgate, "org-a", connection(bullhornA, password: "not-the-password-66", inline: true), target: "bullhorn", environment: environment)
                try await setConnection(atsgate, "org-b", connection(bullhornB, password: "", inline: false), target: "bullhorn", environment: environment)
                try await qualifyAll(atsgate, environment: environment)

                let debug = environment.merging(["ATSGATE_LOG_LEVEL": "debug"]) { _, new in new }
                let first = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: debug)
                #expect(first.exitCode == 0, "\(first.stderr)")
                var rows = try await listRows(atsgate, environment: environment)
                #expect(rows.filter { $0.organisationId == "org-b" }.allSatisfy { $0.status == "sent" }, "\(rows)")
                #expect(rows.filter { $0.organisationId == "org-a" }.allSatisfy { $0.status == "failed" && $0.lastErrorKind == "auth" }, "\(rows)")
                #expect(bullhornA.jobOrders.isEmpty)

                try await setConnection(atsgate, "org-a", connection(bullhornA, password: tenantA.password, inline: true), target: "bullhorn", environment: environment)
                #expect(try await atsgate.execute(["outbox", "replay", "--failed"], environment: environment).exitCode == 0)
                let second = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: debug)
                #expect(second.exitCode == 0, "\(second.stderr)")
                rows = try await listRows(atsgate, environment: environment)
                #expect(rows.allSatisfy { $0.status == "sent" }, "\(rows)")

                for (fake, organisation) in [(bullhornA, "org-a"), (bullhornB, "org-b")] {
                    let markers = Set(fake.jobOrders.compactMap { $0["externalID"]?.string })
                    #expect(markers == Set((1...Self.jobsPerOrganisation).map { "atsgate:\(organisation):job-\($0)" }), "\(fake.configuration.username): \(markers)")
                    let companies = fake.clientCorporations.compactMap { $0["externalID"]?.string }
                    #expect(companies.allSatisfy { $0.hasPrefix("atsgate:\(organisation):") } && companies.count == 1, "\(companies)")
                }

                let outputs = try await everythingPrinted(atsgate, worker: first, environment: environment, target: "bullhorn")
                    + second.stdout + second.stderr
                let refreshTokens = bullhornA.liveRefreshTokens.union(bullhornB.liveRefreshTokens)
                #expect(!bullhornA.liveRefreshTokens.isEmpty && !bullhornB.liveRefreshTokens.isEmpty)
                // One session per connection, however many deliveries start at once.
                #expect(bullhornB.authCounts.passwordLogins == 1, "\(bullhornB.authCounts)")
                #expect(bullhornA.authCounts.passwordLogins == 1, "\(bullhornA.authCounts)")
                #expect(bullhornA.authCounts.rejectedRefreshGrants + bullhornB.authCounts.rejectedRefreshGrants == 0)
                for secret in [tenantA.clientSecret, tenantA.password, tenantB.clientSecret, tenantB.password, "not-the-password-66"] + refreshTokens {
                    #expect(!outputs.contains(secret), "a secret was printed or stored in clear")
                }
            }
        }
    }

    @Test("One Bullhorn API user's refused password fails only its organisation's rows; the other's 200 jobs go at full pace meanwhile", .timeLimit(.minutes(3)))
    func brokenBullhornUserSlowsNobodyElse() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let brokenJobs = 20
        let healthyJobs = 200
        let tenantA = FakeBullhorn.Configuration(clientID: "client-a", clientSecret: "secret-of-org-a-31", username: "org-a.api", password: "password-of-org-a-27")
        let tenantB = FakeBullhorn.Configuration(clientID: "client-b", clientSecret: "secret-of-org-b-42", username: "org-b.api", password: "password-of-org-b-18")
        try await FakeBullhorn.withRunning(configuration: tenantA) { bullhornA in
            try await FakeBullhorn.withRunning(configuration: tenantB) { bullhornB in
                try atsgate.writeTarget("bullhorn", """
                    kind: bullhorn
                    connections: required
                    retry:
                      max_attempts: 3
                      base_delay: 100ms
                      max_delay: 1s
                      max_age: 1h
                    rate_limit:
                      requests_per_second: 500
                      burst: 100
                    concurrency: 4
                    timeout: 5s
                    circuit_breaker:
                      failure_rate: 0.5
                      minimum_requests: 2
                      window: 30s
                      initial_cool_down: 5m
                      cool_down: 5m

                    """)
                try atsgate.copyRepositoryMapping("bullhorn.yaml")
                let jobs = ["org-a": brokenJobs, "org-b": healthyJobs]
                let dataset = atsgate.workingDirectory.appendingPathComponent("crm.json")
                try Data(Self.dataset(jobs: jobs).utf8).write(to: dataset)
                let environment = atsgate.localConfig.merging(["ATSGATE_SECRET_KEY": Self.secretKey]) { _, new in new }
                #expect(try await atsgate.execute(["import", dataset.path], environment: environment).exitCode == 0)
                for (fake, organisation, password) in [(bullhornA, "org-a", "not-the-password-66"), (bullhornB, "org-b", tenantB.password)] {
                    let tenant = fake.configuration
                    try await setConnection(atsgate, organisation, """
                        login_info_url: \(fake.loginInfoURL)
                        redirect_uri: \(tenant.redirectURI)
                        client_id: \(tenant.clientID)
                        client_secret: \(tenant.clientSecret)
                        username: \(tenant.username)
                        password: \(password)

                        """, target: "bullhorn", environment: environment)
                }
                try await qualifyAll(atsgate, jobs: jobs, environment: environment)

                let (worker, elapsed) = try await startWorker(atsgate, untilDelivered: healthyJobs, environment: environment)
                let rows = try await listRows(atsgate, environment: environment)
                let status = try await atsgate.execute(["connectors", "status"], environment: environment)
                worker.send(SIGTERM)
                #expect(await worker.waitForExit() == 0, "\(worker.log.suffix(2_000))")

                #expect(rows.filter { $0.organisationId == "org-b" && $0.status == "sent" }.count == healthyJobs)
                #expect(bullhornB.jobOrders.count == healthyJobs)
                #expect(elapsed < .seconds(60), "org-b's jobs took \(elapsed)")
                let broken = rows.filter { $0.organisationId == "org-a" }
                #expect(broken.allSatisfy { $0.status != "sent" }, "\(broken)")
                #expect(broken.contains { $0.lastErrorKind == "auth" }, "\(broken)")
                #expect(bullhornA.jobOrders.isEmpty)
                #expect(status.stdout.contains("org-a/bullhorn"), "org-a's connection has a breaker of its own: \(status.stdout)")
                #expect(!status.stdout.contains("org-b/bullhorn") || !status.stdout.contains("org-b/bullhorn  open"), "\(status.stdout)")
            }
        }
    }

    @Test("secrets rotate seals every secret under the new key; without the old key nothing opens, and a row says why instead of crashing")
    func rotation() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeLoxo.withRunning(agencySlug: "agency-a", apiKey: "key-of-org-a-4711") { agencyA in
            let environment = try await prepare(atsgate, baseURL: agencyA.baseURL)
            try await setConnection(atsgate, "org-a", "base_url: \(agencyA.baseURL)\nagency_slug: agency-a\napi_key: \(agencyA.apiKey)\n", environment: environment)
            let newKey = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()
            let rotated = environment.merging([
                "ATSGATE_SECRET_KEY": newKey, "ATSGATE_SECRET_KEY_PREVIOUS": Self.secretKey,
            ]) { _, new in new }

            let rotate = try await atsgate.execute(["secrets", "rotate"], environment: rotated)
            #expect(rotate.exitCode == 0, "\(rotate.stderr)")
            #expect(rotate.stdout.contains("sealed 1 secret of 1 connection again"), "\(rotate.stdout)")
            let again = try await atsgate.execute(["secrets", "rotate"], environment: rotated)
            #expect(again.stdout.contains("sealed 0 secrets of 0 connections"), "\(again.stdout)")

            // The old key alone no longer opens it: the row fails `config`, naming the connection.
            let qualify = try await atsgate.execute(["jobs", "qualify", "job-1", "--organisation", "org-a"], environment: environment)
            #expect(qualify.exitCode == 0, "\(qualify.stderr)")
            let stale = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: environment)
            #expect(stale.exitCode == 0, "\(stale.stderr)")
            let rows = try await listRows(atsgate, environment: environment)
            #expect(rows.first?.status == "failed" && rows.first?.lastErrorKind == "config", "\(rows)")
            #expect(rows.first?.lastErrorMessage?.contains("api_key of connection org-a/loxo") == true, "\(rows)")

            let replay = try await atsgate.execute(["outbox", "replay", "--failed"], environment: environment)
            #expect(replay.exitCode == 0)
            let worker = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: environment.merging(["ATSGATE_SECRET_KEY": newKey]) { _, new in new })
            #expect(worker.exitCode == 0, "\(worker.stderr)")
            #expect(try await listRows(atsgate, environment: environment).first?.status == "sent")

            let audit = try auditLog(atsgate)
            #expect(audit.contains("secrets_rotated"))
            #expect(!audit.contains(agencyA.apiKey))

            // Removed, the organisation has no connection left (and this target no default): refused again.
            let removed = try await atsgate.execute(["connections", "remove", "--organisation", "org-a", "--target", "loxo"], environment: environment)
            #expect(removed.exitCode == 0 && removed.stdout.contains("connection org-a/loxo removed"), "\(removed.stdout)\(removed.stderr)")
            let removedAgain = try await atsgate.execute(["connections", "remove", "--organisation", "org-a", "--target", "loxo"], environment: environment)
            #expect(removedAgain.exitCode == 2 && removedAgain.stderr.contains("has no connection to 'loxo'"), "\(removedAgain.stderr)")
            let shown = try await atsgate.execute(["connections", "show", "--organisation", "org-a", "--target", "loxo"], environment: environment)
            #expect(shown.exitCode == 2 && shown.stderr.contains("requires one (connections: required)"), "\(shown.stderr)")
            let refused = try await atsgate.execute(["jobs", "qualify", "job-2", "--organisation", "org-a"], environment: environment)
            #expect(refused.exitCode == 2, "\(refused.stderr)")
            #expect(try auditLog(atsgate).contains("connection_removed"))
        }
    }

    // MARK: - Helpers

    /// Starts a worker and waits until it has delivered `count` rows (the broken organisation's
    /// never are); returns it and how long that took.
    func startWorker(_ atsgate: AtsgateProcess, untilDelivered count: Int, environment: [String: String]) async throws -> (RunningAtsgate, Duration) {
        let clock = ContinuousClock()
        let started = clock.now
        let worker = try RunningAtsgate(atsgate, ["worker", "--poll-interval", "200ms"], environment: environment)
        await worker.waitForLog("[AtsgateCore] delivered", occurrences: count)
        return (worker, clock.now - started)
    }

    /// A Loxo target whose organisations each need a connection, and the two organisations' data.
    func prepare(
        _ atsgate: AtsgateProcess, baseURL: String, jobs: [String: Int] = Self.defaultJobs, breaker: String = ""
    ) async throws -> [String: String] {
        try atsgate.writeTarget("loxo", """
            kind: loxo
            connections: required
            retry:
              max_attempts: 1
              base_delay: 1s
              max_delay: 1s
              max_age: 1h
            rate_limit:
              requests_per_second: 500
              burst: 100
            concurrency: 4
            timeout: 5s
            \(breaker)
            """)
        try atsgate.copyRepositoryMapping("loxo.yaml")
        let dataset = atsgate.workingDirectory.appendingPathComponent("crm.json")
        try Data(Self.dataset(jobs: jobs).utf8).write(to: dataset)
        let environment = atsgate.localConfig.merging(["ATSGATE_SECRET_KEY": Self.secretKey]) { _, new in new }
        let imported = try await atsgate.execute(["import", dataset.path], environment: environment)
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        return environment
    }

    func setConnection(_ atsgate: AtsgateProcess, _ organisation: String, _ yaml: String, target: String = "loxo", environment: [String: String]) async throws {
        let file = atsgate.workingDirectory.appendingPathComponent("connection-\(UUID().uuidString).yaml")
        try Data(yaml.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let set = try await atsgate.execute(["connections", "set", "--organisation", organisation, "--target", target, "--file", file.path], environment: environment)
        #expect(set.exitCode == 0, "\(set.stderr)")
    }

    func qualifyAll(_ atsgate: AtsgateProcess, jobs: [String: Int] = Self.defaultJobs, environment: [String: String]) async throws {
        for organisation in Self.organisations {
            for index in 1...(jobs[organisation] ?? 0) {
                let result = try await atsgate.execute(["jobs", "qualify", "job-\(index)", "--organisation", organisation], environment: environment)
                #expect(result.exitCode == 0, "\(result.stderr)")
            }
        }
    }

    func listRows(_ atsgate: AtsgateProcess, environment: [String: String]) async throws -> [ListedRow] {
        let result = try await atsgate.execute(["outbox", "list", "--json"], environment: environment)
        #expect(result.exitCode == 0, "\(result.stderr)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode([ListedRow].self, from: Data(result.stdout.utf8))
    }

    /// The worker's output, every command's that shows rows, attempts, connections or previews,
    /// and the database's bytes: where a secret must never be.
    func everythingPrinted(
        _ atsgate: AtsgateProcess, worker: AtsgateProcess.Result, environment: [String: String], target: String = "loxo"
    ) async throws -> String {
        var text = worker.stdout + worker.stderr
        var commands: [[String]] = [
            ["outbox", "list", "--json"], ["connections", "list", "--json"], ["connections", "list"], ["connectors", "status", "--json"],
            ["mappings", "preview", "--job", "job-1", "--target", target, "--organisation", "org-a"],
        ]
        for organisation in Self.organisations {
            commands.append(["connections", "show", "--organisation", organisation, "--target", target, "--json"])
        }
        let rows = try await listRows(atsgate, environment: environment)
        for id in 1...max(rows.count, 1) {
            commands.append(["outbox", "show", "\(id)", "--json"])
        }
        for command in commands {
            let result = try await atsgate.execute(command, environment: environment)
            text += result.stdout + result.stderr
        }
        for suffix in ["", "-wal"] {
            if let bytes = FileManager.default.contents(atPath: atsgate.databasePath + suffix) {
                text += String(decoding: bytes, as: UTF8.self)
            }
        }
        return text + (try auditLog(atsgate))
    }

    /// The audit log as `sqlite3` would print it.
    func auditLog(_ atsgate: AtsgateProcess) throws -> String {
        let bytes = FileManager.default.contents(atPath: atsgate.databasePath) ?? Data()
        let wal = FileManager.default.contents(atPath: atsgate.databasePath + "-wal") ?? Data()
        return String(decoding: bytes + wal, as: UTF8.self)
    }

    static let defaultJobs = Dictionary(uniqueKeysWithValues: organisations.map { ($0, jobsPerOrganisation) })

    /// Two organisations, each with a company called Acme and its hiring manager, and open jobs.
    static func dataset(jobs counts: [String: Int]) -> String {
        let organisations = Self.organisations.map { #"{"id":"\#($0)","name":"Agency \#($0)"}"# }
        let companies = Self.organisations.map { #"{"id":"cmp-1","organisation_id":"\#($0)","name":"Acme"}"# }
        let people = Self.organisations.map {
            #"{"id":"per-1","organisation_id":"\#($0)","first_name":"Hiring","last_name":"Manager","email":"hm@\#($0).example","company_id":"cmp-1"}"#
        }
        let associations = Self.organisations.map {
            #"{"organisation_id":"\#($0)","company_id":"cmp-1","person_id":"per-1","association_label":"hiring_manager"}"#
        }
        let jobs = Self.organisations.flatMap { organisation in
            (1...(counts[organisation] ?? 1)).map {
                #"{"id":"job-\#($0)","organisation_id":"\#(organisation)","company_id":"cmp-1","title":"Engineer \#($0)","status":"open"}"#
            }
        }
        return """
        {"organisations":[\(organisations.joined(separator: ","))],
        "companies":[\(companies.joined(separator: ","))],
        "people":[\(people.joined(separator: ","))],
        "associations":[\(associations.joined(separator: ","))],
        "jobs":[\(jobs.joined(separator: ","))]}
        """
    }
}
