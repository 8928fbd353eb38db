public import Foundation

/// The account a delivery of one organisation to one target uses.
public struct ResolvedConnection: Sendable {
    /// `ORGANISATION/TARGET` for an organisation's own connection, `TARGET (default)` for the target file's.
    public var name: String
    /// The organisation whose own connection this is; `nil` for the target's default.
    public var organisationID: OrganisationID?
    /// The target with this connection's endpoint settings.
    public var target: TargetConfiguration
    /// Inline secrets, by the names the settings give them (``ConnectionResolver/label(_:of:)``).
    public var secrets: [String: Secret]
    /// When the stored connection last changed; `nil` for the default.
    public var updatedAt: Date?

    public var isDefault: Bool { organisationID == nil }
}

/// Turns a stored connection (or its absence) into the ``ResolvedConnection`` to deliver with.
public struct ConnectionResolver: Sendable {
    public var keyring: SecretKeyring

    public init(keyring: SecretKeyring) {
        self.keyring = keyring
    }

    /// The organisation's own connection if it has one, else the target's default.
    ///
    /// - Throws: ``ConnectorError`` of kind `config` naming the organisation and the target when
    ///   there is neither, when the stored connection was made for another kind of target, or
    ///   when a secret cannot be opened (``SecretKeyring``) — a clear error on the rows that need it.
    public func resolve(_ stored: StoredConnection?, organisation: OrganisationID, target: TargetConfiguration) throws(ConnectorError) -> ResolvedConnection {
        guard let stored else {
            guard target.hasDefaultConnection else {
                throw .config(
                    setting: "connections",
                    reason: "organisation '\(organisation.rawValue)' has no connection to target '\(target.name.rawValue)', which requires one (atsgate connections set --organisation \(organisation.rawValue) --target \(target.name.rawValue) --file FILE)"
                )
            }
            return ResolvedConnection(name: "\(target.name.rawValue) (default)", organisationID: nil, target: target, secrets: [:], updatedAt: nil)
        }
        guard stored.kind == target.kind else {
            throw .config(
                setting: "connections",
                reason: "connection \(stored.name) was set up for a \(stored.kind.rawValue) target, but target '\(target.name.rawValue)' is \(target.kind.rawValue); set it again"
            )
        }
        var secrets: [String: Secret] = [:]
        for (key, sealed) in stored.secrets {
            do throws(KeyringError) {
                secrets[Self.label(key, of: stored.name)] = try keyring.open(sealed, name: key, of: stored.name)
            } catch {
                throw .config(setting: key, reason: error.message)
            }
        }
        var resolved = target
        do throws(ConfigurationError) {
            resolved.settings = try ConnectionDocument.kindSettings(
                stored.kind, settings: stored.settings, inlineSecrets: Set(stored.secrets.keys), label: { Self.label($0, of: stored.name) },
                file: "connection \(stored.name)"
            )
        } catch {
            // Lines of the document made from the stored settings mean nothing to the reader.
            var stored = error
            stored.line = nil
            throw .config(setting: "connections", reason: stored.description)
        }
        return ResolvedConnection(name: stored.name, organisationID: stored.organisationID, target: resolved, secrets: secrets, updatedAt: stored.updatedAt)
    }

    /// How an inline secret is named in messages and looked up by a connector: `api_key of connection org-a/loxo`.
    public static func label(_ key: String, of connection: String) -> String {
        "\(key) of connection \(connection)"
    }
}
