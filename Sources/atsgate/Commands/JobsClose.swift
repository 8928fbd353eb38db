import ArgumentParser

extension Atsgate.Jobs {
    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "close",
            abstract: "Close a job: queue a close at every target that holds it; cancel creates never sent."
        )

        @OptionGroup var options: DecisionOptions

        func run() async throws {
            try await options.run(.close)
        }
    }
}
