import ArgumentParser

extension Atsgate.Jobs {
    struct Skip: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "skip",
            abstract: "Skip a job: queue nothing, and cancel creates not yet sent."
        )

        @OptionGroup var options: DecisionOptions

        func run() async throws {
            try await options.run(.skip)
        }
    }
}
