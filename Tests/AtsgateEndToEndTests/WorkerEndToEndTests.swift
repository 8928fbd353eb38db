import AtsgateTesting
import Foundation
import Testing

/// The `atsgate worker` binary against an in-process fake webhook target, on every store engine.
@Suite("Worker process end to end", .serialized, .timeLimit(.minutes(2)))
struct WorkerEndToEndTests {
    struct ListedRow: Decodable {
        var id: Int
        var jobId: String
        var status: String
        var externalId: String?
        var lastErrorKind: String?
    }

    func rows(_ atsgate: AtsgateProcess) async throws -> [ListedRow] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode([ListedRow].self, from: Data(try await atsgate.execute(["outbox", "list", "--json"], environment: atsgate.localConfig).stdout.utf8))
    }

    func prepare(_ atsgate: AtsgateProcess, url: String, jobs: [String]) async throws {
        try atsgate.writeTarget("hook", "kind: webhook\nurl: \(url)\ntimeout: 2s\nconcurrency: 4\nrate_limit:\n  requests_per_second: 1000\n  burst: 100\n")
        #expect(try await atsgate.execute(["import", atsgate.exampleDataset], environment: atsgate.localConfig).exitCode == 0)
        for job in jobs {
            let result = try await atsgate.execute(["jobs", "qualify", job, "--organisation", "org-northwind"], environment: atsgate.localConfig)
            #expect(result.exitCode == 0, "\(result.stderr)")
        }
    }

    @Test("A worker SIGKILLed mid-delivery loses nothing: the next worker takes the rows and no job is created twice", arguments: DatabaseEngine.allCases)
    func crashSafety(engine: DatabaseEngine) async throws {
        let atsgate = try AtsgateProcess(engine: engine)
        defer { atsgate.removeWorkingDirectory() }
        let jobs = ["job-001", "job-002", "job-003", "job-004", "job-005", "job-006"]
        try await FakeWebhookTarget.withRunning { fake in
            try await prepare(atsgate, url: fake.url, jobs: jobs)
            // The target stores each create and then never answers: the worker cannot know it landed.
            fake.holdAfterCommit(true)
            let worker = try RunningAtsgate(atsgate, ["worker", "--poll-interval", "100ms"])
            await fake.waitForRequests(1)
            worker.send(SIGKILL)
            _ = await worker.waitForExit()
            let heldCreates = fake.jobs.count
            #expect(heldCreates >= 1)
            #expect(try await rows(atsgate).contains { $0.status == "in_flight" }, "the killed worker left leased rows behind")

            fake.holdAfterCommit(false)
            fake.releaseHeld()
            let restart = try await atsgate.execute(["worker", "--until-idle", "--poll-interval", "100ms"], environment: atsgate.localConfig)
            #expect(restart.exitCode == 0, "\(restart.stderr)")

            let settled = try await rows(atsgate)
            #expect(settled.map(\.status) == Array(repeating: "sent", count: jobs.count))
            #expect(fake.jobs.count == jobs.count, "every job exactly once at the target")
            #expect(Set(fake.jobs.map(\.marker)).count == jobs.count)
            #expect(Set(settled.compactMap(\.externalId)) == Set(fake.jobs.map(\.id)))

            let firstRow = try #require(settled.first)
            let shown = try await atsgate.execute(["outbox", "show", "\(firstRow.id)"], environment: atsgate.localConfig)
            #expect(shown.stdout.contains("lease_lost") || heldCreates < jobs.count, "\(shown.stdout)")
            // No marker was ever POSTed twice: every create that landed unanswered was found and adopted.
            let creates = fake.requests.filter { $0.method == "POST" }
            #expect(creates.count == jobs.count)
            #expect(Set(creates.compactMap(\.marker)).count == jobs.count)
            var adopted: [String] = []
            for row in settled {
                let shown = try await atsgate.execute(["outbox", "show", "\(row.id)"], environment: atsgate.localConfig).stdout
                if shown.contains("adopted an existing remote record found by marker") { adopted.append(shown) }
            }
            #expect(adopted.count >= heldCreates, "each create that landed unanswered was adopted, not repeated")
        }
    }

    @Test("A running worker is woken by a qualify in another process: no waiting for its poll", arguments: DatabaseEngine.allCases)
    func wakeUp(engine: DatabaseEngine) async throws {
        let atsgate = try AtsgateProcess(engine: engine)
        defer { atsgate.removeWorkingDirectory() }
        try await FakeWebhookTarget.withRunning { fake in
            try await prepare(atsgate, url: fake.url, jobs: [])
            let worker = try RunningAtsgate(atsgate, ["worker", "--poll-interval", "1h"])
            await worker.waitForLog("worker started")
            let started = ContinuousClock.now
            let qualify = try await atsgate.execute(["jobs", "qualify", "job-001", "--organisation", "org-northwind"], environment: atsgate.localConfig)
            #expect(qualify.exitCode == 0)
            await fake.waitForRequests(1)
            let latency = ContinuousClock.now - started
            #expect(latency < .seconds(10), "with an hour's poll interval only the wake-up can explain \(latency)")
            await worker.waitForLog("delivered")
            worker.send(SIGTERM)
            #expect(await worker.waitForExit() == 0, "graceful shutdown exits cleanly")
            #expect(try await rows(atsgate).map(\.status) == ["sent"])
        }
    }

    @Test("Operators: a failed row is listed, shown with its reason, replayed, and delivered; a sent row is never replayed", arguments: DatabaseEngine.allCases)
    func operatorReplay(engine: DatabaseEngine) async throws {
        let atsgate = try AtsgateProcess(engine: engine)
        defer { atsgate.removeWorkingDirectory() }
        try await FakeWebhookTarget.withRunning { fake in
            try await prepare(atsgate, url: fake.url, jobs: ["job-001", "job-002"])
            fake.script(.status(422))
            let config = atsgate.localConfig
            #expect(try await atsgate.execute(["worker", "--until-idle"], environment: config).exitCode == 0)
            let failed = try #require(try await rows(atsgate).first { $0.status == "failed" })
            let sent = try #require(try await rows(atsgate).first { $0.status == "sent" })
            #expect(failed.lastErrorKind == "rejected")

            let listed = try await atsgate.execute(["outbox", "list", "--status", "failed", "--error-kind", "rejected"], environment: config)
            #expect(listed.stdout.contains("rejected: the target refused the request (422): scripted failure 422"))
            let dryRun = try await atsgate.execute(["outbox", "replay", "--failed", "--target", "hook", "--dry-run"], environment: config)
            #expect(dryRun.stdout.hasPrefix("would replay 1 row"))
            #expect(try await rows(atsgate).first { $0.id == failed.id }?.status == "failed")

            let refused = try await atsgate.execute(["outbox", "replay", "\(failed.id)", "\(sent.id)"], environment: config)
            #expect(refused.exitCode == 2)
            #expect(refused.stderr.contains("#\(sent.id) is sent"))
            let cancelSent = try await atsgate.execute(["outbox", "cancel", "\(sent.id)"], environment: config)
            #expect(cancelSent.exitCode == 2)

            let replayed = try await atsgate.execute(["outbox", "replay", "\(failed.id)", "--by", "ops@agency.example"], environment: config)
            #expect(replayed.exitCode == 0, "\(replayed.stderr)")
            #expect(try await atsgate.execute(["worker", "--until-idle"], environment: config).exitCode == 0)
            #expect(try await rows(atsgate).map(\.status) == ["sent", "sent"])
            let shown = try await atsgate.execute(["outbox", "show", "\(failed.id)", "--json"], environment: config)
            #expect(shown.stdout.contains("\"outcome\" : \"failed\""))
            #expect(shown.stdout.contains("\"outcome\" : \"sent\""))
            #expect(fake.jobs.count == 2)

            let status = try await atsgate.execute(["connectors", "status"], environment: config)
            #expect(status.stdout.contains("hook"))
            #expect(status.stdout.contains("closed"))
        }
    }
}
