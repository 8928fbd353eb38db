public import AtsgateCore
public import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore: APIKeyStore {
    public func createAPIKey(_ key: APIKeyRecord) async throws {
        try await write { connection in
            try await connection.query("""
                INSERT INTO api_keys (id, organisation_id, role, name, secret_hash, created_at, created_by)
                VALUES (\(key.id), \(key.organisationID.rawValue), \(key.role.rawValue), \(key.name), \(key.secretHash), \(key.createdAt), \(key.createdBy))
                """, logger: logger)
            try await insertAPIKeyAudit(.apiKeyCreated, key, actor: key.createdBy, at: key.createdAt, connection)
        }
    }

    public func apiKeys(organisationID: OrganisationID?) async throws -> [APIKeyRecord] {
        try await read { connection in
            try await connection.query("""
                SELECT * FROM api_keys WHERE \(organisationID?.rawValue)::text IS NULL OR organisation_id = \(organisationID?.rawValue)
                ORDER BY created_at, id
                """, logger: logger).collect(table: "api_keys", Self.apiKey)
        }
    }

    public func activeAPIKey(secretHash: String) async throws -> APIKeyRecord? {
        try await read { connection in
            try await connection.query(
                "SELECT * FROM api_keys WHERE secret_hash = \(secretHash) AND revoked_at IS NULL", logger: logger
            ).collect(table: "api_keys", Self.apiKey).first
        }
    }

    public func revokeAPIKey(id: String, actor: String, now: Date) async throws -> APIKeyRecord? {
        try await write { connection in
            let revokedNow = try await connection.query(
                "UPDATE api_keys SET revoked_at = \(now) WHERE id = \(id) AND revoked_at IS NULL RETURNING 1", logger: logger
            ).decodeSingle(Int.self) != nil
            guard let key = try await connection.query("SELECT * FROM api_keys WHERE id = \(id)", logger: logger)
                .collect(table: "api_keys", Self.apiKey).first
            else { return nil }
            if revokedNow { try await self.insertAPIKeyAudit(.apiKeyRevoked, key, actor: actor, at: now, connection) }
            return key
        }
    }

    public func organisationIDs() async throws -> [OrganisationID] {
        try await read { connection in
            try await connection.query("SELECT id FROM organisations ORDER BY id", logger: logger)
                .collect(table: "organisations") { OrganisationID(rawValue: try $0.required("id", as: String.self)) }
        }
    }

    private static func apiKey(_ row: StoredRow) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row.required("id"), organisationID: OrganisationID(rawValue: try row.required("organisation_id")),
            role: try row.enumValue("role"), name: try row.optional("name"), secretHash: try row.required("secret_hash"),
            createdAt: try row.required("created_at"), createdBy: try row.required("created_by"), revokedAt: try row.optional("revoked_at")
        )
    }

    private func insertAPIKeyAudit(_ action: AuditAction, _ key: APIKeyRecord, actor: String, at now: Date, _ connection: PostgresConnection) async throws {
        let known = try await connection.query(
            "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = \(key.organisationID.rawValue))", logger: logger
        ).decodeSingle(Bool.self) ?? false
        try await insert(APIKeyAudit.entry(action, key, actor: actor, at: now, organisationKnown: known), connection: connection)
    }
}

extension PostgresStore: IdempotencyStore {
    public func claimIdempotencyKey(
        _ key: String, organisationID: OrganisationID, requestHash: String, now: Date, expiredBefore: Date, abandonedBefore: Date
    ) async throws -> IdempotencyClaim {
        try await write { connection in
            // A forgotten key is replaced; a live one is left for the checks below. The row lock
            // makes a second node's claim of the same key wait for this transaction.
            let claimed = try await connection.query("""
                INSERT INTO idempotency_keys (organisation_id, key, request_hash, created_at)
                VALUES (\(organisationID.rawValue), \(key), \(requestHash), \(now))
                ON CONFLICT (organisation_id, key) DO UPDATE
                SET request_hash = excluded.request_hash, created_at = excluded.created_at, status = NULL, content_type = NULL, location = NULL, body = NULL
                WHERE idempotency_keys.created_at < \(expiredBefore)
                   OR (idempotency_keys.status IS NULL AND idempotency_keys.created_at < \(abandonedBefore))
                RETURNING 1
                """, logger: logger).decodeSingle(Int.self) != nil
            if claimed { return .claimed }
            guard let row = try await connection.query("""
                SELECT request_hash, status, content_type, location, body FROM idempotency_keys
                WHERE organisation_id = \(organisationID.rawValue) AND key = \(key)
                """, logger: logger).collect(table: "idempotency_keys", { $0 }).first
            else { return .inProgress }
            guard try row.required("request_hash", as: String.self) == requestHash else { return .usedForAnotherRequest }
            guard let status = try row.optional("status", as: Int.self) else { return .inProgress }
            let body = try row.optional("body", as: ByteBuffer.self).map { Data($0.readableBytesView) } ?? Data()
            return .answered(RecordedResponse(
                status: status, contentType: try row.optional("content_type") ?? "application/json", location: try row.optional("location"), body: body
            ))
        }
    }

    public func recordIdempotentResponse(_ response: RecordedResponse, key: String, organisationID: OrganisationID) async throws {
        try await write { connection in
            _ = try await connection.query("""
                UPDATE idempotency_keys
                SET status = \(response.status), content_type = \(response.contentType), location = \(response.location), body = \(ByteBuffer(bytes: response.body))
                WHERE organisation_id = \(organisationID.rawValue) AND key = \(key)
                """, logger: logger)
        }
    }

    public func releaseIdempotencyKey(_ key: String, organisationID: OrganisationID) async throws {
        try await write { connection in
            _ = try await connection.query(
                "DELETE FROM idempotency_keys WHERE organisation_id = \(organisationID.rawValue) AND key = \(key) AND status IS NULL", logger: logger
            )
        }
    }

    public func purgeIdempotencyKeys(usedBefore date: Date) async throws -> Int {
        try await write { connection in
            try await connection.query("DELETE FROM idempotency_keys WHERE created_at < \(date) RETURNING 1", logger: logger)
                .collect(table: "idempotency_keys") { _ in 1 }.count
        }
    }
}
