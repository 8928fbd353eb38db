import AsyncHTTPClient
import AtsgateCore
import AtsgateHTTP
import AtsgateSQLite
import AtsgateWebhook
import Foundation
import Logging

/// The one webhook target every row goes to, and how the benchmark talks to the library.
struct BenchmarkSetup: Sendable {
    static let organisation: OrganisationID = "org-bench"
    static let actor = "bench"

    let targetName: TargetName
    let targetURL: String
    let concurrency: Int
    let catalog: TargetCatalog
    /// Built as `atsgate worker` builds it: a pool with room for the target's concurrency.
    let client: HTTPClient

    init(targetURL: String, concurrency: Int) throws {
        guard let name = TargetName(rawValue: "noop") else { throw BenchmarkError("'noop' is not a valid target name") }
        self.targetName = name
        self.targetURL = targetURL
        self.concurrency = concurrency
        self.catalog = TargetCatalog([
            TargetConfiguration(
                name: name,
                settings: .webhook(.init(url: targetURL)),
                retry: RetrySettings(),
                rateLimit: RateLimitSettings(requestsPerSecond: 1_000_000, burst: 100_000),
                concurrency: concurrency,
                timeout: .seconds(10)
            ),
        ])
        self.client = HTTPClient.forTargets(catalog)
    }

    /// Qualifies one job in its own transaction, as `atsgate jobs qualify` does.
    func qualify(_ job: JobID, in store: any QualificationStore) async throws {
        let command = QualificationCommand(
            organisationID: Self.organisation, jobID: job, decision: .qualify, targets: [], actor: Self.actor
        )
        _ = try await store.apply(command, planner: QualificationPlanner(catalog: catalog, now: Date()))
    }

    /// The target's connector, as `atsgate worker` builds it.
    func connector() -> WebhookConnector {
        WebhookConnector(target: targetName, settings: .init(url: targetURL), token: nil, timeout: .seconds(10), client: client)
    }

    /// A dispatcher, as the `atsgate worker` command builds it (logging off).
    func dispatcher(store: CountingDispatchStore, untilIdle: Bool, wakeups: (any WakeupListener)?) -> OutboxDispatcher {
        OutboxDispatcher(
            store: store,
            catalog: catalog,
            connectors: [targetName: connector()],
            configuration: .init(workerID: "bench", pollInterval: .seconds(1), untilIdle: untilIdle, claimBatchSize: 256),
            wakeups: wakeups,
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        )
    }
}
