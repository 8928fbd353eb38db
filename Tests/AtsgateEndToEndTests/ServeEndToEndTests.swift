import AtsgateTesting
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `atsgate serve` as a process: a CRM talks to its API, its worker delivers to the fake Loxo,
/// its schedules reconcile every organisation, and SIGTERM drains it.
@Suite("serve end to end", .serialized, .timeLimit(.minutes(3)))
struct ServeEndToEndTests {
    let loxo = LoxoEndToEndTests()

    /// The URL a running `serve` logged once its port was open.
    static func url(of server: RunningAtsgate) async throws -> String {
        await server.waitForLog("url=http://")
        let log = server.log
        let start = try #require(log.range(of: "url=http://"))
        return String(log[start.lowerBound...].dropFirst(4).prefix { !$0.isWhitespace })
    }

    static func createKey(_ atsgate: AtsgateProcess, organisation: String, role: String, environment: [String: String]) async throws -> String {
        let result = try await atsgate.execute(["api-keys", "create", "--organisation", organisation, "--role", role, "--json"], environment: environment)
        #expect(result.exitCode == 0, "\(result.stderr)")
        let created = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(created["key"] as? String)
    }

    static func request(_ method: String, _ url: String, key: String, body: String? = nil) async throws -> (status: Int, json: Any?) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONSerialization.jsonObject(with: data))
    }

    @Test("A CRM qualifies jobs through the API; serve's worker delivers them; SIGTERM stops it cleanly")
    func qualifyAndDeliver() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeLoxo.withRunning { fake in
            let environment = try await loxo.prepare(atsgate, fake: fake, retryBaseDelay: "1s")
            let crm = try await Self.createKey(atsgate, organisation: LoxoEndToEndTests.organisation, role: "crm", environment: environment)
            let server = try RunningAtsgate(atsgate, ["serve", "--listen", "127.0.0.1:0", "--no-schedules"], environment: environment)
            let base = try await Self.url(of: server)
            let (status, answer) = try await Self.request("POST", "\(base)/v1/qualifications", key: crm, body: #"{"job_ids": ["job-001", "job-002", "job-004"], "by": "ana"}"#)
            #expect(status == 200, "\(String(describing: answer))")
            #expect((answer as? [String: Any])?["count"] as? Int == 3)

            // The worker inside serve logs each delivery; then the API must show all three sent.
            await server.waitForLog("delivered", occurrences: 3)
            let (_, page) = try await Self.request("GET", "\(base)/v1/outbox?status=sent", key: crm)
            let sent = ((page as? [String: Any])?["data"] as? [Any])?.count ?? 0
            #expect(sent == 3)
            #expect(Set(fake.jobs.compactMap { $0.fields["custom_text_1"] }) == Set(["job-001", "job-002", "job-004"].map(loxo.marker)))
            server.send(SIGTERM)
            #expect(await server.waitForExit() == 0)
        }
    }

    @Test("Two nodes run every organisation's reconcile schedule, never two runs of one target and organisation at once; --no-schedules runs none")
    func schedules() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeLoxo.withRunning { fake in
            let environment = try await loxo.prepare(atsgate, fake: fake, retryBaseDelay: "1s")
            let target = try String(contentsOf: atsgate.workingDirectory.appendingPathComponent("connectors/loxo.yaml"), encoding: .utf8)
            try atsgate.writeTarget("loxo", target + "reconcile:\n  every: 1s\n")

            // A --no-schedules node beside two scheduling ones, until those two have finished six runs.
            let quiet = try RunningAtsgate(atsgate, ["serve", "--listen", "127.0.0.1:0", "--no-schedules", "--no-worker"], environment: environment)
            _ = try await Self.url(of: quiet)
            let nodes = try (0..<2).map { _ in try RunningAtsgate(atsgate, ["serve", "--listen", "127.0.0.1:0", "--no-worker"], environment: environment) }
            for node in nodes { _ = try await Self.url(of: node) }
            await Self.waitForLog(of: nodes, "reconcile run finished", total: 6)
            for node in nodes + [quiet] { node.send(SIGTERM) }
            for node in nodes + [quiet] { #expect(await node.waitForExit() == 0) }
            #expect(!quiet.log.contains("reconcile run"), "the --no-schedules node started a run: \(quiet.log)")

            let all = try await runs(atsgate, environment: environment)
            for organisation in ["org-northwind", "org-bluepeak"] {
                let own = all.filter { $0.organisation == organisation }.sorted { $0.started < $1.started }
                #expect(own.count >= 2, "\(organisation) was reconciled \(own.count) times of \(all.count) with every: 1s")
                for (earlier, later) in zip(own, own.dropFirst()) {
                    #expect(earlier.finished.map { $0 <= later.started } ?? false, "runs \(earlier.id) and \(later.id) of \(organisation) overlap")
                }
            }
        }
    }

    @Test("sandbox --serve drives the demo through the API, prints the admin page, serves it, and stops on SIGINT")
    func sandboxServe() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let process = Process()
        process.executableURL = AtsgateProcess.executable
        process.arguments = [
            "sandbox", "--serve", "--listen", "127.0.0.1:0", "--jobs", "3", "--directory", atsgate.workingDirectory.appendingPathComponent("sandbox").path,
            "--config", AtsgateProcess.repositoryRoot.path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let printed = Mutex("")
        let (ready, readyFound) = AsyncStream.makeStream(of: Void.self)
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                readyFound.finish()
                return
            }
            let text = printed.withLock { $0 += String(decoding: data, as: UTF8.self); return $0 }
            if text.contains("press Ctrl-C") { readyFound.finish() }
        }
        let (exit, exited) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { exited.yield($0.terminationStatus); exited.finish() }
        try process.run()
        for await _ in ready {}
        let text = printed.withLock { $0 }
        #expect(text.contains("the demo is driven through the API at http://127.0.0.1:"))
        #expect(text.contains("ok: each of the 3 qualified jobs is at Loxo exactly once"), "\(text.suffix(2_000))")
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("admin page: ") })
        let admin = String(line.dropFirst("admin page: ".count).prefix { !$0.isWhitespace })
        let (data, response) = try await URLSession.shared.data(from: try #require(URL(string: admin + "/sign-in")))
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self).contains("Operator API key"))
        kill(process.processIdentifier, SIGINT)
        var status: Int32 = -1
        for await code in exit { status = code }
        #expect(status == 0)
    }

    /// Returns once `text` stands `total` times in the logs of `processes` together (or a test's
    /// time limit cancels the wait): each round waits for the next line of any of them.
    static func waitForLog(of processes: [RunningAtsgate], _ text: String, total: Int) async {
        func count(_ process: RunningAtsgate) -> Int { process.log.components(separatedBy: text).count - 1 }
        while !Task.isCancelled, processes.map(count).reduce(0, +) < total {
            await withTaskGroup(of: Void.self) { group in
                for process in processes {
                    let seen = count(process)
                    group.addTask { await process.waitForLog(text, occurrences: seen + 1) }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    struct Run {
        var id: Int
        var organisation: String
        var started: Date
        var finished: Date?
    }

    private func runs(_ atsgate: AtsgateProcess, environment: [String: String]) async throws -> [Run] {
        let result = try await atsgate.execute(["reconcile", "runs", "--json", "--limit", "1000"], environment: environment)
        #expect(result.exitCode == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let iso = ISO8601DateFormatter()
        return rows.compactMap { row in
            guard let id = row["id"] as? Int, let organisation = row["organisation_id"] as? String,
                  let started = (row["started_at"] as? String).flatMap(iso.date(from:)) else { return nil }
            return Run(id: id, organisation: organisation, started: started, finished: (row["finished_at"] as? String).flatMap(iso.date(from:)))
        }
    }
}
