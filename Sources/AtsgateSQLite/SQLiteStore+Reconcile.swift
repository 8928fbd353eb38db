public import AtsgateCore
public import Foundation
import GRDB

extension SQLiteStore: ReconcileStore {
    public func forEachLocalJobState(organisationID: OrganisationID, target: TargetName, _ body: @escaping @Sendable (LocalJobState) -> Void) async throws {
        try await read { db in
            // Columns by position: a million rows read by name would look each name up every time.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                SELECT j.id, j.qualification_status = 'qualify', j.status = 'open', j.version,
                       s.id, s.status, s.operation, s.external_id, s.sent_job_version, s.sent_fields_digest
                FROM jobs AS j
                LEFT JOIN job_external_submissions AS s
                    ON s.organisation_id = j.organisation_id AND s.job_id = j.id AND s.external_system = ?2 AND s.status <> 'cancelled'
                WHERE j.organisation_id = ?1 AND (j.qualification_status = 'qualify' OR s.id IS NOT NULL)
                """,
                arguments: [organisationID.rawValue, target.rawValue]
            )
            while let row = try rows.next() {
                var state = LocalJobState(jobID: JobID(row[0] as String), isQualified: row[1], isOpen: row[2], version: row[3], row: nil)
                if let rowID = row[4] as Int64? {
                    guard let status = OutboxStatus(rawValue: row[5]), let operation = SubmissionOperation(rawValue: row[6]) else {
                        throw StoreError(.corruptRow, "job_external_submissions row \(rowID) holds an unknown status or operation")
                    }
                    state.row = LocalJobState.Row(id: rowID, status: status, operation: operation, externalID: row[7], sentVersion: row[8], sentDigest: row[9])
                }
                body(state)
            }
        }
    }

    public func countLocalJobs(organisationID: OrganisationID) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE organisation_id = ?", arguments: [organisationID.rawValue]) ?? 0
        }
    }

    public func jobSnapshots(organisationID: OrganisationID, jobIDs: [JobID]) async throws -> [JobID: JobSnapshot] {
        guard !jobIDs.isEmpty else { return [:] }
        return try await read { db in
            let snapshots = try Self.fetchSnapshots(jobIDs.map { JobKey(organisationID: organisationID, jobID: $0) }, db: db)
            return Dictionary(snapshots.map { ($0.key.jobID, $0.value) }) { first, _ in first }
        }
    }

    public func existingJobs(organisationID: OrganisationID, among jobIDs: [JobID]) async throws -> Set<JobID> {
        guard !jobIDs.isEmpty else { return [] }
        return try await read { db in
            var existing: Set<JobID> = []
            for jobID in jobIDs where try db.cachedExists(
                sql: "SELECT 1 FROM jobs WHERE organisation_id = ? AND id = ?", arguments: [organisationID.rawValue, jobID.rawValue]
            ) {
                existing.insert(jobID)
            }
            return existing
        }
    }

    public func startReconcileRun(organisationID: OrganisationID, target: TargetName, now: Date, staleAfter: Duration) async throws -> Int64 {
        try await write { db in
            let running = try Row.fetchAll(
                db,
                sql: "SELECT id, started_at, heartbeat_at FROM reconcile_runs WHERE organisation_id = ? AND target = ? AND status = 'running'",
                arguments: [organisationID.rawValue, target.rawValue]
            )
            let liveSince = now.adding(.zero - staleAfter)
            for run in running {
                let heartbeat: Date = run["heartbeat_at"] ?? run["started_at"]
                if heartbeat > liveSince {
                    throw ReconcileRunConflict(runID: run["id"], startedAt: run["started_at"])
                }
                try db.execute(
                    sql: "UPDATE reconcile_runs SET status = 'failed', finished_at = ?, partial_reason = ? WHERE id = ?",
                    arguments: [now, "abandoned: no heartbeat since \(heartbeat.formatted(.iso8601))", run["id"] as Int64]
                )
            }
            try db.execute(
                sql: "INSERT INTO reconcile_runs (organisation_id, target, started_at, heartbeat_at, status) VALUES (?, ?, ?, ?, 'running')",
                arguments: [organisationID.rawValue, target.rawValue, now, now]
            )
            return db.lastInsertedRowID
        }
    }

    public func heartbeat(runID: Int64, now: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE reconcile_runs SET heartbeat_at = ? WHERE id = ?", arguments: [now, runID])
        }
    }

    public func recordFindings(_ findings: [ReconcileFinding], runID: Int64, organisationID: OrganisationID) async throws {
        try await write { db in
            for finding in findings {
                try db.cachedExecute(
                    sql: """
                    INSERT INTO reconcile_findings (run_id, organisation_id, category, job_id, remote_id, details, repair)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    arguments: [
                        runID, organisationID.rawValue, finding.category.rawValue, finding.jobID?.rawValue, finding.remoteID,
                        try FindingDetails(detail: finding.detail, fields: finding.fields).json(), finding.repair?.rawValue,
                    ]
                )
            }
        }
    }

    public func finishReconcileRun(_ run: ReconcileRun) async throws {
        let counts = Dictionary(uniqueKeysWithValues: run.findingCounts.map { ($0.key.rawValue, $0.value) })
        let countsJSON = String(decoding: try JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys]), as: UTF8.self)
        try await write { db in
            try db.execute(
                sql: """
                UPDATE reconcile_runs
                SET status = ?, finished_at = ?, partial_reason = ?, applied = ?, remote_jobs_listed = ?, local_jobs_compared = ?,
                    finding_counts = ?, heartbeat_at = ?
                WHERE id = ?
                """,
                arguments: [
                    run.status.rawValue, run.finishedAt, run.partialReason, run.applied, run.remoteJobsListed, run.localJobsCompared,
                    countsJSON, run.finishedAt, run.id,
                ]
            )
        }
    }

    public func reconcileRuns(organisationID: OrganisationID?, target: TargetName?, before: Int64?, limit: Int) async throws -> [ReconcileRun] {
        try await read { db in
            var conditions = SQLConditions()
            conditions.add("organisation_id = ?", organisationID?.rawValue)
            conditions.add("target = ?", target?.rawValue)
            conditions.add("id < ?", before)
            return try Row.fetchAll(
                db, sql: "SELECT * FROM reconcile_runs\(conditions.whereClause) ORDER BY id DESC LIMIT ?", arguments: conditions.arguments + [limit]
            ).map(ReconcileRun.init(row:))
        }
    }

    public func reconcileFindings(runID: Int64) async throws -> [ReconcileFinding] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM reconcile_findings WHERE run_id = ? ORDER BY id", arguments: [runID]).map { row in
                let details = FindingDetails(json: row["details"] as String?)
                return ReconcileFinding(
                    category: try row.enumValue("category", in: "reconcile_findings"),
                    jobID: (row["job_id"] as String?).map { JobID($0) }, remoteID: row["remote_id"],
                    detail: details.detail, fields: details.fields,
                    repair: try row.optionalEnumValue("repair", in: "reconcile_findings")
                )
            }
        }
    }
}

