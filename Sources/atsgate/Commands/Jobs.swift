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

/// What a decision did, for people and for scripts.
struct QualificationReport: Encodable {
    struct Submission: Encodable {
        var target: String
        var change: String
        var operation: String?
        var outboxId: Int64?
        var reason: String?
    }

    struct Notification: Encodable {
        var personId: String
        var type: String
        var status: String
        var reason: String?
    }

    var organisationId: String
    var jobId: String
    var status: String
    var qualificationStatus: String
    var version: Int
    var submissions: [Submission]
    var notifications: [Notification]

    init(_ outcome: QualificationOutcome) {
        let job = outcome.job.job
        organisationId = job.organisationID.rawValue
        jobId = job.id.rawValue
        status = job.status.rawValue
        qualificationStatus = job.qualificationStatus.rawValue
        version = outcome.job.version
        submissions = outcome.submissionChanges.map { change in
            switch change {
            case let .enqueue(target, operation):
                Submission(target: target.rawValue, change: "queued", operation: operation.rawValue)
            case let .requeue(id, target, operation):
                Submission(target: target.rawValue, change: "requeued", operation: operation.rawValue, outboxId: id)
            case let .retarget(id, target, operation):
                Submission(target: target.rawValue, change: "retargeted", operation: operation.rawValue, outboxId: id)
            case let .cancel(id, target):
                Submission(target: target.rawValue, change: "cancelled", outboxId: id)
            case let .unchanged(id, target, reason):
                Submission(target: target.rawValue, change: "unchanged", outboxId: id, reason: reason)
            }
        }
        notifications = outcome.notifications.map {
            Notification(personId: $0.personID.rawValue, type: $0.type.rawValue, status: $0.status.rawValue, reason: $0.reason)
        }
    }

    var text: String {
        var lines = ["job \(jobId) (\(organisationId)): \(status), \(qualificationStatus), version \(version)"]
        if submissions.isEmpty { lines.append("  no outbox rows") }
        for submission in submissions {
            var line = "  \(submission.target): \(submission.change)"
            if let operation = submission.operation { line += " \(operation)" }
            if let id = submission.outboxId { line += " (outbox #\(id))" }
            if let reason = submission.reason { line += " — \(reason)" }
            lines.append(line)
        }
        let pending = notifications.filter { $0.status == NotificationStatus.pending.rawValue }.count
        let skipped = notifications.filter { $0.status == NotificationStatus.skipped.rawValue }
        if !notifications.isEmpty {
            lines.append("  decision-maker notifications: \(pending) queued, \(skipped.count) skipped")
            for notification in skipped {
                lines.append("    \(notification.personId): skipped — \(notification.reason ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }
}
