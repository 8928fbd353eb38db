import ArgumentParser
import AtsgateCore
import Foundation

extension Atsgate {
    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "jobs",
            abstract: "The qualification workflow: qualify, skip or close a job.",
            subcommands: [Qualify.self, Skip.self, Close.self]
        )
    }
}

/// Options shared by `jobs qualify | skip | close`.
struct DecisionOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @OptionGroup var organisation: OrganisationOption
    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("The job's CRM id.", valueName: "job"))
    var job: String

    @Option(help: "Who decided, for the audit log (default: $USER).")
    var by: String?

    @Option(help: "A note for the audit log.")
    var note: String?

    /// Runs one decision: the job's change, its outbox rows, notifications and audit entry commit together.
    func run(_ decision: QualificationDecision, targets: [TargetName] = []) async throws {
        let command = QualificationCommand(
            organisationID: try organisation.resolve(),
            jobID: JobID(job),
            decision: decision,
            targets: targets,
            actor: by ?? Actor.current,
            note: note
        )
        let catalog = try global.loadTargets()
        let planner = QualificationPlanner(catalog: catalog, now: Date())
        try await global.withStore { store in
            if decision == .qualify {
                try await WorkflowError.checkConnections(of: command.organisationID, to: targets, catalog: catalog, store: store)
            }
            let outcome = try await store.apply(command, planner: planner)
            if output.json {
                try JSONOutput.print(QualificationReport(outcome))
            } else {
                print(QualificationReport(outcome).text)
            }
        }
    }
}

