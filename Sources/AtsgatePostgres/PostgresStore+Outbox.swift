public import AtsgateCore
import PostgresNIO

extension PostgresStore: OutboxReader {
    public func outboxEntries(matching filter: OutboxFilter) async throws -> [OutboxEntry] {
        try await read { connection in
            var filters = PostgresConditions()
            filters.add("organisation_id", filter.organisationID?.rawValue)
            filters.add("status", filter.status?.rawValue)
            filters.add("external_system", filter.target?.rawValue)
            filters.add("last_error_kind", filter.errorKind?.rawValue)
            filters.add("job_id", filter.jobID?.rawValue)
            filters.add("id", filter.afterID, comparison: ">")
            return try await connection.query(filters.query("SELECT * FROM job_external_submissions", "ORDER BY id", limit: filter.limit), logger: logger)
                .collect(table: "job_external_submissions", OutboxEntry.init(postgres:))
        }
    }
}
