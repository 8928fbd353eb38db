import AtsgateCore
import AtsgateSQLite

/// Phase A: qualify ROWS jobs, then drain the outbox with `untilIdle` and check every row is sent.
struct ThroughputPhase {
    struct Result {
        var rows: Int
        var concurrency: Int
        var durability: (journalMode: String, synchronous: Int)
        var importSeconds: Double
        var enqueueSeconds: Double
        var dispatch: CPUUsage
        var transactions: CountingDispatchStore.Counts
        var statusCounts: [String: Int]
        var attempts: (total: Int, notDelivered: Int)
        var distinctExternalIDs: Int
        var peakResidentBytes: Int?
        var targetPeakResidentBytes: Int?

        var sent: Int { statusCounts["sent", default: 0] }
        var notSent: Int { statusCounts.filter { $0.key != "sent" }.values.reduce(0, +) }
        var noRowLost: Bool { sent == rows && notSent == 0 }
    }

    let setup: BenchmarkSetup
    let path: String
    let rows: Int
    let targetPID: Int32?

    func run() async throws -> Result {
        let store = try SQLiteStore.open(path: path)
        let durability = try await store.durability()
        let clock = ContinuousClock()

        let importTime = try await clock.measure {
            try await BenchmarkDataset.importJobs(rows, into: store, catalog: setup.catalog)
        }
        let enqueueTime = try await clock.measure {
            for index in 1...rows {
                try await setup.qualify(BenchmarkDataset.jobID(index), in: store)
            }
        }
        let pending = try await OutboxQueries.statusCounts(store)["pending", default: 0]
        guard pending == rows else {
            throw BenchmarkError("expected \(rows) pending rows after qualifying, found \(pending)")
        }

        let counting = CountingDispatchStore(store)
        let cpu = CPUUsage.start(targetPID: targetPID)
        try await setup.dispatcher(store: counting, untilIdle: true, wakeups: nil).run()
        let dispatch = cpu.finish()

        return Result(
            rows: rows,
            concurrency: setup.concurrency,
            durability: durability,
            importSeconds: importTime.seconds,
            enqueueSeconds: enqueueTime.seconds,
            dispatch: dispatch,
            transactions: counting.snapshot,
            statusCounts: try await OutboxQueries.statusCounts(store),
            attempts: try await OutboxQueries.attemptCounts(store),
            distinctExternalIDs: try await OutboxQueries.distinctExternalIDs(store),
            peakResidentBytes: ProcessStats.peakResidentBytes(),
            targetPeakResidentBytes: targetPID.flatMap { ProcessStats.peakResidentBytes(pid: $0) }
        )
    }
}
