public import AtsgateCore
@testable public import AtsgatePostgres
public import AtsgateTesting
import Foundation
import PostgresNIO

/// The PostgreSQL engine's side of the conformance suite: states planted and read with SQL.
extension PostgresStore: StoreTestSupport {
    public func contents() async throws -> StoreContents {
        try await read { connection in
            let names = try await connection.query(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = \(location.schema) AND table_name <> 'schema_migrations'",
                logger: logger
            ).collect(table: "information_schema.tables") { try $0.required("table_name", as: String.self) }
            var tables: [String: [String]] = [:]
            for name in names {
                tables[name] = try await connection.query(PostgresQuery(unsafeSQL: "SELECT t::text AS line FROM \(name) AS t ORDER BY 1"), logger: logger)
                    .collect(table: name) { try $0.required("line", as: String.self) }
            }
            return StoreContents(tables: tables)
        }
    }

    public func plantSent(entryID: Int64, externalID: String, jobVersion: Int) async throws {
        try await plant(entryID, """
            UPDATE job_external_submissions
            SET status = 'sent', next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL, external_id = \(externalID), sent_job_version = \(jobVersion)
            WHERE id = \(entryID)
            """)
    }

    public func plantFailed(entryID: Int64, kind: ErrorKind, message: String) async throws {
        try await plant(entryID, """
            UPDATE job_external_submissions
            SET status = 'failed', next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL, last_error_kind = \(kind.rawValue), last_error_message = \(message)
            WHERE id = \(entryID)
            """)
    }

    public func plantFailure(_ failure: PlantedFailure) async throws {
        let condition: String
        let table: String
        switch failure {
        case .storingJob(let id):
            table = "jobs"
            condition = "WHEN (NEW.id = '\(id.rawValue.replacingOccurrences(of: "'", with: "''"))')"
        case .storingAuditEntry:
            table = "audit_log"
            condition = ""
        }
        try await write { connection in
            try await connection.query("""
                CREATE OR REPLACE FUNCTION planted_failure() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'planted failure'; END $$
                """, logger: logger)
            try await connection.query(
                PostgresQuery(unsafeSQL: "CREATE TRIGGER planted_\(table)_failure BEFORE INSERT ON \(table) FOR EACH ROW \(condition) EXECUTE FUNCTION planted_failure()"),
                logger: logger
            )
        }
    }

    public func outcomeUnknown(entryID: Int64) async throws -> Bool {
        try await read { connection in
            try await connection.query("SELECT outcome_unknown FROM job_external_submissions WHERE id = \(entryID)", logger: logger).decodeSingle(Bool.self) ?? false
        }
    }

    public func auditLog() async throws -> [AuditEntry] {
        try await read { connection in
            try await connection.query("SELECT organisation_id, occurred_at, actor, action, subject, details::text AS details FROM audit_log ORDER BY id", logger: logger)
                .collect(table: "audit_log") { row in
                    let action = try row.required("action", as: String.self)
                    guard let known = AuditAction(rawValue: action) else { throw StoreError(.corruptRow, "audit_log.action holds '\(action)'") }
                    let details = (try? JSONSerialization.jsonObject(with: Data(try row.required("details", as: String.self).utf8))) as? [String: String]
                    return AuditEntry(
                        organisationID: try row.optional("organisation_id", as: String.self).map { OrganisationID($0) },
                        occurredAt: try row.required("occurred_at"), actor: try row.required("actor"), action: known,
                        subject: try row.required("subject"), details: details ?? [:]
                    )
                }
        }
    }

    public func remoteLinks() async throws -> [RemoteLink] {
        try await read { connection in
            try await connection.query("SELECT * FROM external_refs ORDER BY created_at, entity_kind, local_id", logger: logger)
                .collect(table: "external_refs") { row in
                    let kind = try row.required("entity_kind", as: String.self)
                    guard let known = RemoteLink.Kind(rawValue: kind) else { throw StoreError(.corruptRow, "external_refs holds kind '\(kind)'") }
                    return RemoteLink(
                        organisationID: OrganisationID(try row.required("organisation_id")), kind: known, localID: try row.required("local_id"),
                        target: try row.targetName("target"), remoteID: try row.required("remote_id")
                    )
                }
        }
    }

    /// Runs an update of outbox row `entryID`; a row that does not exist is refused, as the in-memory engine refuses it.
    private func plant(_ entryID: Int64, _ update: PostgresQuery) async throws {
        var returning = update
        returning.sql += " RETURNING id"
        let update = returning
        let changed = try await write { connection in
            try await connection.query(update, logger: logger).decodeSingle(Int64.self)
        }
        guard changed != nil else { throw OperatorActionError(.notFound, "no outbox row #\(entryID)") }
    }
}
