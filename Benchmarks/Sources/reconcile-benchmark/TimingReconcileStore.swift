import AtsgateCore
import Foundation
import Synchronization

/// A pass-through ``ReconcileStore`` that times the calls made while the listing is diffed:
/// snapshot loads (drift candidates and unlinked jobs are mapped again) and finding batches.
final class TimingReconcileStore: ReconcileStore {
    struct Calls: Sendable {
        /// Snapshots loaded, and in how many reads.
        var snapshots = 0
        var snapshotReads = 0
        var snapshotTime = Duration.zero
        var findingBatches = 0
        var findingsStored = 0
        var findingTime = Duration.zero
    }

    private let base: any ReconcileStore
    private let calls = Mutex(Calls())

    init(_ base: any ReconcileStore) {
        self.base = base
    }

    var recorded: Calls { calls.withLock { $0 } }

    func reset() {
        calls.withLock { $0 = Calls() }
    }

    func forEachLocalJobState(organisationID: OrganisationID, target: TargetName, _ body: @escaping @Sendable (LocalJobState) -> Void) async throws {
        try await base.forEachLocalJobState(organisationID: organisationID, target: target, body)
    }

    func countLocalJobs(organisationID: OrganisationID) async throws -> Int {
        try await base.countLocalJobs(organisationID: organisationID)
    }

    func jobSnapshots(organisationID: OrganisationID, jobIDs: [JobID]) async throws -> [JobID: JobSnapshot] {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            calls.withLock { $0.snapshots += jobIDs.count; $0.snapshotReads += 1; $0.snapshotTime += elapsed }
        }
        return try await base.jobSnapshots(organisationID: organisationID, jobIDs: jobIDs)
    }

    func existingJobs(organisationID: OrganisationID, among jobIDs: [JobID]) async throws -> Set<JobID> {
        try await base.existingJobs(organisationID: organisationID, among: jobIDs)
    }

    func startReconcileRun(organisationID: OrganisationID, target: TargetName, now: Date, staleAfter: Duration) async throws -> Int64 {
        try await base.startReconcileRun(organisationID: organisationID, target: target, now: now, staleAfter: staleAfter)
    }

    func heartbeat(runID: Int64, now: Date) async throws {
        try await base.heartbeat(runID: runID, now: now)
    }

    func recordFindings(_ findings: [ReconcileFinding], runID: Int64, organisationID: OrganisationID) async throws {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            calls.withLock { $0.findingBatches += 1; $0.findingsStored += findings.count; $0.findingTime += elapsed }
        }
        try await base.recordFindings(findings, runID: runID, organisationID: organisationID)
    }

    func finishReconcileRun(_ run: ReconcileRun) async throws {
        try await base.finishReconcileRun(run)
    }

    func applyRepairs(_ findings: [ReconcileFinding], organisationID: OrganisationID, target: TargetName, runID: Int64, actor: String, now: Date) async throws -> Int {
        try await base.applyRepairs(findings, organisationID: organisationID, target: target, runID: runID, actor: actor, now: now)
    }

    func reconcileRuns(organisationID: OrganisationID?, target: TargetName?, limit: Int) async throws -> [ReconcileRun] {
        try await base.reconcileRuns(organisationID: organisationID, target: target, limit: limit)
    }

    func reconcileFindings(runID: Int64) async throws -> [ReconcileFinding] {
        try await base.reconcileFindings(runID: runID)
    }
}
