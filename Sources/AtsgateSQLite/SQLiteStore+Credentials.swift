public import AtsgateCore
import Foundation
import GRDB

extension SQLiteStore: CredentialStore {
    public func credential(named name: String, target: TargetName) async throws -> String? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT value FROM target_credentials WHERE target = ? AND name = ?", arguments: [target.rawValue, name])
        }
    }

    public func replaceCredential(named name: String, target: TargetName, expected: String?, with value: String?) async throws -> Bool {
        try await write { db in
            let current = try String.fetchOne(db, sql: "SELECT value FROM target_credentials WHERE target = ? AND name = ?", arguments: [target.rawValue, name])
            guard current == expected else { return false }
            if let value {
                try db.execute(
                    sql: """
                    INSERT INTO target_credentials (target, name, value, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (target, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """,
                    arguments: [target.rawValue, name, value, Date()]
                )
            } else {
                try db.execute(sql: "DELETE FROM target_credentials WHERE target = ? AND name = ?", arguments: [target.rawValue, name])
            }
            return true
        }
    }
}
