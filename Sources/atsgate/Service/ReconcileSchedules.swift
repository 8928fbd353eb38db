import AtsgateCore
import Foundation
import Logging
import ServiceLifecycle

/// Every target's `reconcile.every`, for every organisation: a run is started when the last one
/// of that target and organisation (on any node) started at least `every` ago. Runs are never
/// two at once across nodes: the store refuses a second while one is alive.
///
/// Also forgets idempotency keys older than a day, once an hour.
final class ReconcileSchedules: Service, CustomStringConvertible {
    var description: String { "ReconcileSchedules" }

    private let store: any GatewayStore
    private let catalog: TargetCatalog
    private let launcher: BackgroundReconciles
    private let tick: Duration
    private let logger: Logger

    /// Looks for due runs every `tick`: by default a quarter of the shortest `reconcile.every`, between 0.25 s and 15 s.
    init(store: any GatewayStore, catalog: TargetCatalog, launcher: BackgroundReconciles, tick: Duration? = nil, logger: Logger) {
        self.store = store
        self.catalog = catalog
        self.launcher = launcher
        let shortest = catalog.enabledTargets.compactMap { catalog[$0]?.reconcile.every }.min() ?? .seconds(60)
        self.tick = tick ?? min(.seconds(15), max(.milliseconds(250), shortest / 4))
        self.logger = logger
    }

    private var scheduled: [(TargetConfiguration, Duration)] {
        catalog.enabledTargets.compactMap { catalog[$0] }.compactMap { target in target.reconcile.every.map { (target, $0) } }
    }

    func run() async throws {
        guard !scheduled.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        var lastPurge: Date?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await startDueRuns()
                if lastPurge.map({ Date().timeIntervalSince($0) >= 3600 }) ?? true {
                    let purged = try await store.purgeIdempotencyKeys(usedBefore: Date().addingTimeInterval(-24 * 3600))
                    if purged > 0 { logger.info("forgot old idempotency keys", metadata: ["count": "\(purged)"]) }
                    lastPurge = Date()
                }
            } catch {
                logger.warning("schedules could not look at the database", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.tick) }
        }
    }

    private func startDueRuns() async throws {
        let organisations = try await store.organisationIDs()
        for (target, every) in scheduled {
            for organisation in organisations {
                if Task.isShuttingDownGracefully { return }
                if !target.hasDefaultConnection, try await store.connection(organisationID: organisation, target: target.name) == nil { continue }
                let last = try await store.reconcileRuns(organisationID: organisation, target: target.name, limit: 1).first
                if let last, Date().timeIntervalSince(last.startedAt) < every.timeInterval { continue }
                do {
                    let runID = try await launcher.launch(organisationID: organisation, target: target.name, apply: true, actor: "schedule")
                    logger.info("scheduled reconcile run started", metadata: ["run_id": "\(runID)", "organisation": "\(organisation)", "target": "\(target.name)"])
                } catch is ReconcileRunConflict {
                    continue
                } catch {
                    logger.warning("scheduled reconcile run did not start", metadata: [
                        "organisation": "\(organisation)", "target": "\(target.name)", "error": "\(error)",
                    ])
                }
            }
        }
    }
}
