public import AtsgateCore
import GRDB

extension SQLiteStore: OutboxReader {
    public func outboxEntries(matching filter: OutboxFilter) async throws -> [OutboxEntry] {
        try await read { db in
            var filters = SQLConditions()
            filters.add("organisation_id = ?", filter.organisationID?.rawValue)
            filters.add("status = ?", filter.status?.rawValue)
            filters.add("external_system = ?", filter.target?.rawValue)
            filters.add("last_error_kind = ?", filter.errorKind?.rawValue)
            filters.add("job_id = ?", filter.jobID?.rawValue)
            filters.add("id > ?", filter.afterID)
            var arguments = filters.arguments
            var sql = "SELECT * FROM job_external_submissions\(filters.whereClause) ORDER BY id"
            if let limit = filter.limit {
                sql += " LIMIT ?"
                arguments += [limit]
            }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(OutboxEntry.init(row:))
        }
    }
}

extension SQLiteStore: JobReader {
    public func notifications(organisationID: OrganisationID, jobID: JobID) async throws -> [DecisionMakerNotification] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM decision_maker_notifications WHERE organisation_id = ? AND job_id = ? ORDER BY id",
                arguments: [organisationID.rawValue, jobID.rawValue]
            ).map(DecisionMakerNotification.init(row:))
        }
    }

    public func jobSnapshot(organisationID: OrganisationID, jobID: JobID) async throws -> JobSnapshot? {
        try await read { db in try Self.fetchSnapshot(organisationID, jobID, db: db) }
    }

    public func remoteReferences(organisationID: OrganisationID, companyID: CompanyID, target: TargetName) async throws -> RemoteReferences {
        try await read { db in try Self.fetchReferences(of: companyID, at: target, organisationID: organisationID, db: db) }
    }

    public func job(organisationID: OrganisationID, jobID: JobID) async throws -> StoredJob? {
        try await read { db in try Self.fetchJob(organisationID, jobID, db: db) }
    }
}
