import ArgumentParser
import AtsgateCore

extension Atsgate.Jobs {
    struct Qualify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "qualify",
            abstract: "Qualify a job: queue one submission per target and notify the company's decision makers.",
            discussion: """
            Without --target, every enabled target in connectors/ gets a row. An unknown or disabled target is an \
            error and nothing is written. Qualifying again adds no row; a job edited since it was sent gets an update.
            """
        )

        @OptionGroup var options: DecisionOptions

        @Option(name: .customLong("target"), help: ArgumentHelp("A target to send to (repeatable; default: every enabled target).", valueName: "target"))
        var targets: [TargetName] = []

        func run() async throws {
            try await options.run(.qualify, targets: targets)
        }
    }
}
