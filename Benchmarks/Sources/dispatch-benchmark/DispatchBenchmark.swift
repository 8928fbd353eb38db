import ArgumentParser
import Foundation

/// Measures end-to-end dispatch through the real library: SQLite outbox, dispatcher, webhook
/// connector, HTTP, against `noop-target` on the loopback interface.
@main
struct DispatchBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch-benchmark",
        abstract: "Throughput and latency of the outbox dispatcher against a no-op webhook target.",
        discussion: """
        Phase A (throughput): import ROWS jobs, qualify each in its own transaction, then run the \
        dispatcher until idle and check that every row is sent. Phase B (latency): a fresh database, \
        a running dispatcher woken by the FIFO doorbell, jobs qualified at a steady rate; reports \
        sent_at - created_at percentiles. Prints a markdown summary.
        """
    )

    enum Phase: String, ExpressibleByArgument, CaseIterable {
        case all, throughput, latency, ceiling, engines
    }

    @Option(help: "Jobs imported, qualified and dispatched in the throughput phase.")
    var rows = 100_000

    @Option(help: "The target's concurrency: deliveries in flight at once.")
    var concurrency = 32

    @Option(help: "Jobs qualified in the latency phase.")
    var latencyJobs = 5_000

    @Option(help: "Qualifications per second in the latency phase.")
    var latencyRate = 1_000.0

    @Option(help: "Webhook creates sent in the ceiling phase (connector and HTTP only, no store).")
    var ceilingRequests = 50_000

    @Option(help: "Database file of the throughput phase; the latency phase uses PATH-latency. Neither may exist; both are kept. (default: temporary files, removed afterwards)")
    var db: String?

    @Option(help: "Which phases to run: \(Phase.allCases.map(\.rawValue).joined(separator: ", ")).")
    var phase: Phase = .all

    @Option(help: "Port of the no-op target on 127.0.0.1.")
    var port = 8089

    @Option(help: "Phase engines: a PostgreSQL database, postgres://USER@HOST:PORT/DB?sslmode=disable (no schema: each round makes its own, bench_<random>_<round>, and drops it).")
    var postgres: String?

    @Option(help: "Phase engines: the engines to compare, comma-separated.")
    var engines = "sqlite,postgres"

    @Option(help: "Phase engines: how many worker processes dispatch at once, one round each, comma-separated.")
    var processes = "1,2,4"

    @Option(help: "Phase engines: the atsgate binary the worker processes run (default: atsgate beside this executable, else the root package's .build/release/atsgate).")
    var atsgate: String?

    @Option(help: "Phase engines: the PostgreSQL server's postmaster pid, to count its CPU (read from postmaster.pid).")
    var postgresPid: Int32?

    @Option(help: "Phase engines: which rounds to run, comma-separated: probes, inprocess, processes, latency.")
    var parts = "probes,inprocess,processes,latency"

    @Option(help: "Phase engines: the worker processes' attempt_timeout (their lease is this + 5 s), e.g. 2s; their timeout is then 1s. (default: timeout 10s, attempt_timeout 20s)")
    var attemptTimeout: String?

    @Flag(help: "Phase engines: keep the rounds' PostgreSQL schemas.")
    var keepSchemas = false

    @Flag(inversion: .prefixedNo, help: "Start noop-target (from this executable's folder) for the run and stop it afterwards.")
    var spawnTarget = true

    func validate() throws {
        guard rows > 0 else { throw ValidationError("--rows must be positive") }
        guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
        guard ceilingRequests > 0 else { throw ValidationError("--ceiling-requests must be positive") }
        guard latencyJobs > 0 else { throw ValidationError("--latency-jobs must be positive") }
        guard latencyRate > 0, latencyRate.isFinite else { throw ValidationError("--latency-rate must be a positive number") }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1…65535") }
    }

    func run() async throws {
        let files = try DatabaseFiles(requested: db)
        defer { files.removeTemporaryFiles() }
        let targetURL = "http://127.0.0.1:\(port)/jobs"
        let target = spawnTarget ? try NoopTarget.spawn(port: port) : nil
        defer { target?.stop() }
        try await NoopTarget.waitUntilReady(url: targetURL, spawned: target)

        let setup = try BenchmarkSetup(targetURL: targetURL, concurrency: concurrency)
        do {
            try await runPhases(setup, files: files, targetPID: target?.pid)
        } catch {
            try? await setup.client.shutdown()
            throw error
        }
        try await setup.client.shutdown()
    }

    private func runPhases(_ setup: BenchmarkSetup, files: DatabaseFiles, targetPID: Int32?) async throws {
        print(Report.header(setup: setup, targetPID: targetPID))
        if phase == .engines {
            try await runEngines(setup, targetPID: targetPID)
            return
        }
        if phase == .all || phase == .throughput {
            let result = try await ThroughputPhase(setup: setup, path: files.throughputPath, rows: rows, targetPID: targetPID).run()
            print(Report.throughput(result))
        }
        if phase == .all || phase == .latency {
            let result = try await LatencyPhase(setup: setup, path: files.latencyPath, jobs: latencyJobs, rate: latencyRate, targetPID: targetPID).run()
            print(Report.latency(result))
        }
        if phase == .all || phase == .ceiling {
            let result = try await CeilingPhase(setup: setup, requests: ceilingRequests, targetPID: targetPID).run()
            print(Report.ceiling(result))
        }
    }
}

