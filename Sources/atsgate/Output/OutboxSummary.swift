import AtsgateCore
import Foundation

/// Rows per target and state with each target's health: the end of `worker --until-idle`,
/// `connectors status`, and the footer of `outbox list`.
enum OutboxSummary {
    static func text(store: any GatewayStore, catalog: TargetCatalog) async throws -> String {
        let counts = try await store.outboxCounts()
        let health = try await store.targetHealth()
        let now = Date()
        var table = TextTable([
            "TARGET", "KIND", "ENABLED", "CIRCUIT", "FAILED REQUESTS", "PAUSED UNTIL", "PENDING", "IN FLIGHT", "SENT", "FAILED", "CANCELLED",
        ])
        for name in Set(catalog.allNames).union(counts.keys).sorted() {
            let target = catalog[name]
            let state = health[DeliveryLane(name)] ?? TargetHealth()
            let rows = counts[name] ?? [:]
            table.append([
                name.rawValue, target?.kind.rawValue ?? "(not configured)", target.map { $0.isEnabled ? "yes" : "no" } ?? "-",
                circuitText(state, now: now), failedRequestsText(state, settings: target?.circuitBreaker ?? CircuitBreakerSettings(), now: now),
                state.pausedUntil.flatMap { $0 > now ? $0.isoText : nil } ?? "-",
                "\(rows[.pending] ?? 0)", "\(rows[.inFlight] ?? 0)", "\(rows[.sent] ?? 0)", "\(rows[.failed] ?? 0)", "\(rows[.cancelled] ?? 0)",
            ])
        }
        // Organisations' own connections, each with its own breaker and pause.
        let own = health.filter { $0.key.organisationID != nil }.sorted { $0.key < $1.key }
        guard !own.isEmpty else { return table.render() }
        var connections = TextTable(["CONNECTION", "CIRCUIT", "FAILED REQUESTS", "PAUSED UNTIL"])
        for (lane, state) in own {
            connections.append([
                lane.description, circuitText(state, now: now),
                failedRequestsText(state, settings: catalog[lane.target]?.circuitBreaker ?? CircuitBreakerSettings(), now: now),
                state.pausedUntil.flatMap { $0 > now ? $0.isoText : nil } ?? "-",
            ])
        }
        return table.render() + "\n\n" + connections.render()
    }

    static func circuitText(_ state: TargetHealth, now: Date) -> String {
        switch state.circuit {
        case .closed: "closed"
        case .open(let until): until > now ? "open until \(until.isoText)" : "open (cool-down over)"
        case .halfOpen: "half-open (probing)"
        }
    }

    /// What the breaker judges by: failed of all requests in its window, e.g. `3 of 40 in 30s`.
    static func failedRequestsText(_ state: TargetHealth, settings: CircuitBreakerSettings, now: Date) -> String {
        let (requests, failures) = state.window.totals(now: now, window: settings.window)
        return "\(failures) of \(requests) in \(DurationText.format(settings.window))"
    }
}
