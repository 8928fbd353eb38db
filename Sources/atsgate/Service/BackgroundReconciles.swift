import AtsgateCore
import AtsgateServer
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Reconcile runs the service starts (`POST /v1/reconcile-runs` and the schedules), each a child
/// task of this service. A shutdown asks the running ones to stop; they end as partial, with
/// their findings stored.
final class BackgroundReconciles: Service, ReconcileLauncher, CustomStringConvertible {
    var description: String { "BackgroundReconciles" }

    private struct Launch: Sendable {
        var organisationID: OrganisationID
        var target: TargetName
        var apply: Bool
        var actor: String
        var started: Promise
    }

    /// Resumed once, with the run's id or why it did not start.
    private final class Promise: Sendable {
        private let continuation: Mutex<CheckedContinuation<Int64, any Error>?>

        init(_ continuation: CheckedContinuation<Int64, any Error>) {
            self.continuation = Mutex(continuation)
        }

        func resolve(_ result: Result<Int64, any Error>) {
            continuation.withLock { continuation in
                continuation?.resume(with: result)
                continuation = nil
            }
        }
    }

    private let store: any GatewayStore
    private let catalog: TargetCatalog
    private let connectors: ConnectionConnectors
    private let logger: Logger
    private let launches: AsyncStream<Launch>
    private let continuation: AsyncStream<Launch>.Continuation
    private let stopping = Mutex(false)

    init(store: any GatewayStore, catalog: TargetCatalog, connectors: ConnectionConnectors, logger: Logger) {
        self.store = store
        self.catalog = catalog
        self.connectors = connectors
        self.logger = logger
        (launches, continuation) = AsyncStream.makeStream(of: Launch.self)
    }

    func launch(organisationID: OrganisationID, target: TargetName, apply: Bool, actor: String) async throws -> Int64 {
        try await withCheckedThrowingContinuation { continuation in
            let promise = Promise(continuation)
            let launch = Launch(organisationID: organisationID, target: target, apply: apply, actor: actor, started: promise)
            if case .terminated = self.continuation.yield(launch) {
                promise.resolve(.failure(CancellationError()))
            }
        }
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await launch in launches {
                    group.addTask { await self.perform(launch) }
                }
            } onGracefulShutdown: {
                self.stopping.withLock { $0 = true }
                self.continuation.finish()
            }
        }
    }

    private func perform(_ launch: Launch) async {
        do {
            guard let configuration = catalog[launch.target], configuration.isEnabled else {
                throw WorkflowError.unknownTarget(launch.target.rawValue, configured: catalog.enabledTargets)
            }
            let connector = try await connectors.connector(for: launch.target, organisation: launch.organisationID)
            let runner = ReconcileRunner(store: store, connector: connector, target: configuration, organisationID: launch.organisationID)
            var options = ReconcileRunner.Options(apply: launch.apply, actor: launch.actor)
            options.shouldStop = { self.stopping.withLock { $0 } }
            options.started = { launch.started.resolve(.success($0)) }
            let outcome = try await runner.run(options)
            logger.info("reconcile run finished", metadata: [
                "run_id": "\(outcome.run.id)", "organisation": "\(launch.organisationID)", "target": "\(launch.target)",
                "status": "\(outcome.run.status.rawValue)", "findings": "\(outcome.run.findingCounts.values.reduce(0, +))",
            ])
        } catch {
            launch.started.resolve(.failure(error))
            if !(error is ReconcileRunConflict) {
                logger.warning("reconcile run failed", metadata: [
                    "organisation": "\(launch.organisationID)", "target": "\(launch.target)", "error": "\(error)",
                ])
            }
        }
    }
}
