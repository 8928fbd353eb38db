public import AtsgateCore
@testable public import AtsgateSQLite
public import AtsgateTesting
import Foundation
import GRDB

/// The SQLite engine's side of the conformance suite: states planted and read with SQL.
extension SQLiteStore: StoreTestSupport {
    public func contents() async throws -> StoreContents {
        StoreContents(tables: try await dumpTables())
    }

    public func plantSent(entryID: Int64, externalID: String, jobVersion: Int) async throws {
        try await plant(
            entryID,
            "status = 'sent', next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL, external_id = ?, sent_job_version = ?",
            [externalID, jobVersion]
        )
    }

    public func plantFailed(entryID: Int64, kind: ErrorKind, message: String) async throws {
        try await plant(
            entryID,
            "status = 'failed', next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL, last_error_kind = ?, last_error_message = ?",
            [kind.rawValue, message]
        )
    }

    public func plantFailure(_ failure: PlantedFailure) async throws {
        switch failure {
        case .storingJob(let id):
            try await execute(
                "CREATE TRIGGER planted_job_failure BEFORE INSERT ON jobs WHEN NEW.id = ? BEGIN SELECT RAISE(ABORT, 'planted failure'); END"
                    .replacingOccurrences(of: "?", with: "'\(id.rawValue.replacingOccurrences(of: "'", with: "''"))'")
            )
        case .storingAuditEntry:
            try await execute("CREATE TRIGGER planted_audit_failure BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'planted failure'); END")
        }
    }

    public func outcomeUnknown(entryID: Int64) async throws -> Bool {
        try await reader.read { db in
            try Bool.fetchOne(db, sql: "SELECT outcome_unknown FROM job_external_submissions WHERE id = ?", arguments: [entryID]) ?? false
        }
    }

    public func auditLog() async throws -> [AuditEntry] {
        try await reader.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY id").map { row in
                let action: String = row["action"]
                guard let known = AuditAction(rawValue: action) else { throw StoreError(.corruptRow, "audit_log.action holds '\(action)'") }
                let details = (try? JSONSerialization.jsonObject(with: Data((row["details"] as String).utf8))) as? [String: String]
                return AuditEntry(
                    organisationID: (row["organisation_id"] as String?).map { OrganisationID($0) }, occurredAt: row["occurred_at"],
                    actor: row["actor"], action: known, subject: row["subject"], details: details ?? [:]
                )
            }
        }
    }

    public func remoteLinks() async throws -> [RemoteLink] {
        try await reader.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM external_refs ORDER BY rowid").map { row in
                let kind: String = row["entity_kind"]
                let target: String = row["target"]
                guard let known = RemoteLink.Kind(rawValue: kind), let name = TargetName(rawValue: target) else {
                    throw StoreError(.corruptRow, "external_refs holds kind '\(kind)', target '\(target)'")
                }
                return RemoteLink(
                    organisationID: OrganisationID(row["organisation_id"] as String), kind: known, localID: row["local_id"],
                    target: name, remoteID: row["remote_id"]
                )
            }
        }
    }

    /// Sets `assignments` on outbox row `entryID`; a row that does not exist is refused, as the in-memory engine refuses it.
    private func plant(_ entryID: Int64, _ assignments: String, _ arguments: StatementArguments) async throws {
        let changed = try await writer.write { db in
            try db.execute(sql: "UPDATE job_external_submissions SET \(assignments) WHERE id = ?", arguments: arguments + [entryID])
            return db.changesCount
        }
        guard changed == 1 else { throw OperatorActionError(.notFound, "no outbox row #\(entryID)") }
    }

    private func execute(_ sql: String, _ arguments: StatementArguments = []) async throws {
        try await writer.write { db in try db.execute(sql: sql, arguments: arguments) }
    }
}
