import ArgumentParser
import AtsgateCore
import Foundation

extension Atsgate.Connectors {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Each target's circuit breaker, rate-limit pause and outbox rows by state; each organisation's own connection's breaker and pause."
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let catalog = try global.loadTargets()
            try await global.withStore { store in
                guard output.json else {
                    print(try await OutboxSummary.text(store: store, catalog: catalog))
                    return
                }
                let counts = try await store.outboxCounts()
                let health = try await store.targetHealth()
                let now = Date()
                let reports = Set(catalog.allNames).union(counts.keys).sorted().map { name in
                    let window = catalog[name]?.circuitBreaker.window ?? CircuitBreakerSettings().window
                    var report = TargetStatusReport(
                        target: name.rawValue,
                        kind: catalog[name]?.kind.rawValue,
                        enabled: catalog[name]?.isEnabled ?? false,
                        health: HealthReport(health[DeliveryLane(name)] ?? TargetHealth(), window: window, now: now),
                        rows: Dictionary(uniqueKeysWithValues: (counts[name] ?? [:]).map { ($0.key.rawValue, $0.value) })
                    )
                    report.connections = health.filter { $0.key.target == name && $0.key.organisationID != nil }.sorted { $0.key < $1.key }.map { lane, state in
                        ConnectionHealthReport(organisation: lane.organisationID?.rawValue ?? "", health: HealthReport(state, window: window, now: now))
                    }
                    return report
                }
                try JSONOutput.print(reports)
            }
        }
    }
}

/// A target: its default connection's health (at the top level, as before connections) and
/// each organisation's own connection's.
struct TargetStatusReport: Encodable {
    var target: String
    var kind: String?
    var enabled: Bool
    var health: HealthReport
    var rows: [String: Int]
    var connections: [ConnectionHealthReport] = []

    enum CodingKeys: String, CodingKey {
        case target, kind, enabled, rows, connections
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(target, forKey: .target)
        try container.encode(kind, forKey: .kind)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(rows, forKey: .rows)
        try container.encode(connections, forKey: .connections)
        try health.encode(to: encoder)
    }
}

struct ConnectionHealthReport: Encodable {
    var organisation: String
    var health: HealthReport

    enum CodingKeys: String, CodingKey {
        case organisation
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(organisation, forKey: .organisation)
        try health.encode(to: encoder)
    }
}

