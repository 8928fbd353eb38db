import AtsgateCore
import Foundation

/// Mirrors SQLiteStore+ReconcileRepairs.swift: each repair re-checks the row it changes, so a
/// finding already being repaired, or that no longer applies, changes nothing.
extension InMemoryState {
    mutating func applyRepairs(
        _ findings: [ReconcileFinding], organisationID: OrganisationID, target: TargetName, runID: Int64, actor: String, now: Date
    ) throws -> Int {
        var changed = 0
        for finding in findings {
            guard let repair = finding.repair, let jobID = finding.jobID, let job = job(organisationID, jobID) else { continue }
            let row = submission(of: organisationID, jobID, at: target)?.entry
            guard self.repair(repair, finding: finding, job: job, row: row, target: target, actor: actor, now: now) else { continue }
            try insert(AuditEntry(
                organisationID: organisationID, occurredAt: now, actor: actor, action: .reconcileRepaired, subject: "job:\(jobID)",
                details: ["target": target.rawValue, "run": "\(runID)", "category": finding.category.rawValue, "repair": repair.rawValue,
                          "remote_id": finding.remoteID ?? ""]
            ))
            changed += 1
        }
        return changed
    }

    private mutating func repair(
        _ repair: ReconcileRepair, finding: ReconcileFinding, job: StoredJob, row: OutboxEntry?, target: TargetName, actor: String, now: Date
    ) -> Bool {
        switch repair {
        case .enqueueCreate:
            guard job.job.status == .open, job.job.qualificationStatus == .qualify else { return false }
            guard let row else {
                apply(.enqueue(target: target, operation: .create), job: job, actor: actor, now: now)
                return true
            }
            // A cancelled row, or one linked to a remote job that vanished: create again.
            guard row.status == .cancelled || ((row.status == .sent || row.status == .failed) && row.externalID == finding.remoteID) else { return false }
            updateSubmission(row.id) { stored in
                stored.entry.externalID = nil
                stored.sentFieldsDigest = nil
                stored.outcomeUnknown = false
            }
            apply(.requeue(entryID: row.id, target: target, operation: .create), job: job, actor: actor, now: now)
            return true
        case .enqueueUpdate, .enqueueClose:
            guard let row, row.status == .sent, row.externalID == finding.remoteID else { return false }
            apply(.requeue(entryID: row.id, target: target, operation: repair == .enqueueClose ? .close : .update), job: job, actor: actor, now: now)
            return true
        case .adopt:
            guard let remoteID = finding.remoteID, row?.status != .inFlight, row?.externalID != remoteID else { return false }
            adopt(remoteID, job: job, row: row, target: target, actor: actor, now: now)
            link(.job, localID: job.job.id.rawValue, remoteID: remoteID, organisationID: job.job.organisationID, target: target, now: now)
            // The adopted job differs from ours: bring it up to date through the outbox.
            if !finding.fields.isEmpty, let sent = submission(of: job.job.organisationID, job.job.id, at: target), sent.entry.status == .sent {
                let operation: SubmissionOperation = job.job.status == .open && job.job.qualificationStatus == .qualify ? .update : .close
                apply(.requeue(entryID: sent.entry.id, target: target, operation: operation), job: job, actor: actor, now: now)
            }
            return true
        }
    }

    /// The row now points at the remote job (a create row is done); what the remote job holds is
    /// unknown, so the next run compares fields in full.
    private mutating func adopt(_ remoteID: String, job: StoredJob, row: OutboxEntry?, target: TargetName, actor: String, now: Date) {
        let now = now.atStoragePrecision
        guard let row else {
            let id = nextID(.submissions)
            submissions[id] = SubmissionRow(
                entry: OutboxEntry(
                    id: id, organisationID: job.job.organisationID, jobID: job.job.id, target: target, operation: .create, status: .sent,
                    attempts: 0, externalID: remoteID, jobVersion: job.version, submittedBy: actor, createdAt: now, updatedAt: now, sentAt: now
                ),
                enqueuedAt: now
            )
            return
        }
        updateSubmission(row.id) { stored in
            stored.entry.externalID = remoteID
            stored.entry.sentJobVersion = nil
            stored.sentFieldsDigest = nil
            stored.outcomeUnknown = false
            stored.entry.updatedAt = now
            if stored.entry.operation == .create {
                stored.entry.status = .sent
                stored.entry.nextAttemptAt = nil
                stored.entry.sentAt = now
                stored.entry.lastErrorKind = nil
                stored.entry.lastErrorMessage = nil
            }
        }
    }
}
