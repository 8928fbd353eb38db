import AtsgateCore
import Foundation
import Metrics
public import Prometheus

/// `/metrics`: what swift-metrics recorded (HTTP requests, delivery attempts and durations,
/// reconcile findings) and, read from the store at each scrape, the outbox by target and status,
/// the age of each target's oldest due row and each connection's circuit.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Makes this registry the process's swift-metrics backend. Once per process.
    public func bootstrapMetricsSystem() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// Sets the gauges read from the store, then renders everything in Prometheus text.
    func scrape(store: any GatewayStore, catalog: TargetCatalog, now: Date) async throws -> String {
        let counts = try await store.outboxCounts()
        let targets = Set(catalog.allNames).union(counts.keys).sorted()
        for target in targets {
            for status in OutboxStatus.allCases {
                registry.makeGauge(descriptor: Self.outboxRows, labels: [("target", target.rawValue), ("status", status.rawValue)])
                    .set(Double(counts[target]?[status] ?? 0))
            }
        }
        let oldest = try await store.oldestDue(now: now)
        for target in targets {
            registry.makeGauge(descriptor: Self.oldestDue, labels: [("target", target.rawValue)])
                .set(oldest[target].map { max(0, now.timeIntervalSince($0)) } ?? 0)
        }
        for (lane, health) in try await store.targetHealth() {
            let value: Double = switch health.circuit {
            case .closed: 0
            case .halfOpen: 1
            case .open: 2
            }
            registry.makeGauge(descriptor: Self.circuit, labels: [
                ("target", lane.target.rawValue), ("connection", lane.organisationID?.rawValue ?? "default"),
            ]).set(value)
        }
        return registry.emitToString()
    }

    static var outboxRows: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "atsgate", metricName: "outbox_rows", unitName: "", helpText: "Outbox rows by target and status."
    ) }
    static var oldestDue: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "atsgate", metricName: "outbox_oldest_due_age", unitName: "seconds",
        helpText: "How long the target's longest-waiting due row has been due (0: none due)."
    ) }
    static var circuit: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "atsgate", metricName: "circuit_state", unitName: "",
        helpText: "Each connection's circuit breaker: 0 closed, 1 half-open, 2 open."
    ) }
}
