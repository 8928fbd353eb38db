import AtsgateCore
import Foundation
import GRDB
import PostgresNIO

/// Phase `engines`: SQLite and PostgreSQL side by side in one run, each round on a fresh database
/// (a new SQLite file, a new PostgreSQL schema):
///
/// 1. enqueue: import ROWS jobs (one transaction), qualify each in its own transaction, then
///    dispatch them with one dispatcher inside this process;
/// 2. for each process count P: import, qualify (4 at a time, to save time), then dispatch with P
///    real `atsgate worker --until-idle` processes at once;
/// 3. latency: one long-running `atsgate worker` woken by the store's wake-ups (PostgreSQL:
///    NOTIFY; SQLite: the named pipes), jobs qualified at a steady rate from this process;
/// 4. probes: the commit latency of a one-row write transaction, and PostgreSQL's round trip.
///
/// Rounds alternate between the engines, so both see the machine in the same state.
struct EnginesPhase {
    struct ThroughputRound: Sendable {
        var engine: Engine
        /// nil: one dispatcher in this process; n: n worker processes.
        var processes: Int?
        var rows: Int
        var importSeconds: Double
        var enqueueSeconds: Double
        var enqueueParallel: Int
        var dispatchSeconds: Double
        var attemptSpanSeconds: Double
        var cpu: CPUGroups.Usage
        var check: OutboxCheck
        var transactions: CountingDispatchStore.Counts?
        var statements: StatementStats?

        var dispatchRate: Double { Double(rows) / dispatchSeconds }
    }

    struct LatencyRound: Sendable {
        var engine: Engine
        var jobs: Int
        var requestedRate: Double
        var achievedRate: Double
        /// Ascending, milliseconds.
        var latencies: [Double]
        var cpu: CPUGroups.Usage
        var sent: Int

        func percentile(_ p: Double) -> Double? {
            guard !latencies.isEmpty else { return nil }
            let rank = Int((p / 100 * Double(latencies.count)).rounded(.up))
            return latencies[min(max(rank, 1), latencies.count) - 1]
        }
    }

    struct Probe: Sendable {
        var engine: Engine
        /// Median and p99 of a one-row INSERT committed on its own, microseconds.
        var commitMicros: (median: Double, p99: Double)
        /// PostgreSQL: median of `SELECT 1`, microseconds.
        var roundTripMicros: Double?
        var settings: String
    }

    struct Result: Sendable {
        var throughput: [ThroughputRound] = []
        var latency: [LatencyRound] = []
        var probes: [Probe] = []
    }

    let setup: BenchmarkSetup
    let engines: [Engine]
    let postgresURL: String?
    let postmasterPID: Int32?
    let targetPID: Int32?
    let rows: Int
    let processCounts: [Int]
    let latencyJobs: Int
    let latencyRate: Double
    let workers: WorkerProcesses
    let folder: URL
    let schemaPrefix: String
    let keepDatabases: Bool
    /// Which rounds run: probes, inprocess, processes, latency.
    let parts: Set<String>

