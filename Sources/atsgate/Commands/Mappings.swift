import ArgumentParser

extension Atsgate {
    struct Mappings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mappings",
            abstract: "Check the mapping files, or preview what a target would receive for a job.",
            subcommands: [Check.self, Preview.self]
        )
    }
}
