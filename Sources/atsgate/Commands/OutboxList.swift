public import ArgumentParser
public import AtsgateCore
import Foundation

extension Atsgate.Outbox {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List outbox rows, oldest first.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Option(help: ArgumentHelp("Only this organisation's rows (default: every organisation).", valueName: "id"))
        var organisation: String?

        @Option(help: "Only rows in this state.")
        var status: OutboxStatus?

        @Option(help: "Only rows for this target.")
        var target: TargetName?

        @Option(name: .customLong("error-kind"), help: "Only rows whose last error was of this kind.")
        var errorKind: ErrorKind?

        @Option(help: ArgumentHelp("Only rows of this job.", valueName: "job"))
        var job: String?

        @Option(help: "Show at most this many rows.")
        var limit: Int?

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let filter = OutboxFilter(
                organisationID: organisation.map(OrganisationID.init(rawValue:)),
                status: status,
                target: target,
                errorKind: errorKind,
                jobID: job.map(JobID.init(rawValue:)),
                limit: limit
            )
            try await global.withStore { store in
                let entries = try await store.outboxEntries(matching: filter)
                let health = try await store.targetHealth()
                let own = Dictionary(grouping: try await store.connections(organisationID: nil), by: \.target).mapValues { Set($0.map(\.organisationID)) }
                let now = Date()
                if output.json {
                    try JSONOutput.print(entries.map { entry in
                        var report = OutboxRowReport(entry)
                        let lane = DeliveryLane.of(entry.organisationID, to: entry.target, ownConnections: own)
                        report.targetState = (health[lane] ?? TargetHealth()).stateName(now: now)
                        return report
                    })
                    return
                }
                guard !entries.isEmpty else {
                    print("no outbox rows match")
                    return
                }
                print(OutboxTable.render(entries))
                // A paused or open target or connection explains rows that are due but not moving.
                for lane in Set(entries.map { DeliveryLane.of($0.organisationID, to: $0.target, ownConnections: own) }).sorted() {
                    let state = health[lane] ?? TargetHealth()
                    if state.stateName(now: now) != "closed" {
                        print("\(lane.organisationID == nil ? "target" : "connection") \(lane): circuit \(OutboxSummary.circuitText(state, now: now))"
                            + (state.pausedUntil.map { $0 > now ? ", paused until \($0.isoText) (rate limited)" : "" } ?? ""))
                    }
                }
            }
        }
    }
}

/// One outbox row as `outbox list --json` prints it: the stored column names, absent values as `null`.

extension OutboxStatus: ExpressibleByArgument {}
extension ErrorKind: ExpressibleByArgument {}
