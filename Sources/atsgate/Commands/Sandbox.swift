import ArgumentParser
import AsyncHTTPClient
import AtsgateCore
import AtsgateTesting
import Foundation
import Logging

extension Atsgate {
    struct Sandbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sandbox",
            abstract: "Run the gateway end to end against a fake Loxo, a fake Bullhorn and a real SMTP server on loopback, with planted failures, and show what happened.",
            discussion: """
            Starts the fake Loxo (ATS_APIS.md part A) and the fake Bullhorn (part B) on 127.0.0.1, writes a \
            throwaway configuration pointing at them, imports the example CRM, qualifies jobs, and delivers \
            them to both with the real worker: first one job cleanly, then the rest while the fake Loxo drops a \
            connection after committing, answers 503 and 429, and refuses one request, and the fake Bullhorn \
            answers 429 and stores a JobOrder yet answers 500. A failed row is replayed as an operator would; \
            the Bullhorn session expires before a job is closed. A second organisation (org-bluepeak) then \
            delivers through connections of its own, to another fake Loxo agency and another Bullhorn API user, \
            and the check says whether anything crossed between the two. When Python's aiosmtpd is installed, an email \
            target mails each job to a desk address and tells the decision makers, through a real SMTP server \
            on loopback. At the end it prints the outbox, the attempts of every row that needed more than one, \
            what the fakes hold and what the mailbox received — and exits 1 if any qualified job is not at \
            each target exactly once.
            """
        )

        @Option(help: ArgumentHelp("Where to write the throwaway configuration and database (default: a new temporary folder).", valueName: "dir"))
        var directory: String?

        @Option(help: ArgumentHelp(
            "The CRM export to import (default: examples/crm.json here, else the one installed with atsgate).", valueName: "file"
        ))
        var data: String?

        @Option(help: ArgumentHelp(
            "The database (default: a SQLite file in the workspace). A postgres:// URL without ?schema= gets a new schema of its own, sandbox_<random>, so earlier runs never mix in.",
            valueName: "url"
        ))
        var database: String?

        @Option(help: "The organisation whose jobs are qualified.")
        var organisation: String = "org-northwind"

        @Option(help: "How many open jobs to qualify.")
        var jobs: Int = 6

        @Option(help: ArgumentHelp(
            "The folder holding mappings/ (env ATSGATE_CONFIG; default: the current folder, else the mappings installed with atsgate).",
            valueName: "dir"
        ))
        var config: String?

        @Flag(help: "Drive the demo through the HTTP API of an in-process `atsgate serve`, print the admin page's URL, and keep serving until Ctrl-C.")
        var serve = false

        @Option(help: ArgumentHelp("With --serve: where the API listens (default 127.0.0.1:8080).", valueName: "host:port"))
        var listen: String = "127.0.0.1:8080"

        func validate() throws {
            if serve, ListenAddress(listen) == nil { throw ValidationError("--listen: '\(listen)' is not HOST:PORT") }
            guard (2...50).contains(jobs) else { throw ValidationError("--jobs must be between 2 and 50") }
        }

        func run() async throws {
            let workspace = try SandboxWorkspace.create(at: directory, copyingMappingsFrom: configurationDirectory)
            let dataFile = URL(fileURLWithPath: data ?? InstalledFiles.locate(Self.exampleData)?.path ?? Self.exampleData)
            let records = try ImportFileReader().records(fromFileAt: dataFile.path)
            let dataset = try DatasetParser().parse(records)
            let chosen = try SandboxJobChoice(dataset: dataset, organisation: OrganisationID(organisation), count: jobs)
            let apiKey = "sandbox-\(UUID().uuidString)"
            let bullhornTenant = FakeBullhorn.Configuration(clientSecret: "sandbox-\(UUID().uuidString)", password: "sandbox-\(UUID().uuidString)")

            let mailbox = await SandboxMailbox.start(in: workspace.directory)
            defer { mailbox?.stop() }
            if let mailbox { try workspace.writeEmailTarget(port: mailbox.port) }
            // The second organisation's own accounts: another Loxo agency, another Bullhorn API user.
            let secondTenant = FakeBullhorn.Configuration(
                clientID: "bluepeak-client", clientSecret: "sandbox-\(UUID().uuidString)", username: "bluepeak.api", password: "sandbox-\(UUID().uuidString)"
            )
            let outcome = try await FakeLoxo.withRunning(agencySlug: "sandbox-agency", apiKey: apiKey) { fake in
                try await FakeLoxo.withRunning(agencySlug: "bluepeak-agency", apiKey: "sandbox-\(UUID().uuidString)") { secondLoxo in
                try await FakeBullhorn.withRunning(configuration: secondTenant) { secondBullhorn in
                try await FakeBullhorn.withRunning(configuration: bullhornTenant) { bullhorn in
                    try workspace.writeLoxoTarget(baseURL: fake.baseURL, agencySlug: fake.agencySlug)
                    try workspace.writeBullhornTarget(loginInfoURL: bullhorn.loginInfoURL, redirectURI: bullhorn.configuration.redirectURI)
                    // The secrets reach the connector the way the environment would bring them; they are never printed.
                    let environment = [SandboxWorkspace.loxoKeyVariable: apiKey].merging(SandboxWorkspace.bullhornEnvironment(bullhorn.configuration)) { _, new in new }
                    let databaseURL = Self.sandboxDatabase(database, workspace: workspace)
                    return try await StoreLocation(url: databaseURL, environment: ProcessInfo.processInfo.environment).withStore(logger: Logger(label: "atsgate.store")) { store in
                        let run = try SandboxRun(
                            workspace: workspace, store: store, databaseURL: databaseURL, fake: fake, bullhorn: bullhorn, mailbox: mailbox, environment: environment,
                            secondOrganisation: SandboxRun.SecondOrganisation(id: OrganisationID(Self.secondOrganisation), loxo: secondLoxo, bullhorn: secondBullhorn)
                        )
                        guard serve, let address = ListenAddress(listen) else {
                            return try await run.play(dataset: dataset, file: dataFile, chosen: chosen)
                        }
                        return try await SandboxServer(run: run, address: address).play(dataset: dataset, file: dataFile, chosen: chosen)
                    }
                }
                }
                }
            }
            guard outcome.everyJobOnce else { throw ExitCode(CommandFailure.Code.problemsFound) }
        }

        static let exampleData = "examples/crm.json"
        /// The organisation that delivers through connections of its own.
        static let secondOrganisation = "org-bluepeak"

        /// `--database`, with a fresh schema for a PostgreSQL URL that names none; else the workspace's SQLite file.
        static func sandboxDatabase(_ database: String?, workspace: SandboxWorkspace) -> String {
            guard let database else { return workspace.databasePath }
            guard database.hasPrefix("postgres://") || database.hasPrefix("postgresql://"), !database.contains("schema=") else { return database }
            let schema = "sandbox_\(UUID().uuidString.prefix(8).lowercased())"
            return database + (database.contains("?") ? "&" : "?") + "schema=\(schema)"
        }

        /// `--config`, else `ATSGATE_CONFIG`, else the current folder when it holds `mappings/`, else
        /// the configuration installed beside the binary.
        private var configurationDirectory: URL {
            if let chosen = config ?? ProcessInfo.processInfo.environment["ATSGATE_CONFIG"] {
                return URL(fileURLWithPath: chosen, isDirectory: true)
            }
            let mappings = InstalledFiles.locate("mappings/loxo.yaml")
            return mappings?.deletingLastPathComponent().deletingLastPathComponent() ?? URL(fileURLWithPath: ".", isDirectory: true)
        }
    }
}

/// Which jobs the sandbox qualifies: open, undecided jobs of one organisation, the first two of
/// the same company (so the second one's create is the first request of its delivery).
struct SandboxJobChoice {
    var organisationID: OrganisationID
    var first: JobID
    var rest: [JobID]

    init(dataset: CRMDataset, organisation: OrganisationID, count: Int) throws {
        let open: [Job] = dataset.jobs.map(\.value)
            .filter { (job: Job) in job.organisationID == organisation && job.status == .open && job.qualificationStatus == .new }
            .sorted { (left: Job, right: Job) in left.id < right.id }
        let byCompany: [CompanyID: [Job]] = Dictionary(grouping: open) { (job: Job) in job.companyID }
        let pairs: [[Job]] = byCompany.values.filter { $0.count >= 2 }
        guard let pair = pairs.min(by: { $0[0].id < $1[0].id }) else {
            throw ValidationError("organisation '\(organisation)' has no company with two open, undecided jobs to play with")
        }
        organisationID = organisation
        first = pair[0].id
        let others: [JobID] = open.map(\.id).filter { $0 != pair[0].id && $0 != pair[1].id }
        rest = [pair[1].id] + others.prefix(count - 2)
    }

    var all: [JobID] { [first] + rest }
}
