import CoreMetrics
import Foundation

/// What the worker and reconciliation count, through swift-metrics. Nothing is recorded until a
/// process bootstraps a metrics backend (`atsgate serve` bootstraps Prometheus; the CLI none).
///
/// Every series of one metric carries the same dimensions: Prometheus requires it.
enum GatewayMetrics {
    /// One settled delivery attempt: its outcome (`sent`, `retry`, `failed`, `lease_lost`), the
    /// error kind (`none` when it was sent) and how long it took.
    static func recordAttempt(_ outcome: AttemptOutcome, target: TargetName, leaseLost: Bool, startedAt: Date, finishedAt: Date) {
        Counter(label: "atsgate_delivery_attempts_total", dimensions: [
            ("target", target.rawValue),
            ("outcome", leaseLost ? "lease_lost" : outcome.storedName),
            ("error_kind", outcome.error?.kind.rawValue ?? "none"),
        ]).increment()
        let seconds = max(0, finishedAt.timeIntervalSince(startedAt))
        Timer(label: "atsgate_delivery_duration_seconds", dimensions: [("target", target.rawValue)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(seconds * 1_000_000_000))
    }

    /// The findings of one reconcile run, by category.
    static func recordFindings(_ counts: [ReconcileCategory: Int], target: TargetName) {
        for (category, count) in counts where count > 0 {
            Counter(label: "atsgate_reconcile_findings_total", dimensions: [("target", target.rawValue), ("category", category.rawValue)])
                .increment(by: count)
        }
    }
}
