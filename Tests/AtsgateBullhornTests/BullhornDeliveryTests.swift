import AtsgateBullhorn
import AtsgateCore
import AtsgateSQLite
import AtsgateTesting
import Foundation
import Testing

/// The dispatcher, the SQLite outbox (also the credential store) and the Bullhorn connector together
/// against a fake Bullhorn that fails often — stored-then-failed writes, dropped connections, 429s,
/// 503s and sessions ending mid-run: every qualified job ends up at Bullhorn exactly once.
@Suite("Bullhorn deliveries through the outbox under faults", .timeLimit(.minutes(2)))
struct BullhornDeliveryTests {
    @Test("Every job once, every company and contact once, one password login")
    func faultyTarget() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bullhorn-delivery-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore.open(path: folder.appendingPathComponent("atsgate.sqlite").path)

        try await FakeBullhorn.withRunning { fake in
            let settings = TargetConfiguration.BullhornSettings(
                loginInfoURL: fake.loginInfoURL, clientIDEnvironmentVariable: "BH_ID", clientSecretEnvironmentVariable: "BH_SECRET",
                usernameEnvironmentVariable: "BH_USER", passwordEnvironmentVariable: "BH_PASSWORD"
            )
            let target = TargetConfiguration(
                name: "bullhorn", settings: .bullhorn(settings),
                retry: RetrySettings(maxAttempts: 40, baseDelay: .milliseconds(5), maxDelay: .milliseconds(40), maxAge: .seconds(600)),
                rateLimit: RateLimitSettings(requestsPerSecond: 10_000, burst: 1_000),
                concurrency: 4, timeout: .seconds(5),
                circuitBreaker: CircuitBreakerSettings(minimumRequests: 1_000, coolDown: .milliseconds(10))
            )
            let catalog = TargetCatalog([target])
            let records = try ImportFileReader().records(fromFileAt: BullhornFixture.repository.appendingPathComponent("examples/crm.json").path)
            let planner = QualificationPlanner(catalog: catalog, now: Date())
            _ = try await store.importDataset(try DatasetParser().parse(records), planner: planner, actor: "test")
            var qualified: [JobID] = []
            for job in (1...24).map({ JobID(String(format: "job-%03d", $0)) }) {
                let outcome = try? await store.apply(
                    QualificationCommand(organisationID: "org-northwind", jobID: job, decision: .qualify, actor: "test"), planner: planner
                )
                if outcome != nil { qualified.append(job) }
            }
            #expect(qualified.count >= 10)

            fake.setErrorRate(0.25, status: 503, seed: 42)
            fake.setLatency(.milliseconds(2))
            fake.script(.persistThenFail(), .rateLimited, .commitThenDropConnection, .persistThenFail(status: 400), .commitThenDropConnection)
            let connector = try BullhornConnector(
                target: "bullhorn", settings: settings,
                secrets: BullhornSecrets(
                    clientID: Secret(fake.configuration.clientID), clientSecret: Secret(fake.configuration.clientSecret),
                    username: Secret(fake.configuration.username), password: Secret(fake.configuration.password)
                ),
                mapping: BullhornFixture.shippedMapping, timeout: .seconds(5), client: .shared, credentials: store
            )
            // Sessions expire twice while rows wait for their retries.
            try await DispatcherRun.untilNothingPending(in: store, onIdle: { looks in
                if looks == 1 || looks == 3 { fake.expireSessions() }
            }) { observer in
                OutboxDispatcher(
                    store: store, catalog: catalog, connectors: ["bullhorn": connector],
                    configuration: .init(workerID: "test", pollInterval: .milliseconds(20), observer: observer), jitter: JitterSource(seed: 1)
                )
            }

            let rows = try await store.outboxEntries(matching: OutboxFilter(target: "bullhorn"))
            #expect(rows.count == qualified.count)
            #expect(rows.allSatisfy { $0.status == .sent }, "\(rows.filter { $0.status != .sent }.map { "\($0.jobID): \($0.status) \($0.lastErrorMessage ?? "")" })")
            #expect(rows.contains { $0.attempts > 1 }, "the faults must have caused retries")
            for job in qualified {
                let copies = fake.jobOrders.filter { $0["externalID"]?.string == "atsgate:org-northwind:\(job)" }
                #expect(copies.count == 1, "\(job) is at Bullhorn \(copies.count) times")
                #expect(rows.first { $0.jobID == job }?.externalID == copies.first.map { String($0.id) })
            }
            let keys = fake.clientCorporations.compactMap { $0["externalID"]?.string }
            #expect(Set(keys).count == fake.clientCorporations.count, "a company was created twice: \(keys.sorted())")
            let contacts = fake.clientContacts.filter { $0["status"]?.string != "Archive" }.compactMap { $0["externalID"]?.string }
            #expect(Set(contacts).count == contacts.count, "a contact was created twice: \(contacts.sorted())")
            #expect(fake.authCounts.passwordLogins == 1)
            #expect(fake.authCounts.rejectedRefreshGrants == 0)
            #expect(try await store.credential(named: "unused", target: "bullhorn") == nil)
        }
    }
}
