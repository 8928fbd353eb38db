import ArgumentParser
import AtsgateCore
import Foundation
import Logging

/// Delivers jobs to an in-process fake Loxo on a bad day, through the real outbox, dispatcher and
/// Loxo connector with the shipped target settings, on the real clock.
@main
struct DegradedBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "degraded-benchmark",
        abstract: "Delivery to a Loxo-style target that fails: fault-free, 20 % of writes answered 503, down for minutes.",
        discussion: """
        Each phase imports and qualifies JOBS fresh jobs into a fresh SQLite database, starts a fresh \
        in-process FakeLoxo, and runs OutboxDispatcher with the LoxoConnector and connectors/loxo.yaml's \
        settings until every row is sent. Prints a markdown summary; progress goes to stderr.
        """
    )

    /// The repository this benchmark was built from: `Benchmarks/Sources/degraded-benchmark/` is three folders down.
    static let repository = URL(filePath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Option(help: "Jobs per phase.")
    var jobs = 200

    @Option(help: "Companies the jobs are spread over (each with a decision maker and a hiring manager).")
    var companies = 20

    @Option(help: "How long the target is down in phase 3, from the phase's start (e.g. 60s, 5m).")
    var outage = "5m"

    @Option(parsing: .upToNextOption, help: "Phases to run: \(PhaseKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: all three).")
    var phase: [PhaseKind] = PhaseKind.allCases

    @Option(help: "Seed of the fake's error draws and of the backoff jitter.")
    var seed: UInt64 = 42

    @Option(help: "Give a phase up after this long (e.g. 30m).")
    var phaseTimeout = "30m"

    @Option(help: "The folder holding connectors/loxo.yaml and mappings/ (default: the repository this was built from).")
    var configDir: String?

    @Option(help: "Keep each phase's database in this folder (PHASE.sqlite; must not exist yet). Default: temporary, removed.")
    var dbFolder: String?

    @Option(help: "The dispatcher's log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "warning"

    func validate() throws {
        guard jobs > 0 else { throw ValidationError("--jobs must be positive") }
        guard companies > 0 else { throw ValidationError("--companies must be positive") }
        guard DurationText.parse(outage) != nil else { throw ValidationError("--outage: '\(outage)' is not a duration") }
        guard DurationText.parse(phaseTimeout) != nil else { throw ValidationError("--phase-timeout: '\(phaseTimeout)' is not a duration") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: '\(logLevel)' is not a level") }
        guard !phase.isEmpty else { throw ValidationError("--phase needs at least one phase") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let configurationDirectory = configDir.map { URL(filePath: $0) } ?? Self.repository
        let outage = DurationText.parse(outage) ?? .seconds(300)
        let timeout = DurationText.parse(phaseTimeout) ?? .seconds(1_800)
        let dataset = DegradedDataset(jobs: jobs, companies: companies)
        let folder = try DatabaseFolder(requested: dbFolder)
        defer { folder.removeIfTemporary() }

        let target = try LoxoBenchmarkTarget.shipped(configurationDirectory: configurationDirectory)
        print(DegradedReport.header(target: target, dataset: dataset, outage: outage, seed: seed))

        var results: [PhaseResult] = []
        for kind in PhaseKind.allCases where phase.contains(kind) {
            let phase = DegradedPhase(
                kind: kind, dataset: dataset, configurationDirectory: configurationDirectory,
                databasePath: try folder.path(for: kind), outage: outage, seed: seed, timeout: timeout,
                logger: Logger(label: "degraded-bench.\(kind.rawValue)")
            )
            results.append(try await phase.run())
        }
        print(DegradedReport.results(results))
        let outageResult = results.first { $0.kind == .outage }
        let analysis = outageResult.flatMap(OutageAnalysis.init)
        if let outageResult, let analysis {
            print(DegradedReport.outage(outageResult, analysis: analysis, coolDown: target.circuitBreaker.coolDown))
        }
        print(DegradedReport.goals(GoalCheck.all(results: results, outage: analysis, coolDown: target.circuitBreaker.coolDown)))
    }
}

extension GoalCheck {
    static func all(results: [PhaseResult], outage: OutageAnalysis?, coolDown: Duration) -> [GoalCheck] {
        let faultFree = results.first { $0.kind == .faultFree }
        let writeErrors = results.first { $0.kind == .writeErrors }
        var goals: [GoalCheck] = []

        let times = (faultFree?.wallSeconds, writeErrors?.wallSeconds)
        if case let (baseline?, degraded?) = times {
            goals.append(GoalCheck(
                goal: "phase 2 time ≤ 1.5 × phase 1 time",
                measured: String(format: "%.1f s vs 1.5 × %.1f s = %.1f s (%.2f ×)", degraded, baseline, 1.5 * baseline, degraded / baseline),
                met: degraded <= 1.5 * baseline
            ))
        } else {
            goals.append(GoalCheck(goal: "phase 2 time ≤ 1.5 × phase 1 time", measured: "needs phases 1 and 2 with every row sent", met: nil))
        }
        for result in results {
            goals.append(GoalCheck(
                goal: "phase \(result.kind.title): no duplicate at the fake, every row sent",
                measured: "\(result.fake.duplicates) duplicates, \(result.notSent) rows not sent",
                met: result.fake.duplicates == 0 && result.notSent == 0
            ))
        }
        guard let outage else { return goals }
        goals.append(GoalCheck(
            goal: "phase 3: during the outage, at most one attempt per row besides probes",
            measured: "\(outage.attemptsDuringOutage) attempts on \(outage.rowsAttemptedDuringOutage) rows; "
                + "besides probes at most \(outage.maxAttemptsPerRowBesideProbes) per row",
            met: outage.maxAttemptsPerRowBesideProbes <= 1
        ))
        goals.append(GoalCheck(
            goal: "phase 3: at most one probe per cool-down during the outage",
            measured: "\(outage.probesDuringOutage) probes, \(outage.coolDownsEndedDuringOutage) cool-downs over before the return",
            met: outage.probesDuringOutage <= outage.coolDownsEndedDuringOutage
        ))
        let limit = coolDown.timeInterval
        goals.append(GoalCheck(
            goal: "phase 3: everything delivered within one cool_down (\(DurationText.format(coolDown))) of the return",
            measured: outage.recoverySeconds.map { String(format: "%.1f s (%.1f × the cool_down)", $0, $0 / limit) } ?? "not all sent",
            met: outage.recoverySeconds.map { $0 <= limit } ?? false
        ))
        return goals
    }
}

/// Where the phases keep their databases.
struct DatabaseFolder {
    let url: URL
    private let isTemporary: Bool

    init(requested: String?) throws {
        if let requested {
            url = URL(filePath: requested)
            isTemporary = false
        } else {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-degraded-\(UUID().uuidString)")
            isTemporary = true
        }
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(for kind: PhaseKind) throws -> String {
        let path = url.appendingPathComponent("\(kind.rawValue).sqlite").path
        guard !FileManager.default.fileExists(atPath: path) else {
            throw BenchmarkError("\(path) exists; each phase needs a fresh database (pass a new --db-folder)")
        }
        return path
    }

    func removeIfTemporary() {
        if isTemporary { try? FileManager.default.removeItem(at: url) }
    }
}
