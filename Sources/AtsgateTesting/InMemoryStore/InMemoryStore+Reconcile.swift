public import AtsgateCore
public import Foundation

extension InMemoryStore: ReconcileStore {
    public func forEachLocalJobState(organisationID: OrganisationID, target: TargetName, _ body: @escaping @Sendable (LocalJobState) -> Void) async throws {
        // One consistent read, and the caller's closure runs outside the lock.
        for state in snapshotOfState().localJobStates(organisationID: organisationID, target: target) { body(state) }
    }

    public func countLocalJobs(organisationID: OrganisationID) async throws -> Int {
        try read { state in state.jobs.keys.count { $0.organisationID == organisationID } }
    }

    public func jobSnapshots(organisationID: OrganisationID, jobIDs: [JobID]) async throws -> [JobID: JobSnapshot] {
        try read { state in
            var snapshots: [JobID: JobSnapshot] = [:]
            for jobID in jobIDs { snapshots[jobID] = state.snapshot(organisationID, jobID) }
            return snapshots
        }
    }

    public func existingJobs(organisationID: OrganisationID, among jobIDs: [JobID]) async throws -> Set<JobID> {
        try read { state in Set(jobIDs.filter { state.jobs[Scoped(organisationID, $0)] != nil }) }
    }

    public func startReconcileRun(organisationID: OrganisationID, target: TargetName, now: Date, staleAfter: Duration) async throws -> Int64 {
        try write { state in try state.startReconcileRun(organisationID: organisationID, target: target, now: now, staleAfter: staleAfter) }
    }

    public func heartbeat(runID: Int64, now: Date) async throws {
        try write { state in state.reconcileRuns[runID]?.heartbeatAt = now.atStoragePrecision }
    }

    public func recordFindings(_ findings: [ReconcileFinding], runID: Int64, organisationID: OrganisationID) async throws {
        try write { state in
            // SQLite's foreign key from reconcile_findings to reconcile_runs.
            guard state.reconcileRuns[runID] != nil else {
                throw StoreError(.unavailable, "database write failed: FOREIGN KEY constraint failed (no reconcile run \(runID))")
            }
            for finding in findings {
                state.reconcileFindings[state.nextID(.reconcileFindings)] = FindingRow(runID: runID, organisationID: organisationID, finding: finding)
            }
        }
    }

    public func finishReconcileRun(_ run: ReconcileRun) async throws {
        try write { state in
            guard var row = state.reconcileRuns[run.id] else { return }
            row.run.status = run.status
            row.run.finishedAt = run.finishedAt.atStoragePrecision
            row.run.partialReason = run.partialReason
            row.run.applied = run.applied
            row.run.remoteJobsListed = run.remoteJobsListed
            row.run.localJobsCompared = run.localJobsCompared
            row.run.findingCounts = run.findingCounts
            row.heartbeatAt = run.finishedAt.atStoragePrecision
            state.reconcileRuns[run.id] = row
        }
    }

    public func applyRepairs(
        _ findings: [ReconcileFinding], organisationID: OrganisationID, target: TargetName, runID: Int64, actor: String, now: Date
    ) async throws -> Int {
        try write(ringingWorkersIf: { $0 > 0 }) { state in
            try state.applyRepairs(findings, organisationID: organisationID, target: target, runID: runID, actor: actor, now: now)
        }
    }

    public func reconcileRuns(organisationID: OrganisationID?, target: TargetName?, before: Int64?, limit: Int) async throws -> [ReconcileRun] {
        try read { state in
            state.reconcileRuns.values.map(\.run)
                .filter { run in (organisationID.map { $0 == run.organisationID } ?? true) && (target.map { $0 == run.target } ?? true) }
                .filter { run in before.map { run.id < $0 } ?? true }
                .sorted { $0.id > $1.id }
                .limited(to: limit)
        }
    }

    public func reconcileFindings(runID: Int64) async throws -> [ReconcileFinding] {
        try read { state in
            state.reconcileFindings.filter { $0.value.runID == runID }.sorted { $0.key < $1.key }.map(\.value.finding)
        }
    }
}

/// Mirrors SQLiteStore+Reconcile.swift.
extension InMemoryState {
    /// Every job of the organisation that is qualified or has a row for the target that is not cancelled, in id order.
    func localJobStates(organisationID: OrganisationID, target: TargetName) -> [LocalJobState] {
        jobs.filter { $0.key.organisationID == organisationID }.sorted { $0.key.id < $1.key.id }.compactMap { _, stored in
            let job = stored.value
            let row = submission(of: organisationID, job.job.id, at: target).flatMap { $0.entry.status == .cancelled ? nil : $0 }
            guard job.job.qualificationStatus == .qualify || row != nil else { return nil }
            return LocalJobState(
                jobID: job.job.id, isQualified: job.job.qualificationStatus == .qualify, isOpen: job.job.status == .open, version: job.version,
                row: row.map {
                    LocalJobState.Row(
                        id: $0.entry.id, status: $0.entry.status, operation: $0.entry.operation, externalID: $0.entry.externalID,
                        sentVersion: $0.entry.sentJobVersion, sentDigest: $0.sentFieldsDigest
                    )
                }
            )
        }
    }

    /// Refuses while another run of the target and organisation is alive; an older one is marked failed.
    mutating func startReconcileRun(organisationID: OrganisationID, target: TargetName, now: Date, staleAfter: Duration) throws -> Int64 {
        let liveSince = now.adding(.zero - staleAfter)
        let now = now.atStoragePrecision
        let running = reconcileRuns.values
            .filter { $0.run.organisationID == organisationID && $0.run.target == target && $0.run.status == .running }
            .sorted { $0.run.id < $1.run.id }
        for row in running {
            let heartbeat = row.heartbeatAt ?? row.run.startedAt
            if heartbeat > liveSince {
                throw ReconcileRunConflict(runID: row.run.id, startedAt: row.run.startedAt)
            }
            reconcileRuns[row.run.id]?.run.status = .failed
            reconcileRuns[row.run.id]?.run.finishedAt = now
            reconcileRuns[row.run.id]?.run.partialReason = "abandoned: no heartbeat since \(heartbeat.formatted(.iso8601))"
        }
        let id = nextID(.reconcileRuns)
        reconcileRuns[id] = ReconcileRunRow(
            run: ReconcileRun(
                id: id, organisationID: organisationID, target: target, startedAt: now, finishedAt: nil, status: .running,
                partialReason: nil, applied: false, remoteJobsListed: 0, localJobsCompared: 0, findingCounts: [:]
            ),
            heartbeatAt: now
        )
        return id
    }
}
