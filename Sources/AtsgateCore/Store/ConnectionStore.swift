/// Where organisations' connections live (``StoredConnection``). Every change writes an
/// `audit_log` entry in the same transaction: who, which connection, which keys — never values.
public protocol ConnectionStore: Sendable {
    func connection(organisationID: OrganisationID, target: TargetName) async throws -> StoredConnection?

    /// Every connection, or one organisation's, by organisation and target.
    func connections(organisationID: OrganisationID?) async throws -> [StoredConnection]

    /// Inserts the connection or replaces the one of its organisation and target.
    func saveConnection(_ connection: StoredConnection, changedKeys: [String], actor: String) async throws

    /// Removes a connection; false when there was none.
    func removeConnection(organisationID: OrganisationID, target: TargetName, actor: String) async throws -> Bool

    /// Replaces the sealed secrets of these connections (a key rotation), all in one transaction.
    /// A connection changed since it was read (another `updatedAt`) fails the whole rotation
    /// with ``StoreError``, leaving every secret as it was.
    func resealSecrets(_ connections: [StoredConnection], actor: String) async throws
}
