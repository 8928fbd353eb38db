import ArgumentParser
import Foundation

@main
struct Atsgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atsgate",
        abstract: "Sync gateway between a recruiting CRM and applicant tracking systems.",
        discussion: """
        Exit codes: 0 success, 1 the work found problems, 2 usage or input error, \
        3 a target or the database unreachable.
        """,
        version: BuildInfo.text,
        subcommands: [
            Serve.self, APIKeys.self, Migrate.self, Import.self, Jobs.self, Outbox.self, Worker.self, Reconcile.self, Connectors.self, Connections.self, Secrets.self,
            Mappings.self, Sandbox.self,
        ]
    )

    /// Runs the command and maps every failure to the exit codes of DESIGN "Contracts".
    static func main() async {
        // A worker that exits between a notifier's open() and write() must not kill the notifier.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let failure = CommandFailure(error, command: Self.self)
            if !failure.message.isEmpty {
                let stream = failure.exitCode == 0 ? FileHandle.standardOutput : FileHandle.standardError
                stream.write(Data((failure.message + "\n").utf8))
            }
            Foundation.exit(failure.exitCode)
        }
    }
}