/// `reconcile_findings.details`: `{"detail": "…", "fields": […]}`.
struct FindingDetails: Codable {
    var detail: String
    var fields: [String]

    init(detail: String, fields: [String]) {
        self.detail = detail
        self.fields = fields
    }

    init(json: String?) {
        self = json.flatMap { try? JSONDecoder().decode(Self.self, from: Data($0.utf8)) } ?? Self(detail: "", fields: [])
    }

    func json() throws -> String {
        String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
    }
}

extension ReconcileRun {
    init(row: Row) throws {
        let countsText: String = row["finding_counts"]
        let counts = (try? JSONDecoder().decode([String: Int].self, from: Data(countsText.utf8))) ?? [:]
        self.init(
            id: row["id"], organisationID: OrganisationID(row["organisation_id"] as String), target: try row.targetName("target", in: "reconcile_runs"),
            startedAt: row["started_at"], finishedAt: row["finished_at"],
            status: try row.enumValue("status", in: "reconcile_runs"), partialReason: row["partial_reason"],
            applied: row["applied"], remoteJobsListed: row["remote_jobs_listed"], localJobsCompared: row["local_jobs_compared"],
            findingCounts: Dictionary(uniqueKeysWithValues: counts.compactMap { key, value in ReconcileCategory(rawValue: key).map { ($0, value) } })
        )
    }
}
