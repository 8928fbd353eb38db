import ArgumentParser
import AtsgateCore
import Foundation

extension Atsgate.Outbox {
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel",
            abstract: "Cancel pending or failed rows. In-flight, sent and cancelled rows are refused (exit 2) and nothing changes."
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The outbox rows to cancel.")
        var ids: [Int64]

        @Option(help: "Who is cancelling, for the audit log (default: $USER).")
        var by: String?

        func run() async throws {
            let rows = try await global.withStore { try await $0.cancel(ids: ids, actor: by ?? Actor.current, now: Date()) }
            if output.json {
                try JSONOutput.print(OperatorActionReport(dryRun: false, count: rows.count, rows: rows.map(OutboxRowReport.init)))
                return
            }
            print("cancelled \(rows.count) row\(rows.count == 1 ? "" : "s")")
            for row in rows {
                print("  #\(row.id) \(row.jobID) → \(row.target) \(row.operation.rawValue) (was \(row.status.rawValue))")
            }
        }
    }
}
