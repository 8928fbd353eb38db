import ArgumentParser

extension Atsgate {
    struct Connectors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "connectors",
            abstract: "The configured targets and their health.",
            subcommands: [Status.self, Check.self]
        )
    }
}
