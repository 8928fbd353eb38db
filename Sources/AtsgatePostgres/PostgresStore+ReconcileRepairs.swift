public import AtsgateCore
public import Foundation
import PostgresNIO

extension PostgresStore {
    /// Each repair re-checks the row it changes, so a finding that is already being repaired (a
    /// create queued, an update in flight) or no longer applies changes nothing: a second
    /// `--apply` right after the first adds no work. The job and its row are locked while they are
    /// checked and changed, so a worker on another node settles the row before or after, never between.
    public func applyRepairs(
        _ findings: [ReconcileFinding], organisationID: OrganisationID, target: TargetName, runID: Int64, actor: String, now: Date
    ) async throws -> Int {
        try await write(ringingWorkersIf: { $0 > 0 }) { connection in
            var changed = 0
            for finding in findings {
                guard let repair = finding.repair, let jobID = finding.jobID,
                      let job = try await fetchJob(organisationID, jobID, locking: true, connection: connection)
                else { continue }
                let row = try await connection.query("""
                    SELECT id, status, external_id FROM job_external_submissions
                    WHERE organisation_id = \(organisationID.rawValue) AND job_id = \(jobID.rawValue) AND external_system = \(target.rawValue)
                    FOR UPDATE
                    """, logger: logger
                ).first(table: "job_external_submissions") { row in
                    RepairedRow(id: try row.required("id"), status: try row.enumValue("status"), externalID: try row.optional("external_id"))
                }
                let context = RepairContext(finding: finding, job: job, row: row, target: target, actor: actor, now: now)
                guard try await self.repair(repair, context, connection: connection) else { continue }
                try await insert(AuditEntry(
                    organisationID: organisationID, occurredAt: now, actor: actor, action: .reconcileRepaired, subject: "job:\(jobID)",
                    details: ["target": target.rawValue, "run": "\(runID)", "category": finding.category.rawValue, "repair": repair.rawValue,
                              "remote_id": finding.remoteID ?? ""]
                ), connection: connection)
                changed += 1
            }
            return changed
        }
    }

    /// The job's outbox row for the target, as a repair checks it.
    private struct RepairedRow {
        var id: Int64
        var status: OutboxStatus
        var externalID: String?
    }

    /// What one repair works on.
    private struct RepairContext {
        var finding: ReconcileFinding
        var job: StoredJob
        var row: RepairedRow?
        var target: TargetName
        var actor: String
        var now: Date
    }

    /// - Returns: whether the repair changed anything.
    private func repair(_ repair: ReconcileRepair, _ context: RepairContext, connection: PostgresConnection) async throws -> Bool {
        switch repair {
        case .enqueueCreate: try await enqueueCreate(context, connection: connection)
        case .enqueueUpdate, .enqueueClose: try await enqueueChange(repair == .enqueueClose ? .close : .update, context, connection: connection)
        case .adopt: try await adopt(context, connection: connection)
        }
    }

    private func enqueueCreate(_ context: RepairContext, connection: PostgresConnection) async throws -> Bool {
        let job = context.job
        guard job.job.status == .open, job.job.qualificationStatus == .qualify else { return false }
        guard let row = context.row else {
            try await apply(.enqueue(target: context.target, operation: .create), job: job, actor: context.actor, now: context.now, connection: connection)
            return true
        }
        // A cancelled row, or one linked to a remote job that vanished: create again.
        guard row.status == .cancelled || ((row.status == .sent || row.status == .failed) && row.externalID == context.finding.remoteID) else { return false }
        try await connection.query(
            "UPDATE job_external_submissions SET external_id = NULL, sent_fields_digest = NULL, outcome_unknown = false WHERE id = \(row.id)",
            logger: logger
        )
        try await apply(.requeue(entryID: row.id, target: context.target, operation: .create), job: job, actor: context.actor, now: context.now, connection: connection)
        return true
    }

    private func enqueueChange(_ operation: SubmissionOperation, _ context: RepairContext, connection: PostgresConnection) async throws -> Bool {
        guard let row = context.row, row.status == .sent, row.externalID == context.finding.remoteID else { return false }
        try await apply(.requeue(entryID: row.id, target: context.target, operation: operation), job: context.job, actor: context.actor, now: context.now, connection: connection)
        return true
    }

    private func adopt(_ context: RepairContext, connection: PostgresConnection) async throws -> Bool {
        let (job, target, now) = (context.job, context.target, context.now)
        guard let remoteID = context.finding.remoteID, context.row?.status != .inFlight, context.row?.externalID != remoteID else { return false }
        if let row = context.row {
            // The row now points at the remote job; what it holds is unknown, so the next run compares fields in full.
            try await connection.query("""
                UPDATE job_external_submissions
                SET external_id = \(remoteID), sent_job_version = NULL, sent_fields_digest = NULL, outcome_unknown = false, updated_at = \(now),
                    status = CASE WHEN operation = 'create' THEN 'sent' ELSE status END,
                    next_attempt_at = CASE WHEN operation = 'create' THEN NULL ELSE next_attempt_at END,
                    sent_at = CASE WHEN operation = 'create' THEN \(now) ELSE sent_at END,
                    last_error_kind = CASE WHEN operation = 'create' THEN NULL ELSE last_error_kind END,
                    last_error_message = CASE WHEN operation = 'create' THEN NULL ELSE last_error_message END
                WHERE id = \(row.id)
                """, logger: logger)
        } else {
            try await connection.query("""
                INSERT INTO job_external_submissions
                    (organisation_id, job_id, external_system, operation, status, attempts, external_id, job_version,
                     submitted_by, enqueued_at, created_at, updated_at, sent_at)
                VALUES (\(job.job.organisationID.rawValue), \(job.job.id.rawValue), \(target.rawValue), 'create', 'sent', 0, \(remoteID), \(job.version),
                        \(context.actor), \(now), \(now), \(now), \(now))
                """, logger: logger)
        }
        var links = RemoteLinks()
        links.add(RemoteLinks.Link(organisationID: job.job.organisationID, kind: "job", localID: job.job.id.rawValue, target: target, remoteID: remoteID, at: now))
        try await link(links, connection: connection)
        // The adopted job differs from ours: bring it up to date through the outbox.
        guard !context.finding.fields.isEmpty, let entryID = try await connection.query("""
            SELECT id FROM job_external_submissions
            WHERE organisation_id = \(job.job.organisationID.rawValue) AND job_id = \(job.job.id.rawValue) AND external_system = \(target.rawValue)
              AND status = 'sent'
            """, logger: logger
        ).decodeSingle(Int64.self) else { return true }
        let operation: SubmissionOperation = job.job.status == .open && job.job.qualificationStatus == .qualify ? .update : .close
        try await apply(.requeue(entryID: entryID, target: target, operation: operation), job: job, actor: context.actor, now: now, connection: connection)
        return true
    }
}
