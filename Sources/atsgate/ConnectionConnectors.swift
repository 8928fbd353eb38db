import AtsgateCore
import Foundation
import Synchronization

/// The worker's connectors, one per connection: built on first use for an organisation and
/// target, and rebuilt when `atsgate connections set` changes that connection (looked at again
/// at most every ``recheckInterval``). Organisations without a connection of their own share
/// the target's default connector.
final class ConnectionConnectors: ConnectorDirectory {
    private struct Key: Hashable {
        var target: TargetName
        var organisation: OrganisationID
    }

    private struct Entry {
        var connector: any Connector
        var updatedAt: Date?
        var checkedAt: ContinuousClock.Instant
    }

    private let catalog: TargetCatalog
    private let factory: ConnectorFactory
    private let store: any ConnectionStore
    private let resolver: ConnectionResolver
    /// One per enabled target: its default connection's, also asked for the kind's capabilities.
    private let defaults: [TargetName: any Connector]
    private let recheckInterval: Duration
    private let entries = Mutex<[Key: Entry]>([:])
    /// The organisations with their own connections, and when that was read.
    private let own = Mutex<(connections: [TargetName: Set<OrganisationID>], readAt: ContinuousClock.Instant?)>(([:], nil))
    private let redactor: Mutex<SecretRedactor>
    private let clock = ContinuousClock()

    /// Builds each enabled target's default connector; a broken mapping stops the worker, naming every such target.
    init(catalog: TargetCatalog, factory: ConnectorFactory, store: any ConnectionStore, keyring: SecretKeyring, recheckInterval: Duration = .seconds(5)) throws(ConfigurationErrors) {
        self.catalog = catalog
        self.factory = factory
        self.store = store
        self.resolver = ConnectionResolver(keyring: keyring)
        self.defaults = try factory.connectors(for: catalog)
        self.recheckInterval = recheckInterval
        self.redactor = Mutex(SecretRedactor(secrets: factory.secrets(for: catalog)))
    }

    var targets: Set<TargetName> { Set(defaults.keys) }

    func capabilities(of target: TargetName) -> ConnectorCapabilities {
        defaults[target]?.capabilities ?? []
    }

    func connector(for target: TargetName, organisation: OrganisationID) async throws(ConnectorError) -> any Connector {
        let key = Key(target: target, organisation: organisation)
        let now = clock.now
        let cached = entries.withLock { $0[key] }
        if let cached, cached.checkedAt.duration(to: now) < recheckInterval { return cached.connector }
        guard let configuration = catalog[target], let fallback = defaults[target] else {
            throw .config(setting: "connectors/\(target.rawValue).yaml", reason: "no connector is available in this build")
        }
        let stored: StoredConnection?
        do {
            stored = try await store.connection(organisationID: organisation, target: target)
        } catch {
            throw .transient("could not read the connection of organisation '\(organisation.rawValue)' to '\(target.rawValue)': \(error)", mayHaveReachedTarget: false)
        }
        if let cached, cached.updatedAt == stored?.updatedAt {
            entries.withLock { $0[key]?.checkedAt = now }
            return cached.connector
        }
        let resolved = try resolver.resolve(stored, organisation: organisation, target: configuration)
        let connector: any Connector
        if resolved.isDefault {
            connector = fallback
        } else {
            do throws(ConfigurationError) {
                guard let built = try factory.connector(for: resolved) else {
                    throw ConfigurationError(file: "connectors/\(target.rawValue).yaml", reason: "no connector is available in this build")
                }
                connector = built
            } catch {
                throw .config(setting: "connections", reason: "connection \(resolved.name): \(error.description)")
            }
            redactor.withLock { $0 = $0.adding(Array(resolved.secrets.values)) }
        }
        // Deliveries that missed the cache together each built one: the first stored wins, so a
        // connection has one connector (one Bullhorn session, one refresh token in use). The
        // others have sent nothing yet (connectors log in on their first request).
        return entries.withLock { entries in
            if let existing = entries[key], existing.updatedAt == resolved.updatedAt {
                entries[key]?.checkedAt = now
                return existing.connector
            }
            entries[key] = Entry(connector: connector, updatedAt: resolved.updatedAt, checkedAt: now)
            return connector
        }
    }

    /// Read from the store at most every few seconds; on a store error the last known set stands.
    func ownConnections() async -> [TargetName: Set<OrganisationID>] {
        let now = clock.now
        let cached = own.withLock { $0 }
        if let readAt = cached.readAt, readAt.duration(to: now) < Self.ownConnectionsMaximumAge { return cached.connections }
        guard let stored = try? await store.connections(organisationID: nil) else { return cached.connections }
        let connections = Dictionary(grouping: stored, by: \.target).mapValues { Set($0.map(\.organisationID)) }
        own.withLock { $0 = (connections, now) }
        return connections
    }

    /// How old the dispatcher's view of who has a connection of their own may be.
    static let ownConnectionsMaximumAge: Duration = .seconds(5)

    func redact(_ error: ConnectorError) -> ConnectorError {
        redactor.withLock { $0 }.redact(error)
    }
}
