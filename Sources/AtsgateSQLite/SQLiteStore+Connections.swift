public import AtsgateCore
import Foundation
import GRDB

extension SQLiteStore: ConnectionStore {
    public func connection(organisationID: OrganisationID, target: TargetName) async throws -> StoredConnection? {
        try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM connections WHERE organisation_id = ? AND target = ?", arguments: [organisationID.rawValue, target.rawValue]
            ).map(Self.connection)
        }
    }

    public func connections(organisationID: OrganisationID?) async throws -> [StoredConnection] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM connections WHERE ? IS NULL OR organisation_id = ? ORDER BY organisation_id, target",
                arguments: [organisationID?.rawValue, organisationID?.rawValue]
            ).map(Self.connection)
        }
    }

    public func saveConnection(_ connection: StoredConnection, changedKeys: [String], actor: String) async throws {
        let settings = try ConnectionRecord.settingsJSON(connection.settings)
        let secrets = try ConnectionRecord.secretsJSON(connection.secrets)
        try await write { db in
            try db.execute(
                sql: """
                INSERT INTO connections (organisation_id, target, kind, settings, secrets, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (organisation_id, target) DO UPDATE
                SET kind = excluded.kind, settings = excluded.settings, secrets = excluded.secrets, updated_at = excluded.updated_at
                """,
                arguments: [
                    connection.organisationID.rawValue, connection.target.rawValue, connection.kind.rawValue, settings, secrets,
                    connection.updatedAt, connection.updatedAt,
                ]
            )
            try Self.insertConnectionAudit(
                .connectionSet, connection.organisationID, connection.target, keys: changedKeys, actor: actor, at: connection.updatedAt, db: db
            )
        }
    }

    public func removeConnection(organisationID: OrganisationID, target: TargetName, actor: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM connections WHERE organisation_id = ? AND target = ?", arguments: [organisationID.rawValue, target.rawValue])
            guard db.changesCount > 0 else { return false }
            try Self.insertConnectionAudit(.connectionRemoved, organisationID, target, keys: [], actor: actor, at: Date(), db: db)
            return true
        }
    }

    public func resealSecrets(_ connections: [StoredConnection], actor: String) async throws {
        let rows = try connections.map { ($0, try ConnectionRecord.secretsJSON($0.secrets)) }
        try await write { db in
            let now = Date()
            for (connection, secrets) in rows {
                try db.execute(
                    sql: "UPDATE connections SET secrets = ?, updated_at = ? WHERE organisation_id = ? AND target = ? AND updated_at = ?",
                    arguments: [secrets, now, connection.organisationID.rawValue, connection.target.rawValue, connection.updatedAt]
                )
                guard db.changesCount == 1 else {
                    throw StoreError(.unavailable, "connection \(connection.name) changed during the rotation; nothing was rotated, run it again")
                }
                try Self.insertConnectionAudit(
                    .secretsRotated, connection.organisationID, connection.target, keys: connection.secrets.keys.sorted(), actor: actor, at: now, db: db
                )
            }
        }
    }

    private static func connection(_ row: Row) throws -> StoredConnection {
        try ConnectionRecord.connection(
            organisationID: row["organisation_id"], target: row["target"], kind: row["kind"],
            settings: row["settings"], secrets: row["secrets"], updatedAt: row["updated_at"]
        )
    }

    /// The organisation is named only once the CRM's data holds it (the audit log refers to it).
    private static func insertConnectionAudit(
        _ action: AuditAction, _ organisationID: OrganisationID, _ target: TargetName, keys: [String], actor: String, at now: Date, db: Database
    ) throws {
        var entry = ConnectionRecord.audit(action, organisationID: organisationID, target: target, keys: keys, actor: actor, at: now)
        let known = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = ?)", arguments: [organisationID.rawValue]) ?? false
        if !known { entry.organisationID = nil }
        try insert(entry, db: db)
    }
}
