public import AtsgateCore
public import Foundation
import GRDB

extension SQLiteStore: CreationClaimStore {
    public func claimCreation(_ key: CreationKey, owner: String, now: Date, leaseUntil: Date, answersSince: Date) async throws -> CreationClaim {
        try await write { db in
            let stored = try Self.creationClaim(key, db: db)
            let claim = CreationClaimRecord.claim(stored, owner: owner, now: now, answersSince: answersSince)
            if claim == .claimed {
                try Self.store(.claimed(by: owner, until: leaseUntil, now: now), for: key, db: db)
            }
            return claim
        }
    }

    public func finishCreation(_ key: CreationKey, owner: String, remoteID: String?, now: Date) async throws {
        try await write { db in
            guard try Self.creationClaim(key, db: db)?.owner == owner else { return }
            if let remoteID {
                try Self.store(.finished(remoteID: remoteID, now: now), for: key, db: db)
            } else {
                try db.execute(sql: "DELETE FROM creation_claims WHERE target = ? AND key = ?", arguments: [key.target.rawValue, key.key])
            }
            try db.cachedExecute(
                sql: "DELETE FROM creation_claims WHERE target = ? AND owner IS NULL AND updated_at < ?",
                arguments: [key.target.rawValue, now.addingTimeInterval(-CreationClaimRecord.retention.timeInterval).storageText]
            )
        }
    }

    private static func creationClaim(_ key: CreationKey, db: Database) throws -> CreationClaimRecord? {
        try db.cachedFetchOne(
            sql: "SELECT owner, lease_expires_at, remote_id, updated_at FROM creation_claims WHERE target = ? AND key = ?",
            arguments: [key.target.rawValue, key.key]
        ) { row in
            CreationClaimRecord(
                owner: row["owner"], leaseExpiresAt: row["lease_expires_at"], remoteID: row["remote_id"],
                updatedAt: try row.required("updated_at", in: "creation_claims")
            )
        }
    }

    private static func store(_ record: CreationClaimRecord, for key: CreationKey, db: Database) throws {
        try db.cachedExecute(
            sql: """
            INSERT INTO creation_claims (target, key, owner, lease_expires_at, remote_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (target, key) DO UPDATE SET owner = excluded.owner, lease_expires_at = excluded.lease_expires_at,
                remote_id = excluded.remote_id, updated_at = excluded.updated_at
            """,
            arguments: [key.target.rawValue, key.key, record.owner, record.leaseExpiresAt.storageText, record.remoteID, record.updatedAt.storageText]
        )
    }
}
