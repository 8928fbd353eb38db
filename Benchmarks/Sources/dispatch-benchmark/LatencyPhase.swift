import AtsgateCore
import AtsgateSQLite
import Foundation
import Synchronization

/// Phase B: a running dispatcher woken by the FIFO doorbell; jobs qualified at a steady rate, one
/// doorbell ring after each, as `atsgate jobs qualify` does. Measures sent_at − created_at per row.
struct LatencyPhase {
    struct Result {
        var jobs: Int
        var concurrency: Int
        var requestedRate: Double
        var achievedRate: Double
        var durability: (journalMode: String, synchronous: Int)
        /// sent_at − created_at of each sent row, ascending, in milliseconds (stored dates have 1 ms resolution).
        var latencies: [Double]
        var cpu: CPUUsage
        var transactions: CountingDispatchStore.Counts
        var stopOutcome: String
        var peakResidentBytes: Int?

        func percentile(_ p: Double) -> Double? {
            guard !latencies.isEmpty else { return nil }
            // Nearest rank.
            let rank = Int((p / 100 * Double(latencies.count)).rounded(.up))
            return latencies[min(max(rank, 1), latencies.count) - 1]
        }
    }

    let setup: BenchmarkSetup
    let path: String
    let jobs: Int
    let rate: Double
    let targetPID: Int32?

    func run() async throws -> Result {
        let store = try SQLiteStore.open(path: path)
        let durability = try await store.durability()
        try await BenchmarkDataset.importJobs(jobs, into: store, catalog: setup.catalog)

        let doorbell = FIFODoorbell(databasePath: path)
        defer { try? FileManager.default.removeItem(atPath: doorbell.directory) }
        let counting = CountingDispatchStore(store)
        let dispatcher = setup.dispatcher(store: counting, untilIdle: false, wakeups: doorbell)
        let finished = OnceFlag()
        let worker = Task {
            defer { finished.set() }
            try await dispatcher.run()
        }
        defer { worker.cancel() }
        try await waitForListener(in: doorbell.directory)

        let cpu = CPUUsage.start(targetPID: targetPID)
        let qualifying = try await qualifyPaced(store: store)
        try await waitUntilSent(jobs, store: store, timeout: .seconds(120) + .seconds(Double(jobs) / rate))
        let usage = cpu.finish()

        worker.cancel()
        let stopped = try await waitUntil(timeout: .seconds(15)) { finished.isSet }
        let stopOutcome: String
        if stopped {
            switch await worker.result {
            case .success: stopOutcome = "returned normally"
            case .failure(let error): stopOutcome = "threw \(type(of: error))"
            }
        } else {
            stopOutcome = "still running 15 s after cancellation"
        }

        return Result(
            jobs: jobs,
            concurrency: setup.concurrency,
            requestedRate: rate,
            achievedRate: Double(jobs) / qualifying.seconds,
            durability: durability,
            latencies: try await OutboxQueries.sendLatenciesMilliseconds(store),
            cpu: usage,
            transactions: counting.snapshot,
            stopOutcome: stopOutcome,
            peakResidentBytes: ProcessStats.peakResidentBytes()
        )
    }

    /// Qualifies job i at start + i/rate (catching up without sleeping when behind).
    /// - Returns: how long qualifying took.
    private func qualifyPaced(store: SQLiteStore) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        let interval = Duration.seconds(1 / rate)
        for index in 1...jobs {
            let due = start + interval * (index - 1)
            if due > clock.now { try await clock.sleep(until: due) }
            // The store rings the workers after the commit.
            try await setup.qualify(BenchmarkDataset.jobID(index), in: store)
        }
        return clock.now - start
    }

    /// The dispatcher creates its pipe when it starts; a ring before that would be lost.
    private func waitForListener(in directory: String) async throws {
        let listening = try await waitUntil(timeout: .seconds(10)) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return names.contains { $0.hasSuffix(".fifo") }
        }
        guard listening else { throw BenchmarkError("the dispatcher created no doorbell pipe in \(directory)") }
    }

    private func waitUntilSent(_ count: Int, store: SQLiteStore, timeout: Duration) async throws {
        var sent = 0
        let done = try await waitUntil(timeout: timeout) {
            sent = (try? await OutboxQueries.sentCount(store)) ?? sent
            return sent >= count
        }
        guard done else { throw BenchmarkError("only \(sent) of \(count) rows were sent within \(timeout)") }
    }
}

/// Polls `condition` every 10 ms until it holds (true) or `timeout` passes (false).
func waitUntil(timeout: Duration, _ condition: () async -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// Set once, read from anywhere.
final class OnceFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
