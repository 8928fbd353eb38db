public import AtsgateCore
public import Foundation
import PostgresNIO

extension PostgresStore: ReconcileStore {
    public func forEachLocalJobState(organisationID: OrganisationID, target: TargetName, _ body: @escaping @Sendable (LocalJobState) -> Void) async throws {
        try await read { connection in
            // Rows stream in as they are read; columns by position, decoded as one tuple.
            let rows = try await connection.query("""
                SELECT j.id, j.qualification_status = 'qualify', j.status = 'open', j.version,
                       s.id, s.status, s.operation, s.external_id, s.sent_job_version, s.sent_fields_digest
                FROM jobs AS j
                LEFT JOIN job_external_submissions AS s
                    ON s.organisation_id = j.organisation_id AND s.job_id = j.id AND s.external_system = \(target.rawValue) AND s.status <> 'cancelled'
                WHERE j.organisation_id = \(organisationID.rawValue) AND (j.qualification_status = 'qualify' OR s.id IS NOT NULL)
                """, logger: logger)
            for try await row in rows {
                let (jobID, isQualified, isOpen, version, rowID, status, operation, externalID, sentVersion, sentDigest) = try row.decode(
                    (String, Bool, Bool, Int, Int64?, String?, String?, String?, Int?, String?).self
                )
                var state = LocalJobState(jobID: JobID(jobID), isQualified: isQualified, isOpen: isOpen, version: version, row: nil)
                if let rowID {
                    guard let status = status.flatMap(OutboxStatus.init(rawValue:)), let operation = operation.flatMap(SubmissionOperation.init(rawValue:)) else {
                        throw StoreError(.corruptRow, "job_external_submissions row \(rowID) holds an unknown status or operation")
                    }
                    state.row = LocalJobState.Row(id: rowID, status: status, operation: operation, externalID: externalID, sentVersion: sentVersion, sentDigest: sentDigest)
                }
                body(state)
            }
        }
    }

    public func countLocalJobs(organisationID: OrganisationID) async throws -> Int {
        try await read { connection in
            try await connection.query("SELECT count(*) FROM jobs WHERE organisation_id = \(organisationID.rawValue)", logger: logger).decodeSingle(Int.self) ?? 0
        }
    }

    public func jobSnapshots(organisationID: OrganisationID, jobIDs: [JobID]) async throws -> [JobID: JobSnapshot] {
        guard !jobIDs.isEmpty else { return [:] }
        return try await read { connection in
            let snapshots = try await fetchSnapshots(jobIDs.map { JobKey(organisationID: organisationID, jobID: $0) }, connection: connection)
            return Dictionary(snapshots.map { ($0.key.jobID, $0.value) }) { first, _ in first }
        }
    }

    public func existingJobs(organisationID: OrganisationID, among jobIDs: [JobID]) async throws -> Set<JobID> {
        guard !jobIDs.isEmpty else { return [] }
        return try await read { connection in
            let ids = try await connection.query(
                "SELECT id FROM jobs WHERE organisation_id = \(organisationID.rawValue) AND id = ANY(\(jobIDs.map(\.rawValue)))", logger: logger
            ).collect(table: "jobs") { try $0.required("id", as: String.self) }
            return Set(ids.map(JobID.init(rawValue:)))
        }
    }

