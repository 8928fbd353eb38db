import ArgumentParser

extension Atsgate {
    struct Outbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "outbox",
            abstract: "Inspect the outbox: one row per (job, target).",
            subcommands: [List.self, Show.self, Replay.self, Cancel.self]
        )
    }
}
