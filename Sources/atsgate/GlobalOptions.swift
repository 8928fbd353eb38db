public import ArgumentParser
public import AtsgateCore
import Foundation
import Logging

/// Options every command shares (DESIGN "Contracts").
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The database: a file path, sqlite:PATH or postgres://USER@HOST:PORT/DB (env ATSGATE_DATABASE; default ./atsgate.sqlite).",
        valueName: "url"
    ))
    var database: String?

    @Option(help: ArgumentHelp(
        "The folder holding connectors/ and mappings/ (env ATSGATE_CONFIG; default: the current folder).",
        valueName: "dir"
    ))
    var config: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var databaseURL: String { database ?? environment["ATSGATE_DATABASE"] ?? "./atsgate.sqlite" }

    var configurationDirectory: URL {
        URL(fileURLWithPath: config ?? environment["ATSGATE_CONFIG"] ?? FileManager.default.currentDirectoryPath, isDirectory: true)
    }

    /// Opens the store named by `--database` for `body`, its schema brought up to date.
    func withStore<Result: Sendable>(_ body: (any GatewayStore) async throws -> Result) async throws -> Result {
        try await StoreLocation(url: databaseURL, environment: environment).withStore(logger: Logger(label: "atsgate.store"), body)
    }

    func loadTargets() throws -> TargetCatalog {
        try TargetConfigurationLoader(configurationDirectory: configurationDirectory).load()
    }
}

/// `--organisation ID`, for commands that act on one tenant.
struct OrganisationOption: ParsableArguments {
    @Option(help: ArgumentHelp("The organisation (tenant) to act on (env ATSGATE_ORGANISATION).", valueName: "id"))
    var organisation: String?

    func resolve() throws -> OrganisationID {
        guard let id = organisation ?? ProcessInfo.processInfo.environment["ATSGATE_ORGANISATION"], !id.isEmpty else {
            throw ValidationError("--organisation is required (or set ATSGATE_ORGANISATION)")
        }
        return OrganisationID(id)
    }
}

/// `--json`: machine-readable output only.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table.")
    var json = false
}

extension TargetName: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(rawValue: argument)
    }
}
