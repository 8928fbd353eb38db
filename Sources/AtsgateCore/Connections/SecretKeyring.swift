import Crypto
public import Foundation

/// The keys connection secrets are sealed with: `ATSGATE_SECRET_KEY` (32 bytes, base64) seals,
/// and it or `ATSGATE_SECRET_KEY_PREVIOUS` (during a rotation) opens. AES-GCM binds each secret
/// to its connection and key name, so a sealed value copied to another row does not open.
public struct SecretKeyring: Sendable {
    public static let keyVariable = "ATSGATE_SECRET_KEY"
    public static let previousKeyVariable = "ATSGATE_SECRET_KEY_PREVIOUS"

    struct Key: Sendable {
        let id: String
        let key: SymmetricKey

        init(base64 text: String, variable: String) throws(KeyringError) {
            guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
                throw KeyringError("\(variable) must be 32 random bytes in base64 (openssl rand -base64 32)")
            }
            key = SymmetricKey(data: data)
            id = SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined()
        }
    }

    let current: Key?
    let previous: Key?

    /// The keys the environment holds; either may be missing. A malformed one is an error naming its variable.
    public init(environment: [String: String]) throws(KeyringError) {
        current = try environment[Self.keyVariable].flatMap { $0.isEmpty ? nil : $0 }.map { text throws(KeyringError) in
            try Key(base64: text, variable: Self.keyVariable)
        }
        previous = try environment[Self.previousKeyVariable].flatMap { $0.isEmpty ? nil : $0 }.map { text throws(KeyringError) in
            try Key(base64: text, variable: Self.previousKeyVariable)
        }
    }

    /// The id of the key that seals, if there is one.
    public var currentKeyID: String? { current?.id }

    /// Seals `secret` under the current key for the key `name` of connection `connection`.
    public func seal(_ secret: Secret, name: String, of connection: String) throws(KeyringError) -> SealedSecret {
        guard let current else {
            throw KeyringError("storing a secret needs \(Self.keyVariable) (32 random bytes in base64); give it, or name an environment variable with \(name)_env instead")
        }
        do {
            let box = try AES.GCM.seal(Data(secret.value.utf8), using: current.key, authenticating: Self.context(name, connection))
            guard let combined = box.combined else { throw KeyringError("AES-GCM gave no sealed box") }
            return SealedSecret(keyID: current.id, box: combined.base64EncodedString())
        } catch let error as KeyringError {
            throw error
        } catch {
            throw KeyringError("cannot seal \(name) of connection \(connection): \(type(of: error))")
        }
    }

    /// The clear value of `sealed`, with whichever key sealed it.
    public func open(_ sealed: SealedSecret, name: String, of connection: String) throws(KeyringError) -> Secret {
        guard let key = [current, previous].compactMap({ $0 }).first(where: { $0.id == sealed.keyID }) else {
            let known = [current.map { "\(Self.keyVariable) is key \($0.id)" }, previous.map { "\(Self.previousKeyVariable) is key \($0.id)" }]
                .compactMap { $0 }
            throw KeyringError(
                "\(name) of connection \(connection) was sealed with key \(sealed.keyID), which this process does not hold"
                    + (known.isEmpty ? " (\(Self.keyVariable) is not set)" : " (\(known.joined(separator: ", ")))")
            )
        }
        guard let data = Data(base64Encoded: sealed.box),
              let box = try? AES.GCM.SealedBox(combined: data),
              let clear = try? AES.GCM.open(box, using: key.key, authenticating: Self.context(name, connection)),
              let text = String(data: clear, encoding: .utf8)
        else {
            throw KeyringError("\(name) of connection \(connection) does not open with key \(sealed.keyID): it was altered or belongs to another connection")
        }
        return Secret(text)
    }

    private static func context(_ name: String, _ connection: String) -> Data {
        Data("atsgate connection \(connection) \(name)".utf8)
    }
}

/// Why a secret cannot be sealed or opened; never holds a secret.
public struct KeyringError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
