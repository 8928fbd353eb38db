import ArgumentParser
@testable import atsgate
import Testing

/// Every command names itself: without a `commandName`, ArgumentParser derives the name with
/// `String(describing:)` of the type, whose dynamic casts scan every protocol conformance in the
/// binary — over half of the CLI's start-up time.
@Suite("Command names")
struct CommandNameTests {
    @Test("Every command in the tree has an explicit commandName")
    func everyCommandIsNamed() {
        var unnamed: [String] = []
        var queue: [any ParsableCommand.Type] = [Atsgate.self]
        while let command = queue.popLast() {
            if command.configuration.commandName == nil { unnamed.append("\(command)") }
            queue += command.configuration.subcommands
        }
        #expect(unnamed.isEmpty, "unnamed: \(unnamed)")
    }
}
