import ArgumentParser
import AsyncHTTPClient
import AtsgateCore
import AtsgateHTTP
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

extension Atsgate {
    struct Reconcile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reconcile",
            abstract: "Compare local jobs with what a target holds; with --apply, repair through the outbox.",
            subcommands: [Run.self, Runs.self, Show.self],
            defaultSubcommand: Run.self
        )
    }
}

extension Atsgate.Reconcile {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Reconcile one target for one organisation (the default subcommand).",
            discussion: """
            Streams the target's jobs and classifies every difference: unsynced, missing_remote, unlinked_remote, \
            duplicate_remote, orphan_remote, drift (naming the fields), status_mismatch. A listing that did not \
            complete makes no "absent" finding (missing_remote, unsynced) and the run is stored as partial (exit 3). \
            --apply queues the repairs the target's `reconcile.repair` policy allows, in the outbox; a second \
            --apply right after adds nothing. Every run and finding is stored: see `reconcile runs` and \
            `reconcile show`. SIGINT/SIGTERM end a run as partial.
            """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var organisation: OrganisationOption
        @OptionGroup var output: OutputOptions

        @Option(help: "The target to reconcile.")
        var target: TargetName

        @Flag(help: "Queue the repairs the target's policy allows.")
        var apply = false

        @Flag(name: .customLong("fail-on-findings"), help: "Exit 1 when the run found anything.")
        var failOnFindings = false

        @Option(help: ArgumentHelp("Run again every DURATION until SIGINT/SIGTERM (e.g. 15m).", valueName: "duration"))
        var every: String?

        @Option(help: "Who applies the repairs, for the audit log (default: $USER).")
        var by: String?

        func validate() throws {
            if let every, DurationText.parse(every) == nil { throw ValidationError("--every: '\(every)' is not a duration") }
        }

        func run() async throws {
            let catalog = try global.loadTargets()
            guard let configuration = catalog[target], configuration.isEnabled else {
                throw WorkflowError.unknownTarget(target.rawValue, configured: catalog.enabledTargets)
            }
            let organisationID = try organisation.resolve()
            try await global.withStore { store in
                let client = HTTPClient.forTargets(catalog)
                do {
                    try await reconcile(configuration, organisationID: organisationID, store: store, client: client)
                    try await client.shutdown()
                } catch {
                    try? await client.shutdown()
                    throw error
                }
            }
        }

        private func reconcile(_ configuration: TargetConfiguration, organisationID: OrganisationID, store: any GatewayStore, client: HTTPClient) async throws {
            let factory = ConnectorFactory(environment: global.environment, client: client, configurationDirectory: global.configurationDirectory, store: store)
            // The organisation's own account at the target, or the target's default.
            let connection = try ConnectionResolver(keyring: try SecretKeyring(environment: global.environment)).resolve(
                try await store.connection(organisationID: organisationID, target: configuration.name), organisation: organisationID, target: configuration
            )
            guard let connector = try factory.connector(for: connection) else {
                throw ValidationError("target '\(target)' is a \(configuration.kind.rawValue) target this build cannot reconcile yet")
            }
            let runner = ReconcileRunner(store: store, connector: connector, target: connection.target, organisationID: organisationID)
            let progress: ReconcileProgressLine? = output.json || isatty(STDERR_FILENO) == 0 ? nil : ReconcileProgressLine()
            var showProgress: (@Sendable (ReconcileProgress) -> Void)?
            if let progress { showProgress = { progress.show($0) } }
            let options = ReconcileRunner.Options(apply: apply, actor: by ?? Actor.current, progress: showProgress)
            let json = output.json
            let schedule = ReconcileSchedule(
                runner: runner, options: options, every: every.flatMap { DurationText.parse($0) },
                report: { outcome in
                    progress?.clear()
                    try await ReconcileReport(outcome: outcome, store: store).print(json: json)
                }
            )
            var logger = Logger(label: "atsgate.reconcile")
            logger.logLevel = .critical
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: schedule, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            ))
            try await group.run()
            guard let last = schedule.lastOutcome else { return }
            if last.run.status != .completed { throw ExitCode(CommandFailure.Code.unreachable) }
            if failOnFindings, last.run.findingCounts.values.reduce(0, +) > 0 { throw ExitCode(CommandFailure.Code.problemsFound) }
        }
    }

    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "runs", abstract: "List stored reconcile runs, newest first.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Only this organisation's runs.")
        var organisation: String?

        @Option(help: "Only this target's runs.")
        var target: TargetName?

        @Option(help: "At most this many runs (default 20).")
        var limit: Int = 20

        func run() async throws {
            let runs = try await global.withStore { try await $0.reconcileRuns(organisationID: organisation.map { OrganisationID($0) }, target: target, limit: limit) }
            if output.json {
                try JSONOutput.print(runs.map(ReconcileRunReport.init))
                return
            }
            guard !runs.isEmpty else {
                print("no reconcile runs")
                return
            }
            var table = TextTable(["RUN", "ORGANISATION", "TARGET", "STARTED", "STATUS", "APPLIED", "REMOTE", "LOCAL", "FINDINGS"])
            for run in runs {
                table.append([
                    "\(run.id)", run.organisationID.rawValue, run.target.rawValue, run.startedAt.isoText, run.status.rawValue,
                    run.applied ? "yes" : "no", "\(run.remoteJobsListed)", "\(run.localJobsCompared)", "\(run.findingCounts.values.reduce(0, +))",
                ])
            }
            print(table.render())
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one stored run and all its findings.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The run's id (from `reconcile runs`).")
        var run: Int64

        func run() async throws {
            try await global.withStore { store in
                guard let stored = try await store.reconcileRuns(organisationID: nil, target: nil, limit: Int.max).first(where: { $0.id == run }) else {
                    throw ValidationError("there is no reconcile run \(run)")
                }
                let outcome = ReconcileOutcome(run: stored, firstFindings: [], repairedRows: 0, listingAndDiff: .zero, localLoad: .zero)
                try await ReconcileReport(outcome: outcome, store: store, allFindings: true).print(json: output.json)
            }
        }
    }
}

/// Runs reconciliation once, or every `every` until the group shuts down; a shutdown cancels
/// the run in progress, which then ends as partial.
final class ReconcileSchedule: Service, CustomStringConvertible {
    /// What service-lifecycle logs for this service: never the connector and secrets it holds.
    var description: String { "ReconcileSchedule" }

    let runner: ReconcileRunner
    let options: ReconcileRunner.Options
    let every: Duration?
    let report: @Sendable (ReconcileOutcome) async throws -> Void
    private let last = Mutex<ReconcileOutcome?>(nil)

    var lastOutcome: ReconcileOutcome? { last.withLock { $0 } }

    init(runner: ReconcileRunner, options: ReconcileRunner.Options, every: Duration?, report: @escaping @Sendable (ReconcileOutcome) async throws -> Void) {
        self.runner = runner
        self.options = options
        self.every = every
        self.report = report
    }

    /// A shutdown asks the run in progress to stop (it ends as partial, its findings and end
    /// stored) and cuts the wait before the next run short.
    func run() async throws {
        let stopping = Mutex(false)
        var options = self.options
        options.shouldStop = { stopping.withLock { $0 } }
        try await withGracefulShutdownHandler {
            repeat {
                let outcome = try await self.runner.run(options)
                self.last.withLock { $0 = outcome }
                try await self.report(outcome)
                guard let every = self.every, !stopping.withLock({ $0 }) else { return }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: every) }
            } while !stopping.withLock({ $0 })
        } onGracefulShutdown: {
            stopping.withLock { $0 = true }
        }
    }
}
