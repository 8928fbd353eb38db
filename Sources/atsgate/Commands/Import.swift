import ArgumentParser
import AtsgateCore
import Foundation

extension Atsgate {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import CRM data from JSON or per-entity CSV files, all in one transaction.",
            discussion: """
            JSON: {"organisations":[…],"companies":[…],"people":[…],"associations":[…],"jobs":[…]}. \
            CSV: one file per entity, named organisations.csv, companies.csv, people.csv, associations.csv or jobs.csv. \
            Rows are inserted or updated by their CRM id; nothing is deleted. Importing the same data twice changes \
            nothing. If any row is invalid, every problem is listed and nothing is stored (exit 2).
            """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Who is importing, for the audit log (default: $USER).")
        var by: String?

        @Argument(help: ArgumentHelp("The files to import.", valueName: "file"))
        var files: [String]

        func run() async throws {
            var records: [ImportRecord] = []
            var issues: [ImportIssue] = []
            let reader = ImportFileReader()
            for file in files {
                do {
                    records += try reader.records(fromFileAt: file)
                } catch {
                    issues += error.issues
                }
            }
            guard issues.isEmpty else { throw ImportError(issues: issues) }
            let dataset = try DatasetParser().parse(records)
            try await global.withStore { store in
                let planner = QualificationPlanner(catalog: try global.loadTargets(), now: Date())
                let summary = try await store.importDataset(dataset, planner: planner, actor: by ?? Actor.current)

                if output.json {
                    try JSONOutput.print(summary)
                    return
                }
                var table = TextTable(["ENTITY", "INSERTED", "UPDATED", "UNCHANGED"])
                for (name, counts) in [
                    ("organisations", summary.organisations), ("companies", summary.companies), ("people", summary.people),
                    ("associations", summary.associations), ("jobs", summary.jobs),
                ] {
                    table.append([name, "\(counts.inserted)", "\(counts.updated)", "\(counts.unchanged)"])
                }
                print(table.render())
                if summary.queuedSubmissions > 0 {
                    print("\(summary.queuedSubmissions) outbox row(s) queued because jobs that targets hold were edited")
                }
                if !summary.changedAnything {
                    print("nothing changed")
                }
            }
        }
    }
}

/// Who runs a command, for audit entries: `--by`, else the login name.
enum Actor {
    static var current: String {
        let environment = ProcessInfo.processInfo.environment
        return environment["USER"] ?? environment["LOGNAME"] ?? "cli"
    }
}
