public import AtsgateCore
import Foundation

/// Mirrors SQLiteStore+Credentials.swift: a compare-and-swap per (target, name).
extension InMemoryStore: CredentialStore {
    public func credential(named name: String, target: TargetName) async throws -> String? {
        try read { state in state.credentials[CredentialKey(target: target, name: name)]?.value }
    }

    public func replaceCredential(named name: String, target: TargetName, expected: String?, with value: String?) async throws -> Bool {
        try write { state in
            let key = CredentialKey(target: target, name: name)
            guard state.credentials[key]?.value == expected else { return false }
            // The protocol passes no instant; the SQLite engine stamps `updated_at` with the wall clock too.
            state.credentials[key] = value.map { CredentialRow(value: $0, updatedAt: Date().atStoragePrecision) }
            return true
        }
    }
}
