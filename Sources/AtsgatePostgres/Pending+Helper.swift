// TEMPORARY: placeholders while the PostgreSQL store is written; each goes when its real method lands.
public import AtsgateCore
public import Foundation

private func pending(_ name: String) -> StoreError { StoreError(.unsupportedEngine, "PostgreSQL store: \(name) is not written yet") }

extension PostgresStore: ReconcileStore {
    public func forEachLocalJobState(organisationID: OrganisationID, target: TargetName, _ body: @escaping @Sendable (LocalJobState) -> Void) async throws { throw pending(#function) }
    public func countLocalJobs(organisationID: OrganisationID) async throws -> Int { throw pending(#function) }
    public func jobSnapshots(organisationID: OrganisationID, jobIDs: [JobID]) async throws -> [JobID: JobSnapshot] { throw pending(#function) }
    public func existingJobs(organisationID: OrganisationID, among jobIDs: [JobID]) async throws -> Set<JobID> { throw pending(#function) }
    public func startReconcileRun(organisationID: OrganisationID, target: TargetName, now: Date, staleAfter: Duration) async throws -> Int64 { throw pending(#function) }
    public func heartbeat(runID: Int64, now: Date) async throws { throw pending(#function) }
    public func recordFindings(_ findings: [ReconcileFinding], runID: Int64, organisationID: OrganisationID) async throws { throw pending(#function) }
    public func finishReconcileRun(_ run: ReconcileRun) async throws { throw pending(#function) }
    public func applyRepairs(_ findings: [ReconcileFinding], organisationID: OrganisationID, target: TargetName, runID: Int64, actor: String, now: Date) async throws -> Int { throw pending(#function) }
    public func reconcileRuns(organisationID: OrganisationID?, target: TargetName?, limit: Int) async throws -> [ReconcileRun] { throw pending(#function) }
    public func reconcileFindings(runID: Int64) async throws -> [ReconcileFinding] { throw pending(#function) }
}
