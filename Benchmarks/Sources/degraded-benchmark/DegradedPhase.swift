import AsyncHTTPClient
import AtsgateCore
import AtsgateHTTP
import AtsgateSQLite
import AtsgateTesting
import Foundation
import Logging

/// One phase: a fresh database and a fresh fake Loxo, the data set imported and qualified, the
/// fault switched on, then the dispatcher run on the real clock until every row is sent.
struct DegradedPhase: Sendable {
    let kind: PhaseKind
    let dataset: DegradedDataset
    let configurationDirectory: URL
    let databasePath: String
    let outage: Duration
    let seed: UInt64
    let timeout: Duration
    let logger: Logger

    /// A share of writes the fake answers 503 in phase 2.
    static let writeErrorRate = 0.2

    func run() async throws -> PhaseResult {
        let store = try SQLiteStore.open(path: databasePath)
        let shipped = try LoxoBenchmarkTarget.shipped(configurationDirectory: configurationDirectory)
        guard case .loxo(let settings) = shipped.settings else { throw BenchmarkError("connectors/loxo.yaml is not a loxo target") }

        return try await FakeLoxo.withRunning(agencySlug: settings.agencySlug) { fake in
            let target = try LoxoBenchmarkTarget(configurationDirectory: configurationDirectory, fake: fake)
            try await dataset.importAndQualify(into: store, catalog: target.catalog)
            let pending = try await PhaseQueries.statusCounts(store)["pending", default: 0]
            guard pending == dataset.jobs else {
                throw BenchmarkError("expected \(dataset.jobs) pending rows after qualifying, found \(pending)")
            }
            let client = HTTPClient.forTargets(target.catalog)
            do {
                let result = try await deliver(store: store, fake: fake, target: target, client: client)
                try await client.shutdown()
                return result
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    private func deliver(store: SQLiteStore, fake: FakeLoxo, target: LoxoBenchmarkTarget, client: HTTPClient) async throws -> PhaseResult {
        switch kind {
        case .faultFree: break
        case .writeErrors: fake.setErrorRate(Self.writeErrorRate, status: 503, seed: seed, on: .writesOnly)
        case .outage: fake.setErrorRate(1, status: 503, seed: seed, on: .everyRequest)
        }
        let dispatcher = target.dispatcher(store: store, connector: try target.connector(apiKey: fake.apiKey, client: client), seed: seed, logger: logger)

        let start = Date()
        let runner = Task { try await dispatcher.run() }
        let outageWindow: OutageWindow?
        do {
            outageWindow = try await waitUntilAllSent(store: store, fake: fake, start: start)
        } catch {
            runner.cancel()
            throw error
        }
        runner.cancel()
        switch await runner.result {
        case .success, .failure(is CancellationError): break
        case .failure(let error): throw error
        }

        return PhaseResult(
            kind: kind, rows: dataset.jobs, start: start,
            allSentAt: try await PhaseQueries.allSentAt(store),
            statusCounts: try await PhaseQueries.statusCounts(store),
            attempts: try await PhaseQueries.attempts(store),
            fake: FakeTally(fake: fake, dataset: dataset),
            outage: outageWindow,
            circuitEvents: try await PhaseQueries.circuitEvents(store)
        )
    }

    /// Polls the outbox until every row is sent (and, in the outage phase, the target is back),
    /// ending the outage on time; gives up after `timeout`.
    private func waitUntilAllSent(store: SQLiteStore, fake: FakeLoxo, start: Date) async throws -> OutageWindow? {
        let returnAt = kind == .outage ? start.adding(outage) : nil
        let giveUpAt = start.adding(timeout)
        var window: OutageWindow?
        var nextProgress = start.addingTimeInterval(15)
        while true {
            let now = Date()
            if let returnAt, window == nil, now >= returnAt {
                fake.setErrorRate(0, seed: seed)
                window = OutageWindow(returnedAt: Date(), requestsBeforeReturn: fake.requests.count)
                progress("the target is back", start: start)
            }
            let sent = try await PhaseQueries.sentCount(store)
            if sent == dataset.jobs, returnAt == nil || window != nil { return window }
            if now >= giveUpAt {
                progress("gave up after \(DurationText.format(timeout)) with \(sent) of \(dataset.jobs) rows sent", start: start)
                return window
            }
            if now >= nextProgress {
                let circuit = try await PhaseQueries.circuit(store, target: LoxoBenchmarkTarget.name.rawValue)
                progress("\(sent)/\(dataset.jobs) sent, \(fake.requests.count) requests at the fake, circuit \(circuit)", start: start)
                nextProgress = now.addingTimeInterval(15)
            }
            let nextPoll = now.addingTimeInterval(0.1)
            let wake = returnAt.map { window == nil ? min($0, nextPoll) : nextPoll } ?? nextPoll
            try await Task.sleep(for: .milliseconds(max(1, Int(wake.timeIntervalSince(now) * 1_000))))
        }
    }

    private func progress(_ message: String, start: Date) {
        let line = String(format: "[%@ +%6.1f s] %@\n", kind.rawValue, Date().timeIntervalSince(start), message)
        FileHandle.standardError.write(Data(line.utf8))
    }
}
