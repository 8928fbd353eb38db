import AtsgateTesting
import Foundation
import Testing

/// `atsgate reconcile` through the binary against the fake Loxo: differences planted at the
/// fake (as Loxo users would make them) and in the outbox are each found once, `--apply` repairs
/// them through the outbox, a second `--apply` adds nothing, and after the worker only the
/// report-only findings remain.
@Suite("Reconcile end to end against the fake Loxo", .serialized, .timeLimit(.minutes(2)))
struct ReconcileEndToEndTests {
    let loxo = LoxoEndToEndTests()

    struct Report: Decodable {
        struct Run: Decodable {
            var id: Int
            var status: String
            var findingCounts: [String: Int]
            var remoteJobsListed: Int
        }

        struct Finding: Decodable, Hashable {
            var category: String
            var jobId: String?
            var remoteId: String?
            var fields: [String]
            var repair: String?
        }

        var run: Run
        var repairedRows: Int
        var findings: [Finding]
    }

    func reconcile(_ atsgate: AtsgateProcess, _ extra: [String] = [], environment: [String: String]) async throws -> (Int32, Report?) {
        try await atsgate.reconcile(target: "loxo", organisation: LoxoEndToEndTests.organisation, extra, environment: environment)
    }

    /// `reconcile --apply`, then the worker until every row settled.
    func repairAndDeliver(_ atsgate: AtsgateProcess, environment: [String: String]) async throws {
        let (_, applied) = try await reconcile(atsgate, ["--apply"], environment: environment)
        #expect(applied?.run.status == "completed")
        let rows = try await loxo.deliverUntilSettled(atsgate, environment: environment)
        #expect(rows.allSatisfy { $0.status == "sent" })
    }

    /// Jobs `examples/crm.json` brings in already qualified and open, for the organisation under test.
    static func importedQualifiedOpenJobs() throws -> [String] {
        let url = AtsgateProcess.repositoryRoot.appendingPathComponent("examples/crm.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let jobs = try #require(root["jobs"] as? [[String: Any]])
        return jobs.filter {
            $0["organisation_id"] as? String == LoxoEndToEndTests.organisation && $0["status"] as? String == "open"
                && $0["qualification_status"] as? String == "qualify"
        }.compactMap { $0["id"] as? String }
    }

    @Test("Every planted category is found once; --apply repairs through the outbox; a second --apply adds nothing")
    func plantedDifferences() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeLoxo.withRunning { fake in
            let environment = try await loxo.prepare(atsgate, fake: fake, retryBaseDelay: "1s")
            try await loxo.qualify(atsgate, ["job-001", "job-002", "job-004", "job-005"], environment: environment)
            let delivered = try await loxo.deliverUntilSettled(atsgate, environment: environment)
            #expect(delivered.allSatisfy { $0.status == "sent" })
            let remote = { (job: String) in try #require(fake.jobs.first { $0.fields["custom_text_1"] == loxo.marker(job) }) }

            // The CRM export already had qualified jobs: imported as they are, nothing sent them yet.
            let (_, first) = try await reconcile(atsgate, environment: environment)
            #expect(Set(first?.findings.map { "\($0.category) \($0.jobId ?? "-")" } ?? []) == Set(try Self.importedQualifiedOpenJobs().map { "unsynced \($0)" }))
            try await repairAndDeliver(atsgate, environment: environment)
            let (cleanExit, clean) = try await reconcile(atsgate, ["--fail-on-findings"], environment: environment)
            #expect(cleanExit == 0)
            #expect(clean?.findings == [])

            // Planted at Loxo: a title edited, a job deleted, a job closed, a copy of a job, a job with an unknown marker.
            fake.editJob(try remote("job-001").id, ["title": "Field Service Engineer (Robotics)"])
            fake.removeJob(try remote("job-002").id)
            fake.editJob(try remote("job-004").id, ["job_status_id": "2"])
            let copy = fake.addJob(["title": "copy", "custom_text_1": loxo.marker("job-005")])
            let orphan = fake.addJob(["title": "made by hand", "custom_text_1": loxo.marker("job-999")])
            // Planted here: a job whose create answer was lost (Loxo has it, the row does not), and a cancelled row.
            try await loxo.qualify(atsgate, ["job-003", "job-006"], environment: environment)
            let unanswered = fake.addJob(["title": "answer lost", "custom_text_1": loxo.marker("job-003")])
            let rows = try await loxo.listRows(atsgate, environment: environment)
            let cancelRow = try #require(rows.first { $0.jobId == "job-006" })
            #expect(try await atsgate.execute(["outbox", "cancel", "\(cancelRow.id)"], environment: environment).exitCode == 0)

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
                "unlinked_remote job-003 adopt",
                "unsynced job-006 enqueue_create",
            ])
            #expect(report.findings.count == summary.count)
            #expect(report.findings.first { $0.category == "drift" }?.fields == ["title"])
            #expect(report.findings.first { $0.category == "duplicate_remote" }?.remoteId == String(copy))
            #expect(report.findings.first { $0.category == "orphan_remote" }?.remoteId == String(orphan))

            let (_, applied) = try await reconcile(atsgate, ["--apply"], environment: environment)
            #expect(applied?.repairedRows == 5)
            let repaired = try await loxo.listRows(atsgate, environment: environment)
            func row(_ job: String) -> String? {
                repaired.first { $0.jobId == job }.map { "\($0.status) \($0.operation) \($0.externalId ?? "-")" }
            }
            #expect(row("job-001") == "pending update \(try remote("job-001").id)")
            #expect(row("job-002") == "pending create -")
            #expect(row("job-004") == "pending update \(try remote("job-004").id)")
            // Adopted, and brought up to date: Loxo's copy has another title.
            #expect(row("job-003") == "pending update \(unanswered)")
            #expect(row("job-006") == "pending create -")

            let (_, again) = try await reconcile(atsgate, ["--apply"], environment: environment)
            #expect(again?.repairedRows == 0)
            #expect(try await loxo.listRows(atsgate, environment: environment).map { "\($0.id) \($0.status) \($0.operation)" }
                == repaired.map { "\($0.id) \($0.status) \($0.operation)" })

