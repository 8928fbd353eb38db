import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Real `atsgate worker` processes, as an operator runs them, with a configuration folder that
/// holds one webhook target `noop` pointing at the no-op target.
struct WorkerProcesses {
    let atsgate: String
    let configFolder: URL
    let logFolder: URL

    /// Writes `connectors/noop.yaml` under `folder`: the same target as ``BenchmarkSetup``'s catalog.
    static func prepare(atsgate: String, folder: URL, targetURL: String, concurrency: Int, attemptTimeout: String?) throws -> WorkerProcesses {
        guard FileManager.default.isExecutableFile(atPath: atsgate) else {
            throw BenchmarkError("\(atsgate) is not an executable: pass --atsgate PATH (swift build -c release --product atsgate)")
        }
        let connectors = folder.appendingPathComponent("config/connectors")
        try FileManager.default.createDirectory(at: connectors, withIntermediateDirectories: true)
        try """
        kind: webhook
        url: \(targetURL)
        timeout: \(attemptTimeout == nil ? "10s" : "1s")\(attemptTimeout.map { "\nattempt_timeout: \($0)" } ?? "")
        concurrency: \(concurrency)
        rate_limit:
          requests_per_second: 1000000
          burst: 100000

        """.write(to: connectors.appendingPathComponent("noop.yaml"), atomically: true, encoding: .utf8)
        let logs = folder.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        return WorkerProcesses(atsgate: atsgate, configFolder: folder.appendingPathComponent("config"), logFolder: logs)
    }

    /// Starts `count` workers on `database` at once and waits for all of them to exit.
    /// - Returns: the wall time from the first start to the last exit.
    func runUntilIdle(count: Int, database: String, round: String) async throws -> Double {
        let started = ContinuousClock.now
        let processes = try (1...count).map { index in
            try start(database: database, extra: ["--until-idle"], name: "\(round)-w\(index)")
        }
        for process in processes {
            while process.isRunning { try await Task.sleep(for: .milliseconds(5)) }
        }
        let wall = (ContinuousClock.now - started).seconds
        for (index, process) in processes.enumerated() where process.terminationStatus != 0 {
            throw BenchmarkError("worker \(index + 1) of round \(round) exited with \(process.terminationStatus); see \(logFolder.path)")
        }
        return wall
    }

    /// Starts one long-running worker (woken by the store's wake-ups); stop it with ``stop(_:)``.
    func startListening(database: String, round: String) throws -> Process {
        try start(database: database, extra: [], name: "\(round)-listener")
    }

    /// SIGTERM, then waits (the worker drains in-flight deliveries first).
    func stop(_ process: Process) async throws {
        guard process.isRunning else { return }
        process.terminate()
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
    }

    private func start(database: String, extra: [String], name: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: atsgate)
        // A shorter poll than the default 1 s: with --until-idle, a worker that sees another's rows
        // in flight waits a poll before it looks again, which would add up to 1 s to every round.
        process.arguments = ["worker", "--database", database, "--config", configFolder.path, "--worker-id", name, "--poll-interval", "200ms"] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["ATSGATE_LOG_LEVEL"] = "warning"
        environment.removeValue(forKey: "ATSGATE_DATABASE")
        environment.removeValue(forKey: "ATSGATE_CONFIG")
        process.environment = environment
        let log = logFolder.appendingPathComponent("\(name).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }
}