extension DispatchBenchmark {
    private func runEngines(_ setup: BenchmarkSetup, targetPID: Int32?) async throws {
        let chosen = try engines.split(separator: ",").map { name in
            guard let engine = Engine(rawValue: String(name)) else { throw BenchmarkError("--engines: no engine '\(name)'") }
            return engine
        }
        let counts = try processes.split(separator: ",").map { text in
            guard let count = Int(text), count > 0 else { throw BenchmarkError("--processes: '\(text)' is not a positive number") }
            return count
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-engines-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = atsgate ?? Self.defaultAtsgate()
        let workers = try WorkerProcesses.prepare(
            atsgate: binary, folder: folder, targetURL: setup.targetURL, concurrency: concurrency, attemptTimeout: attemptTimeout
        )
        let chosenParts = Set(parts.split(separator: ",").map(String.init))
        let random = String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(8))
        let load = { (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?" }
        let loadBefore = load()
        let result = try await EnginesPhase(
            setup: setup, engines: chosen, postgresURL: postgres, postmasterPID: postgresPid, targetPID: targetPID,
            rows: rows, processCounts: counts, latencyJobs: latencyJobs, latencyRate: latencyRate,
            workers: workers, folder: folder, schemaPrefix: "bench_\(random)", keepDatabases: keepSchemas, parts: chosenParts
        ).run()
        print("| atsgate | \(binary) |")
        print(EnginesReport.render(result, rows: rows, concurrency: concurrency, loadBefore: loadBefore, loadAfter: load()))
    }

    /// `atsgate` beside this executable (`swift build -c release --product atsgate` in Benchmarks/
    /// puts it there, built from the same sources), else the root package's release build.
    private static func defaultAtsgate() -> String {
        let folder = Bundle.main.executableURL?.deletingLastPathComponent() ?? URL(fileURLWithPath: ".")
        let beside = folder.appendingPathComponent("atsgate").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return folder.appendingPathComponent("../../../.build/release/atsgate").standardizedFileURL.path
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Where the two phases keep their databases.
struct DatabaseFiles {
    let throughputPath: String
    let latencyPath: String
    /// A folder of our own to remove at the end, when no path was given.
    private let temporaryFolder: URL?

    init(requested: String?) throws {
        if let requested {
            throughputPath = requested
            latencyPath = requested + "-latency"
            temporaryFolder = nil
            for path in [throughputPath, latencyPath] where FileManager.default.fileExists(atPath: path) {
                throw BenchmarkError("\(path) exists; the benchmark needs a fresh database (pass a new --db path)")
            }
        } else {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            throughputPath = folder.appendingPathComponent("throughput.sqlite").path
            latencyPath = folder.appendingPathComponent("latency.sqlite").path
            temporaryFolder = folder
        }
    }

    func removeTemporaryFiles() {
        if let temporaryFolder { try? FileManager.default.removeItem(at: temporaryFolder) }
    }
}
