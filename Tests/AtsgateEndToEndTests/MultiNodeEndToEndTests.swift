import AtsgateCore
import AtsgatePostgres
import AtsgateTesting
import Foundation
import Testing

/// Several worker processes on one PostgreSQL outbox, one of them killed with SIGKILL and
/// restarted every 2 s: every row is sent, and every job, company and person is at the target
/// exactly once.
@Suite("Several nodes on one PostgreSQL outbox", .serialized, .timeLimit(.minutes(8)))
struct MultiNodeEndToEndTests {
    static let keyVariable = "ATSGATE_E2E_LOXO_KEY"
    static let organisation = "org-multinode"

    @Test(
        "3 workers, 2,000 rows, one worker kill -9'd and restarted every 2 s: all sent, each job, company and person at Loxo once",
        .enabled(if: PostgresTestServer.url != nil, Comment(rawValue: PostgresTestServer.skipReason))
    )
    func killedWorkersLoseAndDoubleNothing() async throws {
        let url = try #require(PostgresTestServer.urlWithFreshSchema(prefix: "multinode"))
        let location = try PostgresLocation(url: url, environment: [:])
        let jobCount = 2_000
        let companyCount = 40
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeLoxo.withRunning { fake in
            try atsgate.writeTarget("loxo", Self.loxoTarget(fake, requestsPerSecond: 500))
            try atsgate.copyRepositoryMapping("loxo.yaml")
            try await Self.qualify(jobs: jobCount, companies: companyCount, at: location, configuration: atsgate.workingDirectory)

            let environment = atsgate.localConfig.merging([Self.keyVariable: fake.apiKey, "ATSGATE_DATABASE": url]) { _, new in new }
            let startWorker = { try RunningAtsgate(atsgate, ["worker", "--poll-interval", "200ms"], environment: environment) }
            var workers = try (0..<3).map { _ in try startWorker() }
            let clock = ContinuousClock()
            let giveUp = clock.now + .seconds(360)
            var kills = 0
            var counts: [OutboxStatus: Int] = [:]
            try await PostgresStore.withStore(at: location) { store in
                while clock.now < giveUp {
                    try await Task.sleep(for: .seconds(2))
                    counts = try await store.outboxCounts()["loxo"] ?? [:]
                    if counts[.sent] == jobCount { break }
                    let victim = kills % workers.count
                    workers[victim].send(SIGKILL)
                    #expect(await workers[victim].waitForExit() != 0)
                    workers[victim] = try startWorker()
                    kills += 1
                }
            }
            for worker in workers {
                worker.send(SIGTERM)
                _ = await worker.waitForExit()
            }

            #expect(kills >= 3, "the run lasted long enough to kill workers mid-delivery")
            #expect(counts[.sent] == jobCount, "rows by state after \(kills) kills: \(counts)")
            let markers = fake.jobs.compactMap { $0.fields["custom_text_1"] }
            let expected = Set((1...jobCount).map { "atsgate:\(Self.organisation):\(Self.jobID(index: $0))" })
            let doubled = Dictionary(grouping: markers, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
            #expect(doubled.isEmpty, "jobs at Loxo more than once: \(doubled.prefix(10))")
            #expect(Set(markers) == expected)
            let companyNames = fake.companies.compactMap { $0.fields["name"] }
            #expect(companyNames.count == companyCount && Set(companyNames).count == companyCount, "companies at Loxo: \(companyNames.count)")
            let emails = fake.people.compactMap { $0.fields["email"] }
            #expect(emails.count == Set(emails).count, "a person was created twice")
        }
    }

    /// On a server of its own: a restart cuts every session, other tests' too. A transaction
    /// caught by the restart used to hang the worker for good (a query lost by postgres-nio on a
    /// closed connection); ``TransactionWatchdog`` now gives up on it instead.
    @Test(
        "The database restarting mid-run: the worker logs it, waits, reconnects and goes on; every row sent, each job at Loxo once",
        .enabled(if: PostgresTestServer.url != nil, Comment(rawValue: PostgresTestServer.skipReason))
    )
    func databaseRestartMidRun() async throws {
        try await PrivatePostgresServer.withRunning { server in
            let url = try server.url
            let location = try PostgresLocation(url: url, environment: [:])
            let jobCount = 300
            let atsgate = try AtsgateProcess()
            defer { atsgate.removeWorkingDirectory() }
            try await FakeLoxo.withRunning { fake in
                // Slow enough that the restart falls in the middle of the run.
                try atsgate.writeTarget("loxo", Self.loxoTarget(fake, requestsPerSecond: 60))
                try atsgate.copyRepositoryMapping("loxo.yaml")
                try await Self.qualify(jobs: jobCount, companies: 10, at: location, configuration: atsgate.workingDirectory)
                let environment = atsgate.localConfig.merging([Self.keyVariable: fake.apiKey, "ATSGATE_DATABASE": url]) { _, new in new }
                let worker = try RunningAtsgate(atsgate, ["worker", "--poll-interval", "500ms"], environment: environment)
                await worker.waitForLog("worker started")

                let clock = ContinuousClock()
                try await Self.waitUntil(atLeast: 40, sentAt: location, giveUpAt: clock.now + .seconds(60))
                #expect(try await server.restart(), "the test server restarted")
                let sent = try await Self.waitUntil(atLeast: jobCount, sentAt: location, giveUpAt: clock.now + .seconds(120))

                worker.send(SIGTERM)
                #expect(await worker.waitForExit() == 0, "the worker kept running through the restart and shut down cleanly: \(worker.log.suffix(2_000))")
                #expect(sent == jobCount)
                #expect(worker.log.contains("lost the wake-up connection; reconnecting"), "\(worker.log.suffix(3_000))")
                #expect(worker.log.contains("listening for wake-ups again"))
                let markers = fake.jobs.compactMap { $0.fields["custom_text_1"] }
                #expect(markers.count == jobCount && Set(markers).count == jobCount, "\(markers.count) jobs at Loxo, \(Set(markers).count) distinct")
            }
        }
    }

    /// Waits until at least `count` rows are sent; returns how many are.
    @discardableResult
    static func waitUntil(atLeast count: Int, sentAt location: PostgresLocation, giveUpAt deadline: ContinuousClock.Instant) async throws -> Int {
        var sent = 0
        while ContinuousClock.now < deadline {
            // A store of its own per look: the server may be restarting under it.
            sent = (try? await PostgresStore.withStore(at: location) { try await $0.outboxCounts()["loxo"]?[.sent] ?? 0 }) ?? sent
            if sent >= count { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        return sent
    }

    static func qualify(jobs: Int, companies: Int, at location: PostgresLocation, configuration: URL) async throws {
        let catalog = try TargetConfigurationLoader(configurationDirectory: configuration).load()
        try await PostgresStore.withStore(at: location) { store in
            let dataset = try DatasetParser().parse(ImportFileReader().jsonRecords(Data(dataset(jobs: jobs, companies: companies).utf8), file: "multinode.json"))
            let planner = QualificationPlanner(catalog: catalog, now: Date())
            _ = try await store.importDataset(dataset, planner: planner, actor: "test")
            for index in 1...jobs {
                _ = try await store.apply(
                    QualificationCommand(organisationID: OrganisationID(organisation), jobID: jobID(index), decision: .qualify, targets: [], actor: "test"),
                    planner: planner
                )
            }
        }
    }

    static func loxoTarget(_ fake: FakeLoxo, requestsPerSecond: Int) -> String {
        """
        kind: loxo
        base_url: \(fake.baseURL)
        agency_slug: \(fake.agencySlug)
        api_key_env: \(keyVariable)
        retry:
          max_attempts: 100
          base_delay: 50ms
          max_delay: 1s
          max_age: 1h
        rate_limit:
          requests_per_second: \(requestsPerSecond)
          burst: \(min(requestsPerSecond, 100))
        concurrency: 8
        timeout: 2s
        attempt_timeout: 3s

        """
    }

    static func jobID(_ index: Int) -> JobID { JobID(jobID(index: index)) }

    static func jobID(index: Int) -> String { "job-\(index)" }

    /// One organisation, `companies` companies each with a hiring manager (a person Loxo must
    /// create), and `jobs` open jobs spread over them.
    static func dataset(jobs: Int, companies: Int) -> String {
        let companyRows = (1...companies).map { #"{"id":"cmp-\#($0)","organisation_id":"\#(organisation)","name":"Multinode Company \#($0)"}"# }
        let people = (1...companies).map {
            #"{"id":"per-\#($0)","organisation_id":"\#(organisation)","first_name":"Hiring","last_name":"Manager \#($0)","email":"hm\#($0)@multinode.example","company_id":"cmp-\#($0)"}"#
        }
        let associations = (1...companies).map {
            #"{"organisation_id":"\#(organisation)","company_id":"cmp-\#($0)","person_id":"per-\#($0)","association_label":"hiring_manager"}"#
        }
        let jobRows = (1...jobs).map {
            #"{"id":"\#(jobID(index: $0))","organisation_id":"\#(organisation)","company_id":"cmp-\#(($0 - 1) % companies + 1)","title":"Engineer \#($0)","status":"open"}"#
        }
        return """
        {"organisations":[{"id":"\(organisation)","name":"Multinode"}],
        "companies":[\(companyRows.joined(separator: ","))],
        "people":[\(people.joined(separator: ","))],
        "associations":[\(associations.joined(separator: ","))],
        "jobs":[\(jobRows.joined(separator: ",\n"))]}
        """
    }
}

/// A PostgreSQL cluster of one test's own (`scripts/postgres-test-server`), for faults that
/// would cut other tests' sessions.
struct PrivatePostgresServer {
    let directory: URL

    var url: String {
        get throws {
            let port = try String(contentsOf: directory.appendingPathComponent("port"), encoding: .utf8)
            return "postgres://atsgate@127.0.0.1:\(port.trimmingCharacters(in: .whitespacesAndNewlines))/atsgate_test?sslmode=disable"
        }
    }

    /// Starts a cluster in a new folder, runs `body` with it, then stops it and removes the folder.
    static func withRunning<T>(_ body: (PrivatePostgresServer) async throws -> T) async throws -> T {
        let server = PrivatePostgresServer(directory: FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-pg-\(UUID().uuidString)"))
        let started = try await server.script("start")
        defer { try? FileManager.default.removeItem(at: server.directory) }
        do {
            guard started else { throw StoreError(.unavailable, "scripts/postgres-test-server could not start a server in \(server.directory.path)") }
            let result = try await body(server)
            _ = try await server.script("stop")
            return result
        } catch {
            _ = try? await server.script("stop")
            throw error
        }
    }

    /// `pg_ctl restart -m fast`: sessions are cut, the server comes back on the same port.
    func restart() async throws -> Bool {
        try await script("restart")
    }

    private static let script = AtsgateProcess.repositoryRoot.appendingPathComponent("scripts/postgres-test-server")

    private func script(_ command: String) async throws -> Bool {
        try await AtsgateProcess.run("/bin/bash", [Self.script.path, command, directory.path]) == 0
    }
}
