public import AtsgateCore
import GRDB

extension SQLiteStore: OutboxReader {
    public func outboxEntries(matching filter: OutboxFilter) async throws -> [OutboxEntry] {
        try await read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let organisationID = filter.organisationID {
                conditions.append("organisation_id = ?")
                arguments.append(organisationID.rawValue)
            }
            if let status = filter.status {
                conditions.append("status = ?")
                arguments.append(status.rawValue)
            }
            if let target = filter.target {
                conditions.append("external_system = ?")
                arguments.append(target.rawValue)
            }
            if let errorKind = filter.errorKind {
                conditions.append("last_error_kind = ?")
                arguments.append(errorKind.rawValue)
            }
            if let jobID = filter.jobID {
                conditions.append("job_id = ?")
                arguments.append(jobID.rawValue)
            }
            var sql = "SELECT * FROM job_external_submissions"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY id"
            if let limit = filter.limit {
                sql += " LIMIT ?"
                arguments.append(limit)
            }
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(OutboxEntry.init(row:))
        }
    }

    /// The decision-maker notifications of one job, oldest first.
    public func notifications(organisationID: OrganisationID, jobID: JobID) async throws -> [DecisionMakerNotification] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM decision_maker_notifications WHERE organisation_id = ? AND job_id = ? ORDER BY id",
                arguments: [organisationID.rawValue, jobID.rawValue]
            ).map(DecisionMakerNotification.init(row:))
        }
    }

    /// A job with its company and contacts, as connectors receive it; `nil` if the organisation has no such job.
    public func jobSnapshot(organisationID: OrganisationID, jobID: JobID) async throws -> JobSnapshot? {
        try await read { db in try Self.fetchSnapshot(organisationID, jobID, db: db) }
    }

    /// A stored job, or `nil` if the organisation has no such job.
    public func job(organisationID: OrganisationID, jobID: JobID) async throws -> StoredJob? {
        try await read { db in try Self.fetchJob(organisationID, jobID, db: db) }
    }
}
