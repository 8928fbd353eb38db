public import AtsgateCore
public import Foundation
import GRDB

extension SQLiteStore: APIKeyStore {
    public func createAPIKey(_ key: APIKeyRecord) async throws {
        try await write { db in
            try db.execute(
                sql: """
                INSERT INTO api_keys (id, organisation_id, role, name, secret_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [key.id, key.organisationID.rawValue, key.role.rawValue, key.name, key.secretHash, key.createdAt, key.createdBy]
            )
            try Self.insertAPIKeyAudit(.apiKeyCreated, key, actor: key.createdBy, at: key.createdAt, db: db)
        }
    }

    public func apiKeys(organisationID: OrganisationID?) async throws -> [APIKeyRecord] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM api_keys WHERE ? IS NULL OR organisation_id = ? ORDER BY created_at, id",
                arguments: [organisationID?.rawValue, organisationID?.rawValue]
            ).map(Self.apiKey)
        }
    }

    public func activeAPIKey(secretHash: String) async throws -> APIKeyRecord? {
        try await read { db in
            try db.cachedFetchOne(
                sql: "SELECT * FROM api_keys WHERE secret_hash = ? AND revoked_at IS NULL", arguments: [secretHash], Self.apiKey
            )
        }
    }

    public func revokeAPIKey(id: String, actor: String, now: Date) async throws -> APIKeyRecord? {
        try await write { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now, id])
            let revokedNow = db.changesCount > 0
            guard let key = try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE id = ?", arguments: [id]).map(Self.apiKey) else { return nil }
            if revokedNow { try Self.insertAPIKeyAudit(.apiKeyRevoked, key, actor: actor, at: now, db: db) }
            return key
        }
    }

    public func organisationIDs() async throws -> [OrganisationID] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT id FROM organisations ORDER BY id").map(OrganisationID.init(rawValue:))
        }
    }

    private static func apiKey(_ row: Row) throws -> APIKeyRecord {
        let roleText: String = row["role"]
        guard let role = APIRole(rawValue: roleText) else { throw StoreError(.corruptRow, "api_keys.role holds '\(roleText)'") }
        return APIKeyRecord(
            id: row["id"], organisationID: OrganisationID(rawValue: row["organisation_id"]), role: role, name: row["name"],
            secretHash: row["secret_hash"], createdAt: row["created_at"], createdBy: row["created_by"], revokedAt: row["revoked_at"]
        )
    }

    private static func insertAPIKeyAudit(_ action: AuditAction, _ key: APIKeyRecord, actor: String, at now: Date, db: Database) throws {
        let known = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = ?)", arguments: [key.organisationID.rawValue]) ?? false
        try insert(APIKeyAudit.entry(action, key, actor: actor, at: now, organisationKnown: known), db: db)
    }
}

extension SQLiteStore: IdempotencyStore {
    public func claimIdempotencyKey(
        _ key: String, organisationID: OrganisationID, requestHash: String, now: Date, expiredBefore: Date, abandonedBefore: Date
    ) async throws -> IdempotencyClaim {
        try await write { db in
            let arguments: StatementArguments = [organisationID.rawValue, key]
            if let row = try db.cachedFetchOne(sql: "SELECT * FROM idempotency_keys WHERE organisation_id = ? AND key = ?", arguments: arguments, { $0.copy() }) {
                let createdAt: Date = row["created_at"]
                let status: Int? = row["status"]
                let forgotten = createdAt < expiredBefore || (status == nil && createdAt < abandonedBefore)
                if !forgotten {
                    guard row["request_hash"] == requestHash else { return .usedForAnotherRequest }
                    guard let status else { return .inProgress }
                    return .answered(RecordedResponse(
                        status: status, contentType: row["content_type"] ?? "application/json", location: row["location"], body: row["body"] ?? Data()
                    ))
                }
                try db.cachedExecute(sql: "DELETE FROM idempotency_keys WHERE organisation_id = ? AND key = ?", arguments: arguments)
            }
            try db.cachedExecute(
                sql: "INSERT INTO idempotency_keys (organisation_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)",
                arguments: [organisationID.rawValue, key, requestHash, now.storageText]
            )
            return .claimed
        }
    }

    public func recordIdempotentResponse(_ response: RecordedResponse, key: String, organisationID: OrganisationID) async throws {
        try await write { db in
            try db.cachedExecute(
                sql: "UPDATE idempotency_keys SET status = ?, content_type = ?, location = ?, body = ? WHERE organisation_id = ? AND key = ?",
                arguments: [response.status, response.contentType, response.location, response.body, organisationID.rawValue, key]
            )
        }
    }

    public func releaseIdempotencyKey(_ key: String, organisationID: OrganisationID) async throws {
        try await write { db in
            try db.cachedExecute(
                sql: "DELETE FROM idempotency_keys WHERE organisation_id = ? AND key = ? AND status IS NULL", arguments: [organisationID.rawValue, key]
            )
        }
    }

    public func purgeIdempotencyKeys(usedBefore date: Date) async throws -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM idempotency_keys WHERE created_at < ?", arguments: [date.storageText])
            return db.changesCount
        }
    }
}
