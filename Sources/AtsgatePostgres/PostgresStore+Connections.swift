public import AtsgateCore
import Foundation
import PostgresNIO

extension PostgresStore: ConnectionStore {
    public func connection(organisationID: OrganisationID, target: TargetName) async throws -> StoredConnection? {
        try await read { connection in
            try await connection.query("""
                SELECT organisation_id, target, kind, settings::text AS settings, secrets::text AS secrets, updated_at
                FROM connections WHERE organisation_id = \(organisationID.rawValue) AND target = \(target.rawValue)
                """, logger: logger).collect(table: "connections", Self.connection).first
        }
    }

    public func connections(organisationID: OrganisationID?) async throws -> [StoredConnection] {
        try await read { connection in
            try await connection.query("""
                SELECT organisation_id, target, kind, settings::text AS settings, secrets::text AS secrets, updated_at
                FROM connections WHERE \(organisationID?.rawValue)::text IS NULL OR organisation_id = \(organisationID?.rawValue)
                ORDER BY organisation_id, target
                """, logger: logger).collect(table: "connections", Self.connection)
        }
    }

    public func saveConnection(_ stored: StoredConnection, changedKeys: [String], actor: String) async throws {
        let settings = try ConnectionRecord.settingsJSON(stored.settings)
        let secrets = try ConnectionRecord.secretsJSON(stored.secrets)
        try await write { connection in
            try await connection.query("""
                INSERT INTO connections (organisation_id, target, kind, settings, secrets, created_at, updated_at)
                VALUES (\(stored.organisationID.rawValue), \(stored.target.rawValue), \(stored.kind.rawValue), \(settings)::jsonb, \(secrets)::jsonb,
                        \(stored.updatedAt), \(stored.updatedAt))
                ON CONFLICT (organisation_id, target) DO UPDATE
                SET kind = excluded.kind, settings = excluded.settings, secrets = excluded.secrets, updated_at = excluded.updated_at
                """, logger: logger)
            try await insertConnectionAudit(.connectionSet, stored.organisationID, stored.target, keys: changedKeys, actor: actor, at: stored.updatedAt, connection)
        }
    }

    public func removeConnection(organisationID: OrganisationID, target: TargetName, actor: String) async throws -> Bool {
        try await write { connection in
            let removed = try await connection.query(
                "DELETE FROM connections WHERE organisation_id = \(organisationID.rawValue) AND target = \(target.rawValue) RETURNING 1", logger: logger
            ).decodeSingle(Int.self)
            guard removed != nil else { return false }
            try await insertConnectionAudit(.connectionRemoved, organisationID, target, keys: [], actor: actor, at: Date(), connection)
            return true
        }
    }

    public func resealSecrets(_ connections: [StoredConnection], actor: String) async throws {
        let rows = try connections.map { ($0, try ConnectionRecord.secretsJSON($0.secrets)) }
        try await write { connection in
            let now = Date()
            for (stored, secrets) in rows {
                let updated = try await connection.query("""
                    UPDATE connections SET secrets = \(secrets)::jsonb, updated_at = \(now)
                    WHERE organisation_id = \(stored.organisationID.rawValue) AND target = \(stored.target.rawValue) AND updated_at = \(stored.updatedAt)
                    RETURNING 1
                    """, logger: logger).decodeSingle(Int.self)
                guard updated != nil else {
                    throw StoreError(.unavailable, "connection \(stored.name) changed during the rotation; nothing was rotated, run it again")
                }
                try await insertConnectionAudit(
                    .secretsRotated, stored.organisationID, stored.target, keys: stored.secrets.keys.sorted(), actor: actor, at: now, connection
                )
            }
        }
    }

    private static func connection(_ row: StoredRow) throws -> StoredConnection {
        try ConnectionRecord.connection(
            organisationID: try row.required("organisation_id"), target: try row.required("target"), kind: try row.required("kind"),
            settings: try row.required("settings"), secrets: try row.required("secrets"), updatedAt: try row.required("updated_at")
        )
    }

    /// The organisation is named only once the CRM's data holds it (the audit log refers to it).
    private func insertConnectionAudit(
        _ action: AuditAction, _ organisationID: OrganisationID, _ target: TargetName, keys: [String], actor: String, at now: Date,
        _ connection: PostgresConnection
    ) async throws {
        var entry = ConnectionRecord.audit(action, organisationID: organisationID, target: target, keys: keys, actor: actor, at: now)
        let known = try await connection.query(
            "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = \(organisationID.rawValue))", logger: logger
        ).decodeSingle(Bool.self) ?? false
        if !known { entry.organisationID = nil }
        try await insert(entry, connection: connection)
    }
}