    func run() async throws -> Result {
        var result = Result()
        for engine in engines where parts.contains("probes") {
            result.probes.append(try await probe(engine))
            log("\(engine.title): commit \(Int(result.probes.last!.commitMicros.median)) µs")
        }
        for engine in engines where parts.contains("inprocess") {
            let round = try await throughputRound(engine, processes: nil)
            result.throughput.append(round)
            log("\(engine.title) in-process: enqueue \(Int(Double(rows) / round.enqueueSeconds))/s, dispatch \(Int(round.dispatchRate)) rows/s")
        }
        for count in processCounts where parts.contains("processes") {
            for engine in engines {
                let round = try await throughputRound(engine, processes: count)
                result.throughput.append(round)
                log("\(engine.title) \(count) processes: dispatch \(Int(round.dispatchRate)) rows/s")
            }
        }
        for engine in engines where parts.contains("latency") {
            let round = try await latencyRound(engine)
            result.latency.append(round)
            log("\(engine.title) latency: p50 \(round.percentile(50) ?? .nan) ms, p99 \(round.percentile(99) ?? .nan) ms")
        }
        return result
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data("[engines] \(line)\n".utf8))
    }

    private func fresh(_ engine: Engine, _ round: String) throws -> EngineDatabase {
        try EngineDatabase.fresh(engine, round: round, folder: folder, postgresURL: postgresURL, schemaPrefix: schemaPrefix)
    }

    // MARK: - Throughput

    private func throughputRound(_ engine: Engine, processes: Int?) async throws -> ThroughputRound {
        let database = try fresh(engine, processes.map { "p\($0)" } ?? "inprocess")
        let clock = ContinuousClock()
        let parallel = processes == nil ? 1 : 4
        struct Prepared: Sendable {
            var importSeconds: Double
            var enqueueSeconds: Double
            var dispatch: (seconds: Double, cpu: CPUGroups.Usage, counts: CountingDispatchStore.Counts)?
        }
        let statementsWanted = engine == .postgres
        let prepared = try await database.withStore { store in
            let importTime = try await clock.measure {
                try await BenchmarkDataset.importJobs(rows, into: store, catalog: setup.catalog)
            }
            let enqueueTime = try await clock.measure { try await qualifyAll(store, parallel: parallel) }
            let pending = try await store.outboxCounts()[setup.targetName]?[.pending] ?? 0
            guard pending == rows else { throw BenchmarkError("\(engine.title): expected \(rows) pending rows after qualifying, found \(pending)") }
            guard processes == nil else { return Prepared(importSeconds: importTime.seconds, enqueueSeconds: enqueueTime.seconds) }
            if statementsWanted { await StatementStats.reset(database) }
            let counting = CountingDispatchStore(store)
            let cpu = CPUGroups(targetPID: targetPID, postmasterPID: postmasterPID)
            let dispatchTime = try await clock.measure {
                try await setup.dispatcher(store: counting, untilIdle: true, wakeups: nil).run()
            }
            return Prepared(
                importSeconds: importTime.seconds, enqueueSeconds: enqueueTime.seconds,
                dispatch: (dispatchTime.seconds, cpu.finish(), counting.snapshot)
            )
        }
        var dispatch = prepared.dispatch
        if let processes {
            if statementsWanted { await StatementStats.reset(database) }
            let cpu = CPUGroups(targetPID: targetPID, postmasterPID: postmasterPID)
            let wall = try await workers.runUntilIdle(count: processes, database: database.url, round: "\(engine.rawValue)-p\(processes)")
            dispatch = (wall, cpu.finish(), CountingDispatchStore.Counts())
        }
        guard let dispatch else { throw BenchmarkError("no dispatch measured") }
        let round = ThroughputRound(
            engine: engine, processes: processes, rows: rows,
            importSeconds: prepared.importSeconds, enqueueSeconds: prepared.enqueueSeconds, enqueueParallel: parallel,
            dispatchSeconds: dispatch.seconds, attemptSpanSeconds: try await database.attemptSpanSeconds(),
            cpu: dispatch.cpu, check: try await database.outboxCheck(),
            transactions: processes == nil ? dispatch.counts : nil,
            statements: statementsWanted ? await StatementStats.read(database) : nil
        )
        if !keepDatabases { await database.drop() }
        return round
    }

    /// Qualifies jobs 1…rows, `parallel` at a time (1: in order, one after the other).
    private func qualifyAll(_ store: any GatewayStore, parallel: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<parallel {
                group.addTask {
                    for index in stride(from: lane + 1, through: rows, by: parallel) {
                        try await setup.qualify(BenchmarkDataset.jobID(index), in: store)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    // MARK: - Latency

    private func latencyRound(_ engine: Engine) async throws -> LatencyRound {
        let database = try fresh(engine, "latency")
        let warmUp = BenchmarkDataset.jobID(1)
        let measured = try await database.withStore { store in
            try await BenchmarkDataset.importJobs(latencyJobs + 1, into: store, catalog: setup.catalog)
            let listener = try workers.startListening(database: database.url, round: "\(engine.rawValue)-latency")
            do {
                try await Task.sleep(for: .seconds(2))
                // One job first: the worker is up, listening and connected to the target.
                try await setup.qualify(warmUp, in: store)
                try await waitUntilSent(1, store: store, timeout: .seconds(30))
                try await Task.sleep(for: .milliseconds(500))

                let cpu = CPUGroups(targetPID: targetPID, postmasterPID: postmasterPID)
                let clock = ContinuousClock()
                let start = clock.now
                let interval = Duration.seconds(1 / latencyRate)
                for index in 2...(latencyJobs + 1) {
                    let due = start + interval * (index - 2)
                    if due > clock.now { try await clock.sleep(until: due) }
                    try await setup.qualify(BenchmarkDataset.jobID(index), in: store)
                }
                let qualifying = (clock.now - start).seconds
                let sent = try await waitUntilSent(latencyJobs + 1, store: store, timeout: .seconds(120))
                let usage = cpu.finish()
                try await workers.stop(listener)
                return (achieved: Double(latencyJobs) / qualifying, cpu: usage, sent: sent - 1)
            } catch {
                try? await workers.stop(listener)
                throw error
            }
        }
        let round = LatencyRound(
            engine: engine, jobs: latencyJobs, requestedRate: latencyRate, achievedRate: measured.achieved,
            latencies: try await database.sendLatenciesMilliseconds(excludingJob: warmUp), cpu: measured.cpu, sent: measured.sent
        )
        if !keepDatabases { await database.drop() }
        return round
    }

    /// Polls the store's counts every 20 ms until `count` rows are sent. - Returns: the rows sent.
    @discardableResult
    private func waitUntilSent(_ count: Int, store: any GatewayStore, timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var sent = 0
        while ContinuousClock.now < deadline {
            sent = try await store.outboxCounts()[setup.targetName]?[.sent] ?? 0
            if sent >= count { return sent }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchmarkError("only \(sent) of \(count) rows were sent within \(timeout)")
    }

    // MARK: - Probes

    private func probe(_ engine: Engine) async throws -> Probe {
        let samples = 300
        let clock = ContinuousClock()
        switch engine {
        case .sqlite:
            var configuration = GRDB.Configuration()
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            let path = folder.appendingPathComponent("probe.sqlite").path
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try await queue.write { db in try db.execute(sql: "CREATE TABLE probe(x INTEGER)") }
            var commits: [Double] = []
            for _ in 0..<samples {
                let elapsed = try await clock.measure { try await queue.write { db in try db.execute(sql: "INSERT INTO probe VALUES (1)") } }
                commits.append(elapsed.seconds * 1e6)
            }
            try queue.close()
            return Probe(engine: engine, commitMicros: Self.medianAndP99(commits), roundTripMicros: nil,
                         settings: "journal_mode=wal, synchronous=FULL (as `SQLiteStore`)")
        case .postgres:
            let database = try fresh(engine, "probe")
            let probe = try await database.withPostgresConnection { connection in
                func run(_ sql: String) async throws { _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: EngineDatabase.quietLogger).collect() }
                func show(_ name: String) async throws -> String {
                    for try await row in try await connection.query(PostgresQuery(unsafeSQL: "SHOW \(name)"), logger: EngineDatabase.quietLogger) {
                        return "\(name)=\(try row.decode(String.self))"
                    }
                    return "\(name)=?"
                }
                try await run("CREATE SCHEMA IF NOT EXISTS \(schemaPrefix)_probe")
                try await run("CREATE TABLE probe(x integer)")
                var commits: [Double] = []
                var trips: [Double] = []
                for _ in 0..<samples {
                    commits.append(try await clock.measure { try await run("INSERT INTO probe VALUES (1)") }.seconds * 1e6)
                    trips.append(try await clock.measure { try await run("SELECT 1") }.seconds * 1e6)
                }
                let settings = [
                    try await show("server_version"), try await show("synchronous_commit"), try await show("fsync"),
                    try await show("wal_sync_method"), try await show("shared_buffers"),
                ].joined(separator: ", ")
                return Probe(engine: engine, commitMicros: Self.medianAndP99(commits), roundTripMicros: Self.medianAndP99(trips).median, settings: settings)
            }
            await database.drop()
            return probe
        }
    }

    private static func medianAndP99(_ values: [Double]) -> (median: Double, p99: Double) {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return (.nan, .nan) }
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))])
    }
}

