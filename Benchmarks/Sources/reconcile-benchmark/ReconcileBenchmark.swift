import ArgumentParser
import AtsgateCore
import AtsgateSQLite
import Foundation
import Synchronization

/// Reconciles a large local database against an in-process fake target through the real
/// library (`SQLiteStore` → `ReconcileRunner` → `ReconcileDiff`), times the listing and the
/// diff apart, reads the peak RSS, and checks that every planted difference is found and
/// nothing else.
@main
struct ReconcileBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile-benchmark",
        abstract: "Reconcile JOBS local jobs against a fake target listing as many remote jobs, with planted differences.",
        discussion: """
        Writes a database of JOBS jobs (one organisation) with PLANTED differences of every \
        category, then runs the reconciler against a fake target that generates its listing page \
        by page. Reports local load, listing (timed alone), diff (listing + diff − listing), \
        total, peak RSS, and planted vs found per category. Exits 1 when a planted finding is \
        missed or one is invented.
        """
    )

    @Option(help: "Local jobs (one organisation).")
    var jobs = 1_000_000

    @Option(help: "Planted findings per category (every JOBS/PLANTED-th job is planted).")
    var planted = 1_000

    @Option(help: "Remote jobs the fake target lists (topped up with jobs that are not ours). (default: JOBS)")
    var remoteJobs: Int?

    @Option(help: "Remote jobs per page of the listing.")
    var pageSize = 500

    @Option(help: "Reconcile runs, each preceded by a listing on its own.")
    var runs = 3


    @Option(help: "Database file; written if it does not exist, reused (if it holds the same data set) and kept otherwise. (default: a temporary file, removed afterwards)")
    var db: String?

    func validate() throws {
        guard jobs > 0, planted > 0 else { throw ValidationError("--jobs and --planted must be positive") }
        guard jobs / planted >= 10 else { throw ValidationError("--planted may be at most --jobs / 10 (ten slots per stride)") }
        guard pageSize > 0 else { throw ValidationError("--page-size must be positive") }
        guard runs > 0 else { throw ValidationError("--runs must be positive") }
        if let remoteJobs, remoteJobs < 0 { throw ValidationError("--remote-jobs must not be negative") }
    }

    func run() async throws {
        let dataset = PlantedDataset(jobs: jobs, planted: planted)
        guard let targetName = TargetName(rawValue: "fake-ats") else { throw BenchmarkError("'fake-ats' is not a valid target name") }
        let target = TargetConfiguration(name: targetName, settings: .webhook(.init(url: "http://fake-ats.invalid/jobs")))
        let connector = FakeListingTarget(target: targetName, dataset: dataset, pageSize: pageSize, remoteTotal: remoteJobs ?? jobs)

        var report = ReconcileReport(dataset: dataset, connector: connector, loadAtStart: ProcessMemory.loadAverage)
        let files = try DatabaseFile(requested: db)
        defer { files.removeTemporaryFiles() }
        if let existing = try files.existingDataset() {
            guard existing.jobs == jobs, existing.planted == planted, existing.layout == DatasetWriter.layout else {
                throw BenchmarkError("\(files.path) holds \(existing.jobs) jobs with \(existing.planted) planted (layout \(existing.layout)); pass another --db")
            }
            report.fixture = "reused \(files.path)"
        } else {
            let start = ContinuousClock.now
            try DatasetWriter.write(dataset, target: targetName, to: files.path)
            report.fixture = "written in \(ReconcileReport.seconds((ContinuousClock.now - start).seconds)) (one transaction)"
        }
        report.databaseBytes = (try? FileManager.default.attributesOfItem(atPath: files.path)[.size] as? Int) ?? nil

        report.normalizationMicroseconds = Self.fieldSetCost()
        let expected = dataset.expectedFindings()
        let localIndex = dataset.localIndexCount()
        report.peakWasReset = ProcessMemory.resetPeak()
        report.residentBeforeRuns = ProcessMemory.residentBytes

        let sqlite = try SQLiteStore.open(path: files.path)
        let store = TimingReconcileStore(sqlite)
        for number in 1...runs {
            report.runs.append(try await measure(
                number, sqlite: sqlite, store: store, connector: connector, target: target, expected: expected, localIndex: localIndex
            ))
        }
        report.loadAtEnd = ProcessMemory.loadAverage
        print(report.markdown())
        guard report.runs.allSatisfy(\.check.passed) else { throw ExitCode(1) }
    }

    /// Microseconds to build one remote job's `ComparableFields` (title, salary with cents, currency), as a
    /// real connector does for every job it lists (the fake target builds 1,000 and reuses them).
    static func fieldSetCost(count: Int = 100_000) -> Double {
        let start = ContinuousClock.now
        var check = 0
        for index in 0..<count {
            let fields = ComparableFields(["title": "Engineer \(index)", "salary_max": "\(60_000 + index % 50 * 1_000).00", "currency": "EUR"])
            check &+= fields.values.count
        }
        let elapsed = (ContinuousClock.now - start).seconds
        precondition(check == 3 * count)
        return elapsed / Double(count) * 1e6
    }

    private func measure(
        _ number: Int, sqlite: SQLiteStore, store: TimingReconcileStore, connector: FakeListingTarget, target: TargetConfiguration,
        expected: Set<PlantedDataset.ExpectedFinding>, localIndex: Int
    ) async throws -> ReconcileReport.Run {
        let loadBefore = ProcessMemory.oneMinuteLoad

        // The listing on its own: what the fake target costs, to subtract from listing + diff.
        let listingStart = ContinuousClock.now
        var listed = 0
        for try await _ in connector.allJobs() { listed += 1 }
        let listing = ContinuousClock.now - listingStart
        guard listed == connector.remoteTotal else {
            throw BenchmarkError("the fake target listed \(listed) jobs, expected \(connector.remoteTotal)")
        }

        // The reconcile run. VmHWM restarts here, so each run's peak is its own (plus what earlier runs left behind).
        store.reset()
        ProcessMemory.resetPeak()
        let residentAfterLoad = Mutex<Int?>(nil)
        let runStart = ContinuousClock.now
        let runner = ReconcileRunner(store: store, connector: connector, target: target, organisationID: PlantedDataset.organisation)
        let options = ReconcileRunner.Options(actor: "bench", keep: 0, staleAfter: .seconds(600)) { progress in
            // After the first page the local index is built and one page is held.
            if progress.pagesFetched == 1 { residentAfterLoad.withLock { $0 = ProcessMemory.residentBytes } }
        }
        let outcome = try await runner.run(options)
        let total = ContinuousClock.now - runStart
        let calls = store.recorded
        let peak = ProcessMemory.peakResidentBytes

        let stored = try await store.reconcileFindings(runID: outcome.run.id)
        let check = FindingCheck(expected: expected, stored: stored, run: outcome.run, listed: listed, localIndex: localIndex)
        return ReconcileReport.Run(
            number: number, listingAlone: listing, outcome: outcome, total: total, calls: calls,
            residentAfterLoad: residentAfterLoad.withLock { $0 }, peakResident: peak, loadBefore: loadBefore, loadAfter: ProcessMemory.oneMinuteLoad, check: check
        )
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Where the database lives: a path of the caller's (kept), or a temporary folder of our own.
struct DatabaseFile {
    let path: String
    private let temporaryFolder: URL?

    init(requested: String?) throws {
        if let requested {
            path = requested
            temporaryFolder = nil
        } else {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-reconcile-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            path = folder.appendingPathComponent("reconcile.sqlite").path
            temporaryFolder = folder
        }
    }

    func existingDataset() throws -> (jobs: Int, planted: Int, layout: Int)? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let dataset = try DatasetWriter.existingDataset(at: path) else {
            throw BenchmarkError("\(path) exists but was not written by this benchmark; pass a new --db path")
        }
        return dataset
    }

    func removeTemporaryFiles() {
        if let temporaryFolder { try? FileManager.default.removeItem(at: temporaryFolder) }
    }
}
