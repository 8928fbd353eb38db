import ArgumentParser
import AtsgateCore
import Foundation

extension Atsgate.Connectors {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Each target's circuit breaker, rate-limit pause and outbox rows by state."
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
                    let state = health[name] ?? TargetHealth()
                    let window = catalog[name]?.circuitBreaker.window ?? CircuitBreakerSettings().window
                    let (requests, failures) = state.window.totals(now: now, window: window)
                    return TargetStatusReport(
                        target: name.rawValue,
                        kind: catalog[name]?.kind.rawValue,
                        enabled: catalog[name]?.isEnabled ?? false,
                        circuit: state.stateName(now: now),
                        circuitUntil: {
                            switch state.circuit {
                            case .closed: nil
                            case .open(let until), .halfOpen(let until): until
                            }
                        }(),
                        consecutiveFailures: state.consecutiveFailures,
                        requestsInWindow: requests,
                        failedRequestsInWindow: failures,
                        openings: state.openings,
                        pausedUntil: state.pausedUntil,
                        rows: Dictionary(uniqueKeysWithValues: (counts[name] ?? [:]).map { ($0.key.rawValue, $0.value) })
                    )
                }
                try JSONOutput.print(reports)
            }
        }
    }
}

struct TargetStatusReport: Encodable {
    var target: String
    var kind: String?
    var enabled: Bool
    var circuit: String
    var circuitUntil: Date?
    /// Failed requests in a row.
    var consecutiveFailures: Int
    /// Requests in the breaker's window, and how many failed: what it judges the target by.
    var requestsInWindow: Int
    var failedRequestsInWindow: Int
    /// Times the circuit opened since the target last recovered (each doubles the cool-down).
    var openings: Int
    var pausedUntil: Date?
    var rows: [String: Int]
}
