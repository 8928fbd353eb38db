public import Foundation

/// How the stores keep a connection's settings and sealed secrets: two JSON objects.
public enum ConnectionRecord {
    public static func settingsJSON(_ settings: [String: ConnectionValue]) throws -> String {
        try json(settings)
    }

    public static func secretsJSON(_ secrets: [String: SealedSecret]) throws -> String {
        try json(secrets)
    }

    /// The stored connection from its row's columns; a column that does not decode is a
    /// ``StoreError/Code/corruptRow`` naming the connection.
    public static func connection(
        organisationID: String, target: String, kind: String, settings: String, secrets: String, updatedAt: Date
    ) throws(StoreError) -> StoredConnection {
        let name = "\(organisationID)/\(target)"
        guard let targetName = TargetName(rawValue: target), let targetKind = TargetKind(rawValue: kind) else {
            throw StoreError(.corruptRow, "connections: connection \(name) holds target '\(target)' of kind '\(kind)'")
        }
        let decoder = JSONDecoder()
        guard let decodedSettings = try? decoder.decode([String: ConnectionValue].self, from: Data(settings.utf8)),
              let decodedSecrets = try? decoder.decode([String: SealedSecret].self, from: Data(secrets.utf8))
        else {
            throw StoreError(.corruptRow, "connections: the settings or secrets of connection \(name) are not the JSON atsgate writes")
        }
        return StoredConnection(
            organisationID: OrganisationID(organisationID), target: targetName, kind: targetKind,
            settings: decodedSettings, secrets: decodedSecrets, updatedAt: updatedAt
        )
    }

    /// The audit entry of a change to `connection`: which keys, never their values.
    public static func audit(
        _ action: AuditAction, organisationID: OrganisationID, target: TargetName, keys: [String], actor: String, at now: Date
    ) -> AuditEntry {
        var details = ["target": target.rawValue]
        if !keys.isEmpty { details["keys"] = keys.joined(separator: ",") }
        return AuditEntry(
            organisationID: organisationID, occurredAt: now, actor: actor, action: action,
            subject: "connection:\(organisationID.rawValue)/\(target.rawValue)", details: details
        )
    }

    private static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