    public func startReconcileRun(organisationID: OrganisationID, target: TargetName, now: Date, staleAfter: Duration) async throws -> Int64 {
        try await write { connection in
            // Two nodes starting a run of the same target at once: the second waits here, then finds the first running.
            let lockKey = "atsgate reconcile \(location.schema) \(organisationID.rawValue) \(target.rawValue)"
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))", logger: logger)
            let running = try await connection.query("""
                SELECT id, started_at, heartbeat_at FROM reconcile_runs
                WHERE organisation_id = \(organisationID.rawValue) AND target = \(target.rawValue) AND status = 'running'
                """, logger: logger
            ).collect(table: "reconcile_runs") { row in
                (id: try row.required("id", as: Int64.self), startedAt: try row.required("started_at", as: Date.self),
                 heartbeatAt: try row.optional("heartbeat_at", as: Date.self))
            }
            let liveSince = now.adding(.zero - staleAfter)
            for run in running {
                let heartbeat = run.heartbeatAt ?? run.startedAt
                if heartbeat > liveSince {
                    throw ReconcileRunConflict(runID: run.id, startedAt: run.startedAt)
                }
                try await connection.query("""
                    UPDATE reconcile_runs SET status = 'failed', finished_at = \(now),
                        partial_reason = \("abandoned: no heartbeat since \(heartbeat.formatted(.iso8601))")
                    WHERE id = \(run.id)
                    """, logger: logger)
            }
            let id = try await connection.query("""
                INSERT INTO reconcile_runs (organisation_id, target, started_at, heartbeat_at, status)
                VALUES (\(organisationID.rawValue), \(target.rawValue), \(now), \(now), 'running')
                RETURNING id
                """, logger: logger
            ).decodeSingle(Int64.self)
            guard let id else { throw StoreError(.corruptRow, "reconcile_runs returned no id for the run it inserted") }
            return id
        }
    }

    public func heartbeat(runID: Int64, now: Date) async throws {
        try await write { connection in
            _ = try await connection.query("UPDATE reconcile_runs SET heartbeat_at = \(now) WHERE id = \(runID)", logger: logger)
        }
    }

    public func recordFindings(_ findings: [ReconcileFinding], runID: Int64, organisationID: OrganisationID) async throws {
        guard !findings.isEmpty else { return }
        let details = try findings.map { try FindingDetails(detail: $0.detail, fields: $0.fields).json() }
        try await write { connection in
            _ = try await connection.query("""
                INSERT INTO reconcile_findings (run_id, organisation_id, category, job_id, remote_id, details, repair)
                SELECT \(runID), \(organisationID.rawValue), category, job_id, remote_id, details::jsonb, repair
                FROM unnest(\(findings.map(\.category.rawValue)), \(NullableArray(findings.map(\.jobID?.rawValue)))::text[],
                            \(NullableArray(findings.map(\.remoteID)))::text[], \(details), \(NullableArray(findings.map(\.repair?.rawValue)))::text[])
                     WITH ORDINALITY AS finding (category, job_id, remote_id, details, repair, position)
                ORDER BY position
                """, logger: logger)
        }
    }

    public func finishReconcileRun(_ run: ReconcileRun) async throws {
        let counts = Dictionary(uniqueKeysWithValues: run.findingCounts.map { ($0.key.rawValue, $0.value) })
        let countsJSON = String(decoding: try JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys]), as: UTF8.self)
        try await write { connection in
            _ = try await connection.query("""
                UPDATE reconcile_runs
                SET status = \(run.status.rawValue), finished_at = \(run.finishedAt), partial_reason = \(run.partialReason), applied = \(run.applied),
                    remote_jobs_listed = \(run.remoteJobsListed), local_jobs_compared = \(run.localJobsCompared),
                    finding_counts = \(countsJSON)::jsonb, heartbeat_at = \(run.finishedAt)
                WHERE id = \(run.id)
                """, logger: logger)
        }
    }

    public func reconcileRuns(organisationID: OrganisationID?, target: TargetName?, before: Int64?, limit: Int) async throws -> [ReconcileRun] {
        try await read { connection in
            var conditions = PostgresConditions()
            conditions.add("organisation_id", organisationID?.rawValue)
            conditions.add("target", target?.rawValue)
            conditions.add("id", before, comparison: "<")
            let select = """
                SELECT id, organisation_id, target, started_at, finished_at, status, partial_reason, applied, remote_jobs_listed,
                       local_jobs_compared, finding_counts::text AS finding_counts
                FROM reconcile_runs
                """
            return try await connection.query(conditions.query(select, "ORDER BY id DESC", limit: limit), logger: logger)
                .collect(table: "reconcile_runs", ReconcileRun.init(postgres:))
        }
    }

    public func reconcileFindings(runID: Int64) async throws -> [ReconcileFinding] {
        try await read { connection in
            try await connection.query(
                "SELECT category, job_id, remote_id, details::text AS details, repair FROM reconcile_findings WHERE run_id = \(runID) ORDER BY id",
                logger: logger
            ).collect(table: "reconcile_findings") { row in
                let details = FindingDetails(json: try row.optional("details", as: String.self))
                return ReconcileFinding(
                    category: try row.enumValue("category"),
                    jobID: try row.optional("job_id", as: String.self).map { JobID($0) }, remoteID: try row.optional("remote_id"),
                    detail: details.detail, fields: details.fields,
                    repair: try row.optionalEnumValue("repair")
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
    init(postgres row: StoredRow) throws {
        let countsText = try row.required("finding_counts", as: String.self)
        let counts = (try? JSONDecoder().decode([String: Int].self, from: Data(countsText.utf8))) ?? [:]
        self.init(
            id: try row.required("id"), organisationID: OrganisationID(try row.required("organisation_id")), target: try row.targetName("target"),
            startedAt: try row.required("started_at"), finishedAt: try row.optional("finished_at"),
            status: try row.enumValue("status"), partialReason: try row.optional("partial_reason"),
            applied: try row.required("applied"), remoteJobsListed: try row.required("remote_jobs_listed"),
            localJobsCompared: try row.required("local_jobs_compared"),
            findingCounts: Dictionary(uniqueKeysWithValues: counts.compactMap { key, value in ReconcileCategory(rawValue: key).map { ($0, value) } })
        )
    }
}
