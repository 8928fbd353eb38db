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
            let target = try OutboxQuery.targetParameter(request)
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