            // The worker carries the repairs out; what is left is what only a person can decide.
            _ = try await loxo.deliverUntilSettled(atsgate, environment: environment)
            let (_, after) = try await reconcile(atsgate, environment: environment)
            #expect(Set(after?.findings.map(\.category) ?? []) == ["duplicate_remote", "orphan_remote"])
            #expect(try remote("job-001").fields["title"] != "Field Service Engineer (Robotics)")
            #expect(try remote("job-004").fields["job_status_id"] == "1")
            #expect(try remote("job-003").fields["title"] != "answer lost")

            let runs = try await atsgate.execute(["reconcile", "runs", "--target", "loxo"], environment: environment)
            #expect(runs.exitCode == 0)
            #expect(runs.stdout.split(separator: "\n").count == 8, "a header and seven runs:\n\(runs.stdout)")
        }
    }

    @Test("A listing that cannot complete (the 10,000-result wall) is partial: exit 3, and nothing reported missing")
    func partialListing() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeLoxo.withRunning { fake in
            let environment = try await loxo.prepare(atsgate, fake: fake, retryBaseDelay: "1s")
            try await loxo.qualify(atsgate, ["job-001", "job-002"], environment: environment)
            try await repairAndDeliver(atsgate, environment: environment)
            // job-002 is deleted at Loxo, but the closed jobs cannot all be listed: Loxo pages
            // through at most 10,000 results, so whether job-002 is really gone cannot be told.
            fake.removeJob(try #require(fake.jobs.first { $0.fields["custom_text_1"] == loxo.marker("job-002") }).id)
            fake.seedJobs(10_001, status: 2)
            let (exit, report) = try await reconcile(atsgate, environment: environment)
            #expect(exit == 3)
            #expect(report?.run.status == "partial")
            #expect(report?.findings.contains { $0.category == "missing_remote" || $0.category == "unsynced" } == false)

            fake.removeJob(try #require(fake.jobs.last).id)
            let (completeExit, complete) = try await reconcile(atsgate, environment: environment)
            #expect(completeExit == 0)
            #expect(complete?.findings.map(\.category) == ["missing_remote"])
        }
    }

    @Test("--every runs again and again, never two at once, and SIGTERM ends it cleanly")
    func periodic() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeLoxo.withRunning { fake in
            let environment = try await loxo.prepare(atsgate, fake: fake, retryBaseDelay: "1s")
            let schedule = try RunningAtsgate(
                atsgate, ["reconcile", "--target", "loxo", "--organisation", LoxoEndToEndTests.organisation, "--every", "100ms"], environment: environment
            )
            struct StoredRun: Decodable {
                var id: Int
                var status: String
                var startedAt: Date
                var finishedAt: Date?
            }
            let decoder = loxo.decoder
            decoder.dateDecodingStrategy = .iso8601
            var runs: [StoredRun] = []
            let giveUp = ContinuousClock.now + .seconds(30)
            while runs.filter({ $0.status == "completed" }).count < 3, ContinuousClock.now < giveUp {
                try await Task.sleep(for: .milliseconds(100))
                let listed = try await atsgate.execute(["reconcile", "runs", "--json"], environment: environment)
                runs = (try? decoder.decode([StoredRun].self, from: Data(listed.stdout.utf8))) ?? []
            }
            schedule.send(SIGTERM)
            #expect(await schedule.waitForExit() == 0, "\(schedule.log)")

            let listed = try await atsgate.execute(["reconcile", "runs", "--json"], environment: environment)
            runs = try decoder.decode([StoredRun].self, from: Data(listed.stdout.utf8)).sorted { $0.id < $1.id }
            #expect(runs.count >= 3)
            #expect(!runs.contains { $0.status == "running" }, "SIGTERM leaves no run marked running")
            for (earlier, later) in zip(runs, runs.dropFirst()) {
                #expect(try #require(earlier.finishedAt) <= later.startedAt, "run \(later.id) started before run \(earlier.id) ended")
            }
        }
    }
}
