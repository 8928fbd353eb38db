import AsyncHTTPClient
import AtsgateCore
import AtsgateTesting
import Foundation
import Logging

/// One sandbox session against a running fake: every step goes through the same store,
/// planner, connectors and dispatcher as production, only in one process.
struct SandboxRun {
    struct Outcome {
        var everyJobOnce: Bool
    }

    /// An organisation with accounts of its own: its connections point at these fakes.
    struct SecondOrganisation {
        var id: OrganisationID
        var loxo: FakeLoxo
        var bullhorn: FakeBullhorn
    }

    let workspace: SandboxWorkspace
    let fake: FakeLoxo
    let bullhorn: FakeBullhorn
    /// `nil` when aiosmtpd is not installed: email is left out.
    let mailbox: SandboxMailbox?
    let store: any GatewayStore
    let catalog: TargetCatalog
    let connectors: ConnectionConnectors
    let second: SecondOrganisation
    /// Seals the second organisation's secrets: a key of this run's own, never printed.
    let keyring: SecretKeyring
    let logger: Logger

    /// Where the store lives, as `--database` would name it, for the printed hints.
    let databaseURL: String
    /// How the CRM and the operator act; set by `play`'s caller (the store, or the API).
    var driver: any SandboxDriver

    init(
        workspace: SandboxWorkspace, store: any GatewayStore, databaseURL: String, fake: FakeLoxo, bullhorn: FakeBullhorn, mailbox: SandboxMailbox?,
        environment: [String: String], secondOrganisation: SecondOrganisation
    ) throws {
        self.workspace = workspace
        self.fake = fake
        self.bullhorn = bullhorn
        self.mailbox = mailbox
        self.store = store
        self.databaseURL = databaseURL
        catalog = try TargetConfigurationLoader(configurationDirectory: workspace.directory).load()
        second = secondOrganisation
        keyring = try SecretKeyring(environment: [SecretKeyring.keyVariable: Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()])
        connectors = try ConnectionConnectors(
            catalog: catalog, factory: ConnectorFactory(environment: environment, client: .shared, configurationDirectory: workspace.directory, store: store),
            store: store, keyring: keyring
        )
        driver = StoreDriver(store: store, catalog: catalog)
        var logger = Logger(label: "atsgate.sandbox") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = ProcessInfo.processInfo.environment["ATSGATE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        self.logger = logger
    }

    func play(dataset: CRMDataset, file: URL, chosen: SandboxJobChoice) async throws -> Outcome {
        print("""
        atsgate sandbox
          fake Loxo:  \(fake.baseURL)/api/\(fake.agencySlug) (in this process, loopback only)
          fake Bullhorn: \(bullhorn.loginInfoURL) (in this process, loopback only)
          SMTP server: \(mailbox.map { "aiosmtpd on 127.0.0.1:\($0.port), messages kept in \($0.folder.path)" } ?? "none (aiosmtpd is not installed: email is left out)")
          workspace:  \(workspace.directory.path)
          database:   \(databaseURL)
          inspect it afterwards with: atsgate outbox list --config \(workspace.directory.path) --database '\(databaseURL)'
        """)

        step("import the example CRM")
        let summary = try await driver.importData(dataset, file: file)
        print("\(summary.companies.inserted) companies, \(summary.people.inserted) people, \(summary.jobs.inserted) jobs imported")

        step("qualify \(chosen.first) and deliver it: a clean run creates its company, the job and its hiring contacts at Loxo, and a ClientCorporation, a ClientContact and a JobOrder at Bullhorn (after its OAuth login)")
        try await decide(.qualify, [chosen.first], in: chosen.organisationID)
        try await deliver()
        print(OutboxTable.render(try await rows()))

        step("plant failures at both fakes, then qualify \(chosen.rest.count) more jobs and deliver them")
        print("""
        Loxo: the next write is committed and its connection dropped (no answer); then one 503, one 429 with \
        Retry-After: 1, and one 422.
        Bullhorn: the next call is a 429 (no Retry-After: Bullhorn documents a one-second wait); then the next \
        write (a company, a contact or a JobOrder) is stored and answered 500 anyway, so the connector looks it up \
        by its externalID and adopts it instead of creating it again.
        """)
        fake.script(.commitThenDropConnection, .status(503), .status(429, retryAfter: "1"), .status(422))
        bullhorn.script(.rateLimited, .persistThenFail())
        try await decide(.qualify, chosen.rest, in: chosen.organisationID)
        try await deliver()
        print(OutboxTable.render(try await rows()))

        let failed = try await rows().filter { $0.status == .failed }
        if !failed.isEmpty {
            step("an operator replays the failed row(s): atsgate outbox replay --failed")
            let replayed = try await driver.replayFailed(in: chosen.organisationID)
            print("replayed \(replayed.joined(separator: ", "))")
            try await deliver()
        }

        step("close \(chosen.first) in the CRM: the close reaches both targets through the same outbox rows")
        print("meanwhile the Bullhorn session has expired: the close is refused with 401, the session renewed, and the close sent again")
        bullhorn.expireSessions()
        try await decide(.close, [chosen.first], in: chosen.organisationID)
        try await deliver()

        step("\(second.id) delivers to accounts of its own: its connections (atsgate connections set) name another Loxo agency and another Bullhorn API user, secrets sealed")
        try await connectSecondOrganisation()
        let secondJobs = openJobs(of: second.id, in: dataset, count: 2)
        let atsTargets = catalog.enabledTargets.filter { name in catalog[name].map { $0.kind == .loxo || $0.kind == .bullhorn } ?? false }
        try await decide(.qualify, secondJobs, in: second.id, targets: atsTargets)
        try await deliver()
        print("\(second.loxo.agencySlug) holds \(second.loxo.jobs.count) job(s); \(second.bullhorn.configuration.username) at the second Bullhorn holds \(second.bullhorn.jobOrders.count) JobOrder(s)")

        step("the outbox at the end, and the attempts of every row that needed more than one")
        let final = try await rows()
        print(OutboxTable.render(final))
        for entry in final {
            let history = try await store.attemptHistory(entryID: entry.id)
            guard history.count > 1 || entry.status != .sent else { continue }
            print("\nattempts of #\(entry.id) (\(entry.jobID)):")
            print(OutboxTable.render(history))
        }

        step("what the fake Loxo holds")
        print(SandboxReport.loxoContents(fake))
        step("what the fake Bullhorn holds")
        print(SandboxReport.bullhornContents(bullhorn))

        let targets = SandboxReport.check(fake: fake, bullhorn: bullhorn, organisationID: chosen.organisationID, jobs: chosen.all, closed: chosen.first)
        var check = SandboxReport.Check(passed: true, text: mailbox == nil ? "email: left out (aiosmtpd is not installed)" : "")
        if let mailbox {
            step("what the SMTP server received")
            let messages = mailbox.messages
            print(SandboxReport.mailboxContents(messages))
            check = SandboxReport.checkMail(messages, organisationID: chosen.organisationID, jobs: chosen.all)
        }
        check.add(SandboxReport.checkSeparation(
            first: (chosen.organisationID, fake, bullhorn), second: (second.id, second.loxo, second.bullhorn), secondJobs: secondJobs
        ))
        // The targets' line comes last: scripts read it.
        check.add(targets)
        step("check")
        print(check.text)
        return Outcome(everyJobOnce: check.passed)
    }

    private func openJobs(of organisation: OrganisationID, in dataset: CRMDataset, count: Int) -> [JobID] {
        let open: [Job] = dataset.jobs.map(\.value).filter { (job: Job) in
            job.organisationID == organisation && job.status == .open && job.qualificationStatus == .new
        }
        let ids: [JobID] = open.map(\.id).sorted()
        return Array(ids.prefix(count))
    }

    /// Stores the second organisation's connections to the Loxo and Bullhorn targets, as
    /// `atsgate connections set` would: endpoints in clear, secrets sealed.
    private func connectSecondOrganisation() async throws {
        let tenant = second.bullhorn.configuration
        for name in catalog.enabledTargets {
            guard let target = catalog[name] else { continue }
            let document: String
            switch target.kind {
            case .loxo:
                document = "base_url: \(second.loxo.baseURL)\nagency_slug: \(second.loxo.agencySlug)\napi_key: \(second.loxo.apiKey)\n"
            case .bullhorn:
                document = """
                    login_info_url: \(second.bullhorn.loginInfoURL)
                    redirect_uri: \(tenant.redirectURI)
                    client_id: \(tenant.clientID)
                    client_secret: \(tenant.clientSecret)
                    username: \(tenant.username)
                    password: \(tenant.password)

                    """
            case .email, .webhook:
                continue
            }
            let draft = try ConnectionDocument.parse(document, for: target, file: "sandbox connection")
            var sealed: [String: SealedSecret] = [:]
            for (key, secret) in draft.inlineSecrets {
                sealed[key] = try keyring.seal(secret, name: key, of: "\(second.id.rawValue)/\(name.rawValue)")
            }
            try await store.saveConnection(
                StoredConnection(organisationID: second.id, target: name, kind: target.kind, settings: draft.settings, secrets: sealed, updatedAt: Date()),
                changedKeys: Array(draft.settings.keys).sorted() + Array(sealed.keys).sorted(), actor: "sandbox-operator"
            )
            print("connection \(second.id.rawValue)/\(name.rawValue) set: \(target.kind == .loxo ? second.loxo.agencySlug : tenant.username) (secrets sealed)")
        }
    }

    private func decide(_ decision: QualificationDecision, _ jobs: [JobID], in organisationID: OrganisationID, targets: [TargetName] = []) async throws {
        for job in jobs {
            try await driver.decide(decision, job: job, in: organisationID, targets: targets)
        }
        print("\(decision == .close ? "closed" : "qualified") \(jobs.map(\.rawValue).joined(separator: ", "))")
    }

    private func rows() async throws -> [OutboxEntry] {
        try await store.outboxEntries(matching: OutboxFilter())
    }

    /// Runs the worker until nothing is due, waiting out retries due within the next half minute,
    /// the way `atsgate worker` would keep going.
    private func deliver() async throws {
        let giveUp = Date().addingTimeInterval(60)
        while Date() < giveUp {
            let dispatcher = OutboxDispatcher(
                store: store, catalog: catalog, directory: connectors,
                configuration: .init(
                    workerID: "sandbox-worker", pollInterval: .milliseconds(200), untilIdle: true, shutdownGrace: .seconds(5),
                    notificationTarget: catalog.enabledTargets.first { catalog[$0]?.kind == .email }
                ),
                redactor: SecretRedactor(secrets: []), jitter: JitterSource(seed: 7), logger: logger
            )
            try await dispatcher.run()
            guard let due = try await store.nextDueDate(targets: catalog.enabledTargets, includeNotifications: mailbox != nil),
                  due.timeIntervalSinceNow < 30
            else { return }
            try await Task.sleep(for: .milliseconds(max(50, Int(due.timeIntervalSinceNow * 1_000) + 50)))
        }
    }

    private func step(_ title: String) {
        print("\n\u{1B}[1m== \(title)\u{1B}[0m")
    }
}
