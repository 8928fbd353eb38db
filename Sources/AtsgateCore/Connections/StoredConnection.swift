public import Foundation

/// One organisation's account at one target: the kind's endpoint settings and credentials, as
/// stored. Settings hold no secret (an `*_env` setting names a variable; its value stays in the
/// environment); secrets given inline are kept sealed (``SealedSecret``), never in clear.
public struct StoredConnection: Hashable, Sendable {
    public var organisationID: OrganisationID
    public var target: TargetName
    public var kind: TargetKind
    /// Every key of the connection file but the inline secrets, e.g. `agency_slug`, `api_key_env`.
    public var settings: [String: ConnectionValue]
    /// The inline secrets by key (`api_key`, `password`…), sealed under a key of the keyring.
    public var secrets: [String: SealedSecret]
    public var updatedAt: Date

    public init(
        organisationID: OrganisationID, target: TargetName, kind: TargetKind,
        settings: [String: ConnectionValue], secrets: [String: SealedSecret], updatedAt: Date
    ) {
        self.organisationID = organisationID
        self.target = target
        self.kind = kind
        self.settings = settings
        self.secrets = secrets
        self.updatedAt = updatedAt
    }

    /// `ORGANISATION/TARGET`, as commands and messages name a connection.
    public var name: String { "\(organisationID.rawValue)/\(target.rawValue)" }

    /// The keys whose values differ from `previous` (added, changed or removed), sorted: what an
    /// audit entry records, never the values. A secret counts as changed when its clear value does,
    /// which sealing alone cannot tell; callers pass the secrets they were given as `resubmitted`.
    public func changedKeys(since previous: StoredConnection?, resubmitted: Set<String>) -> [String] {
        let before = previous?.settings ?? [:]
        let keys = Set(settings.keys).union(before.keys).filter { settings[$0] != before[$0] }
        let secretKeys = Set(secrets.keys).union(previous.map { Array($0.secrets.keys) } ?? [])
            .filter { resubmitted.contains($0) || (secrets[$0] == nil) != (previous?.secrets[$0] == nil) }
        return keys.union(secretKeys).sorted()
    }
}

/// A setting's value in a connection file: text, or a list of text (email's `to`).
public enum ConnectionValue: Hashable, Sendable, Codable {
    case text(String)
    case list([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .list(try container.decode([String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .list(let list): try container.encode(list)
        }
    }
}

/// A secret encrypted with AES-GCM under the keyring key `keyID` (``SecretKeyring``).
public struct SealedSecret: Hashable, Sendable, Codable {
    /// Which key sealed it: the first 8 bytes of the key's SHA-256, in hex.
    public var keyID: String
    /// Nonce, ciphertext and tag, base64.
    public var box: String

    public init(keyID: String, box: String) {
        self.keyID = keyID
        self.box = box
    }

    enum CodingKeys: String, CodingKey {
        case keyID = "key_id"
        case box
    }
}
