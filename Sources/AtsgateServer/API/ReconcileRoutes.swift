import AtsgateCore
import Foundation
import Hummingbird

/// Reconciliation: start a run in the background (202), list runs, one run with its findings.
struct ReconcileRoutes {
    let server: APIServer

    struct StartBody: Decodable, Sendable {
        var target: String
        var apply: Bool?
    }

    struct RunWithFindings: Encodable, Sendable {
        var run: ReconcileRunReport
        var findings: [ReconcileFindingReport]
    }

    func add(to routes: Routes) {
        routes.post("reconcile-runs", use: server.timed { request, context in
            let caller = try context.caller(allowing: [.operator])
            let body = try await decodeBody(StartBody.self, from: request, context: context)
            guard let target = TargetName(rawValue: body.target), let configuration = server.catalog[target], configuration.isEnabled else {
                let enabled = server.catalog.enabledTargets.map(\.rawValue).joined(separator: ", ")
                throw Problem.invalid("no enabled target '\(body.target)' (enabled: \(enabled))", errors: [.init(pointer: "/target", detail: "not an enabled target")])
            }
            let runID = try await server.reconciles.launch(
                organisationID: caller.organisationID, target: target, apply: body.apply ?? false, actor: "api:\(caller.id)"
            )
            guard let run = try await server.store.reconcileRun(id: runID, organisationID: caller.organisationID) else {
                throw Problem.notFound("reconcile run \(runID)")
            }
            return try jsonResponse(ReconcileRunReport(run), status: .accepted, location: "/v1/reconcile-runs/\(runID)")
        })
        routes.get("reconcile-runs", use: server.timed { request, context in
            let caller = try context.caller()
            let page = try PageRequest(request)
            var target: TargetName?
            if let text = request.query("target") {
                guard let name = TargetName(rawValue: text) else { throw Problem.invalidParameter("target", "'\(text)' is not a target name") }
                target = name
            }
            // Newest first: the cursor is the last run shown, and the next page holds older ones.
            let runs = try await server.store.reconcileRuns(organisationID: caller.organisationID, target: target, before: page.after, limit: page.limit + 1)
            return try jsonResponse(Page(runs, limit: page.limit, id: \.id, item: ReconcileRunReport.init))
        })
        routes.get("reconcile-runs/:id", use: server.timed { request, context in
            let caller = try context.caller()
            let text = try context.pathID()
            guard let id = Int64(text), let run = try await server.store.reconcileRun(id: id, organisationID: caller.organisationID) else {
                throw Problem.notFound("reconcile run \(text)")
            }
            let findings = try await server.store.reconcileFindings(runID: id)
            return try jsonResponse(RunWithFindings(run: ReconcileRunReport(run), findings: findings.map(ReconcileFindingReport.init)))
        })
    }
}

/// Each target's health as this organisation's deliveries see it: its own connection's lane,
/// or the target's default one.
struct TargetRoutes {
    let server: APIServer

    struct TargetReport: Encodable, Sendable {
        var target: String
        var kind: String
        var enabled: Bool
        /// `own` when the organisation has a connection of its own, else `default`.
        var connection: String
        var health: HealthReport
    }

    struct ConnectionSummary: Encodable, Sendable {
        var target: String
        var kind: String
        var settings: [String]
        var secrets: [String]
        var updatedAt: Date
    }

    func add(to routes: Routes) {
        routes.get("targets", use: server.timed { _, context in
            let caller = try context.caller()
            let health = try await server.store.targetHealth()
            let own = Set(try await server.store.connections(organisationID: caller.organisationID).map(\.target))
            let now = server.now
            let reports = server.catalog.allNames.compactMap { server.catalog[$0] }.map { target in
                let lane = own.contains(target.name) ? DeliveryLane(target.name, connectionOf: caller.organisationID) : DeliveryLane(target.name)
                return TargetReport(
                    target: target.name.rawValue, kind: target.kind.rawValue, enabled: target.isEnabled,
                    connection: own.contains(target.name) ? "own" : "default",
                    health: HealthReport(health[lane] ?? TargetHealth(), window: target.circuitBreaker.window, now: now)
                )
            }
            return try jsonResponse(["data": reports])
        })
        routes.get("connections", use: server.timed { _, context in
            let caller = try context.caller()
            let connections = try await server.store.connections(organisationID: caller.organisationID)
            return try jsonResponse(["data": connections.map {
                ConnectionSummary(
                    target: $0.target.rawValue, kind: $0.kind.rawValue, settings: $0.settings.keys.sorted(), secrets: $0.secrets.keys.sorted(),
                    updatedAt: $0.updatedAt
                )
            }])
        })
    }
}
