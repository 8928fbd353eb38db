/// The connectors the dispatcher delivers with: one per connection, the account of one
/// organisation at one target (its own, or the target's default).
public protocol ConnectorDirectory: Sendable {
    /// The targets this build has a connector for; rows of the others stay pending.
    var targets: Set<TargetName> { get }

    /// What the target's connectors can do (the same for every connection to it).
    func capabilities(of target: TargetName) -> ConnectorCapabilities

    /// The connector for `organisation`'s connection to `target`.
    ///
    /// - Throws: ``ConnectorError`` of kind `config` when the organisation has no usable
    ///   connection (none and no default, a secret that cannot be opened).
    func connector(for target: TargetName, organisation: OrganisationID) async throws(ConnectorError) -> any Connector

    /// Removes every secret this directory knows from an error before it is stored or logged.
    func redact(_ error: ConnectorError) -> ConnectorError

    /// The organisations with a connection of their own to each target: each is a lane of its
    /// own (``DeliveryLane``). May be a few seconds old.
    func ownConnections() async -> [TargetName: Set<OrganisationID>]
}

/// One connector per target for every organisation: the target files' credentials only.
public struct FixedConnectors: ConnectorDirectory {
    public let connectors: [TargetName: any Connector]
    let redactor: SecretRedactor

    public init(_ connectors: [TargetName: any Connector], redactor: SecretRedactor = SecretRedactor(secrets: [])) {
        self.connectors = connectors
        self.redactor = redactor
    }

    public var targets: Set<TargetName> { Set(connectors.keys) }

    public func capabilities(of target: TargetName) -> ConnectorCapabilities {
        connectors[target]?.capabilities ?? []
    }

    public func connector(for target: TargetName, organisation: OrganisationID) async throws(ConnectorError) -> any Connector {
        guard let connector = connectors[target] else {
            throw .config(setting: "connectors/\(target.rawValue).yaml", reason: "no connector is available in this build")
        }
        return connector
    }

    public func redact(_ error: ConnectorError) -> ConnectorError {
        redactor.redact(error)
    }
}

extension FixedConnectors {
    /// Every organisation delivers through the target's default connection.
    public func ownConnections() async -> [TargetName: Set<OrganisationID>] { [:] }
}