/// The statements PostgreSQL ran during a round, from `pg_stat_statements` (when the server
/// loads it: `shared_preload_libraries = 'pg_stat_statements'`; otherwise nil).
struct StatementStats: Sendable {
    struct Statement: Sendable {
        var calls: Int
        var totalMilliseconds: Double
        var query: String
    }

    var totalCalls: Int
    var totalMilliseconds: Double
    var top: [Statement]

    static func reset(_ database: EngineDatabase) async {
        _ = try? await database.withPostgresConnection { connection in
            try await connection.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA public", logger: EngineDatabase.quietLogger)
            try await connection.query("SELECT public.pg_stat_statements_reset()", logger: EngineDatabase.quietLogger)
        }
    }

    static func read(_ database: EngineDatabase) async -> StatementStats? {
        try? await database.withPostgresConnection { connection in
            var top: [Statement] = []
            var totalCalls = 0
            var totalMilliseconds = 0.0
            let rows = try await connection.query("""
                SELECT calls, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g')
                FROM public.pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND query NOT LIKE '%pg_stat_statements%'
                ORDER BY calls DESC
                """, logger: EngineDatabase.quietLogger)
            for try await (calls, milliseconds, query) in rows.decode((Int64, Double, String).self) {
                totalCalls += Int(calls)
                totalMilliseconds += milliseconds
                if top.count < 12 { top.append(Statement(calls: Int(calls), totalMilliseconds: milliseconds, query: query)) }
            }
            return StatementStats(totalCalls: totalCalls, totalMilliseconds: totalMilliseconds, top: top)
        }
    }
}
