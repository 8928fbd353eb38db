import AtsgateCore
import AtsgateServer
import AtsgateTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// An `APIServer` over an in-memory store holding `Fixtures.smallDatasetJSON` (org-a and org-b,
/// each with a `job-1`), and a key of every role for each organisation.
struct ServerHarness {
    let store = InMemoryStore()
    let reconciles = RecordingReconciles()
    let readiness = SwitchableReadiness()
    let metrics = ServerMetrics()
    var configuration = APIServer.Configuration()
    private(set) var keys: [String: String] = [:]

    static func make(configure: (inout APIServer.Configuration) -> Void = { _ in }) async throws -> ServerHarness {
        var harness = ServerHarness()
        configure(&harness.configuration)
        _ = try await harness.store.importDataset(try Fixtures.dataset(), planner: QualificationPlanner(catalog: Fixtures.catalog, now: Fixtures.now), actor: "test")
        for organisation in ["org-a", "org-b"] {
            for role in APIRole.allCases {
                let (key, record) = APIKeys.make(organisationID: OrganisationID(organisation), role: role, name: nil, createdBy: "test", now: Date())
                try await harness.store.createAPIKey(record)
                harness.keys["\(organisation)/\(role.rawValue)"] = key
            }
        }
        return harness
    }

    func key(_ organisation: String, _ role: APIRole) -> String {
        keys["\(organisation)/\(role.rawValue)"] ?? ""
    }

    var server: APIServer {
        APIServer(
            store: store, catalog: Fixtures.catalog, reconciles: reconciles.launcher(store: store), readiness: readiness, metrics: metrics,
            configuration: configuration, logger: Logger(label: "test")
        )
    }

    /// Runs `body` with a client of a fresh application over this harness.
    func withClient(_ body: @Sendable (Client) async throws -> Void) async throws {
        let app = Application(router: server.router())
        try await app.test(.router) { client in try await body(Client(client: client)) }
    }

    /// Qualifies org-a's job-1 and job-2 and fails the first row: rows for each state an operator meets.
    func qualifyAndFail() async throws -> (failed: Int64, pending: Int64) {
        let planner = QualificationPlanner(catalog: Fixtures.catalog, now: Fixtures.now)
        for job in ["job-1", "job-2"] {
            _ = try await store.apply(QualificationCommand(organisationID: "org-a", jobID: JobID(job), decision: .qualify, targets: [Fixtures.loxo], actor: "test"), planner: planner)
        }
        let rows = try await store.outboxEntries(matching: OutboxFilter(organisationID: "org-a"))
        try #require(rows.count == 2)
        try await store.plantFailed(entryID: rows[0].id, kind: .rejected, message: "Loxo answered 422: title is too long")
        return (rows[0].id, rows[1].id)
    }
}

/// One answer: status, headers and body.
struct Answer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }

    /// The problem's field pointers.
    var pointers: [String] {
        (json["errors"] as? [[String: Any]])?.compactMap { $0["pointer"] as? String } ?? []
    }

    var data: [[String: Any]] { json["data"] as? [[String: Any]] ?? [] }
}

struct Client: Sendable {
    let client: any TestClientProtocol

    func send(
        _ method: HTTPRequest.Method, _ uri: String, key: String? = nil, body: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        var headers = extra
        if let key { headers[.authorization] = "Bearer \(key)" }
        if body != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return Answer(status: response.status, headers: response.headers, body: String(buffer: response.body))
    }
}

/// Stands in for the background reconcile runs: stores a finished run with one finding, and
/// remembers who asked.
final class RecordingReconciles: Sendable {
    let launches = Mutex<[(OrganisationID, TargetName, Bool)]>([])

    func launcher(store: InMemoryStore) -> some ReconcileLauncher {
        Launcher(store: store, recording: self)
    }

    private struct Launcher: ReconcileLauncher {
        let store: InMemoryStore
        let recording: RecordingReconciles

        func launch(organisationID: OrganisationID, target: TargetName, apply: Bool, actor: String) async throws -> Int64 {
            recording.launches.withLock { $0.append((organisationID, target, apply)) }
            let now = Date()
            let id = try await store.startReconcileRun(organisationID: organisationID, target: target, now: now, staleAfter: .seconds(600))
            let finding = ReconcileFinding(category: .orphanRemote, jobID: nil, remoteID: "L-99", detail: "remote job L-99 carries no marker of ours")
            try await store.recordFindings([finding], runID: id, organisationID: organisationID)
            try await store.finishReconcileRun(ReconcileRun(
                id: id, organisationID: organisationID, target: target, startedAt: now, finishedAt: now, status: .completed, partialReason: nil,
                applied: apply, remoteJobsListed: 1, localJobsCompared: 0, findingCounts: [.orphanRemote: 1]
            ))
            return id
        }
    }
}

final class SwitchableReadiness: ReadinessProbe {
    let failing = Mutex<String?>(nil)

    func check() async -> [ReadinessCheck] {
        let failure = failing.withLock { $0 }
        return [ReadinessCheck(name: "database", ok: failure == nil, detail: failure)]
    }
}
