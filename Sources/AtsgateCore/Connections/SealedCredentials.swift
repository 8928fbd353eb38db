public import Foundation

/// Session credentials a target rotates (Bullhorn's refresh token), sealed at rest under the
/// keyring's current key like connection secrets. Without a key they are kept as before, in
/// clear; one that no longer opens (the key changed) reads as absent, so the connector logs in
/// with its password again and stores a new one.
public struct SealedCredentials: CredentialStore {
    public let store: any CredentialStore
    public let keyring: SecretKeyring

    static let prefix = "sealed:"

    public init(_ store: any CredentialStore, keyring: SecretKeyring) {
        self.store = store
        self.keyring = keyring
    }

    public func credential(named name: String, target: TargetName) async throws -> String? {
        open(try await store.credential(named: name, target: target), name: name, target: target)
    }

    public func replaceCredential(named name: String, target: TargetName, expected: String?, with value: String?) async throws -> Bool {
        let stored = try await store.credential(named: name, target: target)
        guard open(stored, name: name, target: target) == expected else { return false }
        let sealed = try value.map { value in try seal(value, name: name, target: target) }
        return try await store.replaceCredential(named: name, target: target, expected: stored, with: sealed)
    }

    private func seal(_ value: String, name: String, target: TargetName) throws -> String {
        guard keyring.currentKeyID != nil else { return value }
        let sealed = try keyring.seal(Secret(value), name: name, of: "target \(target.rawValue)")
        return Self.prefix + String(decoding: try JSONEncoder().encode(sealed), as: UTF8.self)
    }

    private func open(_ stored: String?, name: String, target: TargetName) -> String? {
        guard let stored, stored.hasPrefix(Self.prefix) else { return stored }
        guard let sealed = try? JSONDecoder().decode(SealedSecret.self, from: Data(stored.dropFirst(Self.prefix.count).utf8)),
              let secret = try? keyring.open(sealed, name: name, of: "target \(target.rawValue)")
        else { return nil }
        return secret.value
    }
}
