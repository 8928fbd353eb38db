import AtsgateCore
import AtsgateLoxo
import AtsgateSQLite
import AtsgateTesting
import Foundation
import Testing

/// The dispatcher, the SQLite outbox and the Loxo connector together against a fake Loxo that
/// fails often: whatever fails, every qualified job ends up at Loxo exactly once.
@Suite("Loxo deliveries through the outbox under faults", .timeLimit(.minutes(1)))
struct LoxoDeliveryTests {
    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("A 30% seeded error rate, latency and dropped connections: every job once, every company and person once")
    func faultyTarget() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loxo-delivery-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore.open(path: folder.appendingPathComponent("atsgate.sqlite").path)
        let mapping = try MappingLoader(configurationDirectory: Self.repository).load("loxo.yaml")

        try await FakeLoxo.withRunning { fake in
            let target = TargetConfiguration(
                name: "loxo",
                settings: .loxo(.init(baseURL: fake.baseURL, agencySlug: fake.agencySlug, apiKeyEnvironmentVariable: "LOXO_KEY")),
                retry: RetrySettings(maxAttempts: 40, baseDelay: .milliseconds(5), maxDelay: .milliseconds(40), maxAge: .seconds(600)),
                rateLimit: RateLimitSettings(requestsPerSecond: 10_000, burst: 1_000),
                concurrency: 4, timeout: .seconds(5),
                circuitBreaker: CircuitBreakerSettings(minimumRequests: 1_000, coolDown: .milliseconds(10))
            )
            let catalog = TargetCatalog([target])
            let records = try ImportFileReader().records(fromFileAt: Self.repository.appendingPathComponent("examples/crm.json").path)
            let planner = QualificationPlanner(catalog: catalog, now: Date())
            _ = try await store.importDataset(try DatasetParser().parse(records), planner: planner, actor: "test")
            let jobs: [JobID] = (1...20).map { JobID(String(format: "job-%03d", $0)) }
            var qualified: [JobID] = []
            for job in jobs {
                let outcome = try? await store.apply(
                    QualificationCommand(organisationID: "org-northwind", jobID: job, decision: .qualify, actor: "test"), planner: planner
                )
                if outcome != nil { qualified.append(job) }
            }
            #expect(qualified.count >= 10)

            fake.setErrorRate(0.3, status: 503, seed: 42)
            fake.setLatency(.milliseconds(2))
            fake.script(.commitThenDropConnection, .commitThenDropConnection, .commitThenDropConnection)
            let connector = try LoxoConnector(
                target: "loxo", settings: .init(baseURL: fake.baseURL, agencySlug: fake.agencySlug, apiKeyEnvironmentVariable: "LOXO_KEY"),
                apiKey: Secret(fake.apiKey), mapping: mapping, timeout: .seconds(5), client: .shared
            )
            try await DispatcherRun.untilNothingPending(in: store) { observer in
                OutboxDispatcher(
                    store: store, catalog: catalog, connectors: ["loxo": connector],
                    configuration: .init(workerID: "test", pollInterval: .milliseconds(20), observer: observer), jitter: JitterSource(seed: 1)
                )
            }

            let rows = try await store.outboxEntries(matching: OutboxFilter(target: "loxo"))
            #expect(rows.count == qualified.count)
            #expect(rows.allSatisfy { $0.status == .sent }, "\(rows.filter { $0.status != .sent }.map { "\($0.jobID): \($0.status) \($0.lastErrorMessage ?? "")" })")
            #expect(rows.contains { $0.attempts > 1 }, "the faults must have caused retries")
            for job in qualified {
                let copies = fake.jobs.filter { $0.fields["custom_text_1"] == "atsgate:org-northwind:\(job)" }
                #expect(copies.count == 1, "\(job) is at Loxo \(copies.count) times")
                #expect(rows.first { $0.jobID == job }?.externalID == copies.first.map { String($0.id) })
            }
            let companyNames = fake.companies.compactMap { $0.fields["name"] }
            #expect(Set(companyNames).count == companyNames.count, "a company was created twice: \(companyNames.sorted())")
            let emails = fake.people.compactMap { $0.fields["email"] }
            #expect(Set(emails).count == emails.count, "a person was created twice: \(emails.sorted())")
        }
    }
}
