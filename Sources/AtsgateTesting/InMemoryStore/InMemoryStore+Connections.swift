public import AtsgateCore
import Foundation

extension InMemoryStore: ConnectionStore {
    public func connection(organisationID: OrganisationID, target: TargetName) async throws -> StoredConnection? {
        try read { $0.connections[ConnectionKey(organisationID: organisationID, target: target)] }
    }

    public func connections(organisationID: OrganisationID?) async throws -> [StoredConnection] {
        try read { state in
            state.connections.filter { organisationID == nil || $0.key.organisationID == organisationID }
                .sorted { $0.key < $1.key }.map(\.value)
        }
    }

    public func saveConnection(_ connection: StoredConnection, changedKeys: [String], actor: String) async throws {
        try write { state in
            var stored = connection
            stored.updatedAt = connection.updatedAt.atStoragePrecision
            state.connections[ConnectionKey(organisationID: connection.organisationID, target: connection.target)] = stored
            try state.insertConnectionAudit(.connectionSet, connection, keys: changedKeys, actor: actor, at: connection.updatedAt)
        }
    }

    public func removeConnection(organisationID: OrganisationID, target: TargetName, actor: String) async throws -> Bool {
        try write { state in
            guard let removed = state.connections.removeValue(forKey: ConnectionKey(organisationID: organisationID, target: target)) else { return false }
            try state.insertConnectionAudit(.connectionRemoved, removed, keys: [], actor: actor, at: Date())
            return true
        }
    }

    public func resealSecrets(_ connections: [StoredConnection], actor: String) async throws {
        try write { state in
            let now = Date().atStoragePrecision
            for connection in connections {
                let key = ConnectionKey(organisationID: connection.organisationID, target: connection.target)
                guard state.connections[key]?.updatedAt == connection.updatedAt.atStoragePrecision else {
                    throw StoreError(.unavailable, "connection \(connection.name) changed during the rotation; nothing was rotated, run it again")
                }
                var resealed = connection
                resealed.updatedAt = now
                state.connections[key] = resealed
                try state.insertConnectionAudit(.secretsRotated, connection, keys: connection.secrets.keys.sorted(), actor: actor, at: now)
            }
        }
    }
}

extension InMemoryState {
    /// As the SQLite engine: the organisation is named only once the CRM's data holds it.
    fileprivate mutating func insertConnectionAudit(
        _ action: AuditAction, _ connection: StoredConnection, keys: [String], actor: String, at now: Date
    ) throws(StoreError) {
        var entry = ConnectionRecord.audit(action, organisationID: connection.organisationID, target: connection.target, keys: keys, actor: actor, at: now)
        if organisations[connection.organisationID] == nil { entry.organisationID = nil }
        try insert(entry)
    }
}
