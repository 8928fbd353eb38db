import ArgumentParser

extension Atsgate {
    struct Connectors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The configured targets and their health.",
            subcommands: [Status.self, Check.self]
        )
    }
}
