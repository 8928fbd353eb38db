import ArgumentParser
import AtsgateCore
import Foundation

extension Atsgate.Outbox {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one outbox row and every attempt, with reasons.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The outbox row's id.")
        var id: Int64

        func run() async throws {
            try await global.withStore { store in
                guard let entry = try await store.outboxEntry(id: id) else {
                    throw OperatorActionError(.notFound, "no outbox row #\(id)")
                }
                let attempts = try await store.attemptHistory(entryID: id)
                if output.json {
                    try JSONOutput.print(OutboxShowReport(row: OutboxRowReport(entry), attempts: attempts.map(AttemptReport.init)))
                    return
                }
                let lines: [(String, String)] = [
                    ("id", "\(entry.id)"), ("organisation", entry.organisationID.rawValue), ("job", entry.jobID.rawValue),
                    ("target", entry.target.rawValue), ("operation", entry.operation.rawValue), ("status", entry.status.rawValue),
                    ("attempts", "\(entry.attempts)"), ("next attempt", entry.nextAttemptAt?.isoText ?? "-"),
                    ("lease", entry.leaseOwner.map { "\($0) until \(entry.leaseExpiresAt?.isoText ?? "?")" } ?? "-"),
                    ("external id", entry.externalID ?? "-"),
                    ("job version", "\(entry.jobVersion) (target has \(entry.sentJobVersion.map(String.init) ?? "none"))"),
                    ("last error", entry.lastErrorKind.map { "\($0.rawValue): \(entry.lastErrorMessage ?? "")" } ?? "-"),
                    ("queued by", entry.submittedBy ?? "-"), ("created", entry.createdAt.isoText), ("updated", entry.updatedAt.isoText),
                    ("sent", entry.sentAt?.isoText ?? "-"),
                ]
                for (label, value) in lines {
                    print(label.padding(toLength: 13, withPad: " ", startingAt: 0) + value)
                }
                print("")
                guard !attempts.isEmpty else {
                    print("no attempts yet")
                    return
                }
                print(OutboxTable.render(attempts))
            }
        }
    }
}


