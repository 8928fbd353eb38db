public import AtsgateCore
import Crypto
public import Foundation

/// Makes API keys and their hashes. A key is `atsgate_` + its id + `_` + 32 random bytes in
/// base64url: the id is what lists and logs name, the rest is the secret.
public enum APIKeys {
    /// A new key and the record to store: the key itself is shown once and never stored.
    public static func make(organisationID: OrganisationID, role: APIRole, name: String?, createdBy: String, now: Date) -> (key: String, record: APIKeyRecord) {
        let id = "ak_" + hex(randomBytes(6))
        let key = "atsgate_\(id)_" + base64URL(randomBytes(32))
        let record = APIKeyRecord(
            id: id, organisationID: organisationID, role: role, name: name, secretHash: hash(key), createdAt: now, createdBy: createdBy
        )
        return (key, record)
    }

    /// Lowercase hex SHA-256, as stored.
    public static func hash(_ key: String) -> String {
        hex(SHA256.hash(data: Data(key.utf8)))
    }

    /// Lowercase hex, without `String(format:)`: every request hashes its key, and the formatter
    /// was 4 % of `serve`'s CPU under load.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
