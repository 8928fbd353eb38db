import AtsgateCore
import Foundation
import Hummingbird

/// Each target's health as this organisation's deliveries see it: its own connection's lane,
/// or the target's default one.
struct TargetRoutes {
    let server: APIServer

    struct TargetReport: Encodable, Sendable {
        var target: String
        var kind: String
        var enabled: Bool
        /// `own` when the organisation has a connection of its own, else `default`.
        var connection: String
        var health: HealthReport
    }

    struct ConnectionSummary: Encodable, Sendable {
        var target: String
        var kind: String
        var settings: [String]
        var secrets: [String]
        var updatedAt: Date
    }

    /// Every configured target, with the health of the lane `organisation`'s rows queue in.
    static func reports(for organisation: OrganisationID, server: APIServer) async throws -> [TargetReport] {
        let health = try await server.store.targetHealth()
        let own = Set(try await server.store.connections(organisationID: organisation).map(\.target))
        let now = server.now
        return server.catalog.allNames.compactMap { server.catalog[$0] }.map { target in
            let lane = own.contains(target.name) ? DeliveryLane(target.name, connectionOf: organisation) : DeliveryLane(target.name)
            return TargetReport(
                target: target.name.rawValue, kind: target.kind.rawValue, enabled: target.isEnabled,
                connection: own.contains(target.name) ? "own" : "default",
                health: HealthReport(health[lane] ?? TargetHealth(), window: target.circuitBreaker.window, now: now)
            )
        }
    }

    func add(to routes: Routes) {
        routes.get("targets", use: server.timed { _, context in
            let caller = try context.caller()
            return try jsonResponse(["data": try await Self.reports(for: caller.organisationID, server: server)])
        })
        routes.get("connections", use: server.timed { _, context in
            let caller = try context.caller()
            let connections = try await server.store.connections(organisationID: caller.organisationID)
            return try jsonResponse(["data": connections.map {
                ConnectionSummary(
                    target: $0.target.rawValue, kind: $0.kind.rawValue, settings: $0.settings.keys.sorted(), secrets: $0.secrets.keys.sorted(),
                    updatedAt: $0.updatedAt
                )
            }])
        })
    }
}
