public import AtsgateCore
public import Foundation
import PostgresNIO

extension PostgresStore: CreationClaimStore {
    public func claimCreation(_ key: CreationKey, owner: String, now: Date, leaseUntil: Date, answersSince: Date) async throws -> CreationClaim {
        try await write { connection in
            // A row to lock, so two nodes claiming the same key at once take turns.
            try await connection.query("""
                INSERT INTO creation_claims (target, key, updated_at) VALUES (\(key.target.rawValue), \(key.key), \(now))
                ON CONFLICT (target, key) DO NOTHING
                """, logger: logger)
            let stored = try await creationClaim(key, connection: connection)
            // A row just inserted holds no owner and no answer: nothing is stored yet.
            let current = stored.flatMap { $0.owner == nil && $0.remoteID == nil ? nil : $0 }
            let claim = CreationClaimRecord.claim(current, owner: owner, now: now, answersSince: answersSince)
            if claim == .claimed {
                try await store(.claimed(by: owner, until: leaseUntil, now: now), for: key, connection: connection)
            }
            return claim
        }
    }

    public func finishCreation(_ key: CreationKey, owner: String, remoteID: String?, now: Date) async throws {
        try await write { connection in
            guard try await creationClaim(key, connection: connection)?.owner == owner else { return }
            if let remoteID {
                try await store(.finished(remoteID: remoteID, now: now), for: key, connection: connection)
            } else {
                try await connection.query("DELETE FROM creation_claims WHERE target = \(key.target.rawValue) AND key = \(key.key)", logger: logger)
            }
            let expiredBefore = now.addingTimeInterval(-CreationClaimRecord.retention.timeInterval)
            try await connection.query(
                "DELETE FROM creation_claims WHERE target = \(key.target.rawValue) AND owner IS NULL AND updated_at < \(expiredBefore)", logger: logger
            )
        }
    }

    private func creationClaim(_ key: CreationKey, connection: PostgresConnection) async throws -> CreationClaimRecord? {
        try await connection.query("""
            SELECT owner, lease_expires_at, remote_id, updated_at FROM creation_claims
            WHERE target = \(key.target.rawValue) AND key = \(key.key) FOR UPDATE
            """, logger: logger).first(table: "creation_claims") { row in
            CreationClaimRecord(
                owner: try row.optional("owner"), leaseExpiresAt: try row.optional("lease_expires_at"), remoteID: try row.optional("remote_id"),
                updatedAt: try row.required("updated_at")
            )
        }
    }

    private func store(_ record: CreationClaimRecord, for key: CreationKey, connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE creation_claims
            SET owner = \(record.owner), lease_expires_at = \(record.leaseExpiresAt), remote_id = \(record.remoteID), updated_at = \(record.updatedAt)
            WHERE target = \(key.target.rawValue) AND key = \(key.key)
            """, logger: logger)
    }
}
