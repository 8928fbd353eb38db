public import AtsgateCore
import Foundation
import PostgresNIO

extension PostgresStore: CredentialStore {
    public func credential(named name: String, target: TargetName) async throws -> String? {
        try await read { connection in
            try await connection.query(
                "SELECT value FROM target_credentials WHERE target = \(target.rawValue) AND name = \(name)", logger: logger
            ).decodeSingle(String.self)
        }
    }

    public func replaceCredential(named name: String, target: TargetName, expected: String?, with value: String?) async throws -> Bool {
        try await write { connection in
            // The row lock makes compare-and-swap hold against another node doing the same.
            let current = try await connection.query(
                "SELECT value FROM target_credentials WHERE target = \(target.rawValue) AND name = \(name) FOR UPDATE", logger: logger
            ).decodeSingle(String.self)
            guard current == expected else { return false }
            if let value {
                // Two nodes storing the first value at once: the second finds the row taken and loses.
                let inserted = try await connection.query("""
                    INSERT INTO target_credentials (target, name, value, updated_at) VALUES (\(target.rawValue), \(name), \(value), \(Date()))
                    ON CONFLICT (target, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    WHERE \(current == nil) = false
                    RETURNING 1
                    """, logger: logger).decodeSingle(Int.self)
                return inserted != nil
            }
            try await connection.query("DELETE FROM target_credentials WHERE target = \(target.rawValue) AND name = \(name)", logger: logger)
            return true
        }
    }
}
