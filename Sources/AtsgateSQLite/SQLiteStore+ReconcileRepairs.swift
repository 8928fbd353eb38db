public import AtsgateCore
public import Foundation
import GRDB

extension SQLiteStore {
    /// Each repair re-checks the row it changes, so a finding that is already being repaired (a
    /// create queued, an update in flight) or no longer applies changes nothing: a second
    /// `--apply` right after the first adds no work.
    public func applyRepairs(
        _ findings: [ReconcileFinding], organisationID: OrganisationID, target: TargetName, runID: Int64, actor: String, now: Date
    ) async throws -> Int {
        try await write(ringingWorkersIf: { $0 > 0 }) { db in
            var changed = 0
            for finding in findings {
                guard let repair = finding.repair, let jobID = finding.jobID, let job = try Self.fetchJob(organisationID, jobID, db: db) else { continue }
                let row = try db.cachedFetchOne(
                    sql: "SELECT id, status, operation, external_id FROM job_external_submissions WHERE organisation_id = ? AND job_id = ? AND external_system = ?",
                    arguments: [organisationID.rawValue, jobID.rawValue, target.rawValue]
                ) { row in
                    (id: row["id"] as Int64, status: try row.enumValue("status", in: "job_external_submissions") as OutboxStatus,
                     externalID: row["external_id"] as String?)
                }
                guard try Self.repair(repair, finding: finding, job: job, row: row, target: target, actor: actor, now: now, db: db) else { continue }
                try Self.insert(AuditEntry(
                    organisationID: organisationID, occurredAt: now, actor: actor, action: .reconcileRepaired, subject: "job:\(jobID)",
                    details: ["target": target.rawValue, "run": "\(runID)", "category": finding.category.rawValue, "repair": repair.rawValue,
                              "remote_id": finding.remoteID ?? ""]
                ), db: db)
                changed += 1
            }
            return changed
        }
    }

    private static func repair(
        _ repair: ReconcileRepair, finding: ReconcileFinding, job: StoredJob,
        row: (id: Int64, status: OutboxStatus, externalID: String?)?, target: TargetName, actor: String, now: Date, db: Database
    ) throws -> Bool {
        switch repair {
        case .enqueueCreate:
            guard job.job.status == .open, job.job.qualificationStatus == .qualify else { return false }
            guard let row else {
                try apply(.enqueue(target: target, operation: .create), job: job, actor: actor, now: now, db: db)
                return true
            }
            // A cancelled row, or one linked to a remote job that vanished: create again.
            guard row.status == .cancelled || ((row.status == .sent || row.status == .failed) && row.externalID == finding.remoteID) else { return false }
            try db.cachedExecute(
                sql: "UPDATE job_external_submissions SET external_id = NULL, sent_fields_digest = NULL, outcome_unknown = 0 WHERE id = ?",
                arguments: [row.id]
            )
            try apply(.requeue(entryID: row.id, target: target, operation: .create), job: job, actor: actor, now: now, db: db)
            return true
        case .enqueueUpdate, .enqueueClose:
            guard let row, row.status == .sent, row.externalID == finding.remoteID else { return false }
            try apply(.requeue(entryID: row.id, target: target, operation: repair == .enqueueClose ? .close : .update), job: job, actor: actor, now: now, db: db)
            return true
        case .adopt:
            guard let remoteID = finding.remoteID, row?.status != .inFlight, row?.externalID != remoteID else { return false }
            if let row {
                // The row now points at the remote job; what it holds is unknown, so the next run compares fields in full.
                try db.cachedExecute(
                    sql: """
                    UPDATE job_external_submissions
                    SET external_id = ?, sent_job_version = NULL, sent_fields_digest = NULL, outcome_unknown = 0, updated_at = ?,
                        status = CASE WHEN operation = 'create' THEN 'sent' ELSE status END,
                        next_attempt_at = CASE WHEN operation = 'create' THEN NULL ELSE next_attempt_at END,
                        sent_at = CASE WHEN operation = 'create' THEN ? ELSE sent_at END,
                        last_error_kind = CASE WHEN operation = 'create' THEN NULL ELSE last_error_kind END,
                        last_error_message = CASE WHEN operation = 'create' THEN NULL ELSE last_error_message END
                    WHERE id = ?
                    """,
                    arguments: [remoteID, now, now, row.id]
                )
            } else {
                try db.cachedExecute(
                    sql: """
                    INSERT INTO job_external_submissions
                        (organisation_id, job_id, external_system, operation, status, attempts, external_id, job_version,
                         submitted_by, enqueued_at, created_at, updated_at, sent_at)
                    VALUES (?, ?, ?, 'create', 'sent', 0, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    arguments: [job.job.organisationID.rawValue, job.job.id.rawValue, target.rawValue, remoteID, job.version, actor, now, now, now, now]
                )
            }
            try link("job", localID: job.job.id.rawValue, remoteID: remoteID, organisationID: job.job.organisationID, target: target, now: now, db: db)
            // The adopted job differs from ours: bring it up to date through the outbox.
            if !finding.fields.isEmpty, let entryID = try Int64.fetchOne(
                db, sql: "SELECT id FROM job_external_submissions WHERE organisation_id = ? AND job_id = ? AND external_system = ? AND status = 'sent'",
                arguments: [job.job.organisationID.rawValue, job.job.id.rawValue, target.rawValue]
            ) {
                let operation: SubmissionOperation = job.job.status == .open && job.job.qualificationStatus == .qualify ? .update : .close
                try apply(.requeue(entryID: entryID, target: target, operation: operation), job: job, actor: actor, now: now, db: db)
            }
            return true
        }
    }
}
