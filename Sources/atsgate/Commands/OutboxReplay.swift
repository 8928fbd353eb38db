import ArgumentParser
import AtsgateCore
import Foundation

extension Atsgate.Outbox {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Move failed rows back to pending, with a fresh attempt budget; their history stays.",
            discussion: """
            Name rows by id, or select with --failed and filters. Only failed rows are replayed: naming a row \
            in any other state (a sent row above all) replays nothing and exits 2. Each replayed row is recorded \
            in the audit log.
            """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The outbox rows to replay.")
        var ids: [Int64] = []

        @Flag(help: "Replay every failed row matching the filters.")
        var failed = false

        @Option(help: "With --failed: only rows for this target.")
        var target: TargetName?

        @Option(name: .customLong("error-kind"), help: "With --failed: only rows whose last error was of this kind.")
        var errorKind: ErrorKind?

        @Option(help: "With --failed: only rows that failed since TIME (ISO-8601, or a duration ago such as 2h).")
        var since: String?

        @Flag(name: .customLong("dry-run"), help: "Print what would be replayed, and how many, without changing anything.")
        var dryRun = false

        @Option(help: "Who is replaying, for the audit log (default: $USER).")
        var by: String?

        func validate() throws {
            if failed == !ids.isEmpty {
                throw ValidationError("name rows by id or use --failed, not both and not neither")
            }
            if !failed, target != nil || errorKind != nil || since != nil {
                throw ValidationError("--target, --error-kind and --since select rows together with --failed")
            }
            if let since, OperatorTime.parse(since, now: Date()) == nil {
                throw ValidationError("--since: '\(since)' is neither an ISO-8601 time nor a duration such as 2h")
            }
        }

        func run() async throws {
            let now = Date()
            let selection: ReplaySelection = failed
                ? .failed(target: target, errorKind: errorKind, failedSince: since.flatMap { OperatorTime.parse($0, now: now) })
                : .ids(ids)
            try await global.withStore { store in
                let rows = try await store.replay(selection, dryRun: dryRun, actor: by ?? Actor.current, now: now)
                if output.json {
                    try JSONOutput.print(OperatorActionReport(dryRun: dryRun, count: rows.count, rows: rows.map(OutboxRowReport.init)))
                    return
                }
                print("\(dryRun ? "would replay" : "replayed") \(rows.count) row\(rows.count == 1 ? "" : "s")")
                for row in rows {
                    print("  #\(row.id) \(row.jobID) → \(row.target) \(row.operation.rawValue): \(row.lastErrorKind?.rawValue ?? "-"): \(row.lastErrorMessage ?? "")")
                }
            }
        }
    }
}


/// Times operators type: an ISO-8601 instant, or a duration meaning "that long ago".
enum OperatorTime {
    static func parse(_ text: String, now: Date) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return DurationText.parse(text).map { now.addingTimeInterval(-$0.timeInterval) }
    }
}
