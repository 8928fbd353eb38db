import AsyncHTTPClient
import AtsgateCore
import AtsgateServer
import Foundation
import NIOCore
import NIOHTTP1

/// How the sandbox's CRM and operator act: straight on the store, or through the HTTP API of
/// `atsgate serve` (`sandbox --serve`), as a CRM and an operator would.
protocol SandboxDriver: Sendable {
    /// Imports the CRM export; returns what changed (summed over organisations).
    func importData(_ dataset: CRMDataset, file: URL) async throws -> ImportSummary
    func decide(_ decision: QualificationDecision, job: JobID, in organisation: OrganisationID, targets: [TargetName]) async throws
    /// Replays every failed row of the organisation; returns `#id (job)` for each.
    func replayFailed(in organisation: OrganisationID) async throws -> [String]
}

/// Acts on the store directly, in the sandbox's process.
struct StoreDriver: SandboxDriver {
    let store: any GatewayStore
    let catalog: TargetCatalog

    private var planner: QualificationPlanner { QualificationPlanner(catalog: catalog, now: Date()) }

    func importData(_ dataset: CRMDataset, file: URL) async throws -> ImportSummary {
        try await store.importDataset(dataset, planner: planner, actor: "sandbox")
    }

    func decide(_ decision: QualificationDecision, job: JobID, in organisation: OrganisationID, targets: [TargetName]) async throws {
        _ = try await store.apply(
            QualificationCommand(organisationID: organisation, jobID: job, decision: decision, targets: targets, actor: "sandbox@recruiter.example"),
            planner: planner
        )
    }

    func replayFailed(in organisation: OrganisationID) async throws -> [String] {
        let failed = try await store.outboxEntries(matching: OutboxFilter(organisationID: organisation, status: .failed))
        guard !failed.isEmpty else { return [] }
        return try await store.replay(.ids(failed.map(\.id)), dryRun: false, actor: "sandbox-operator", now: Date()).map { "#\($0.id) (\($0.jobID))" }
    }
}

/// Acts through the API: each organisation's `crm` key imports and decides, its `operator` key replays.
struct APIDriver: SandboxDriver {
    struct Keys: Sendable {
        var crm: String
        var `operator`: String
    }

    let baseURL: String
    let keys: [OrganisationID: Keys]
    let client: HTTPClient

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func importData(_ dataset: CRMDataset, file: URL) async throws -> ImportSummary {
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: [[String: Any]]] ?? [:]
        var total = ImportSummary()
        // One import per organisation, each with its own key; organisations first, as the export orders them.
        for organisation in dataset.organisations.map(\.value.id) {
            let own = document.mapValues { rows in rows.filter { ($0["organisation_id"] ?? $0["id"]) as? String == organisation.rawValue } }
            let body = try JSONSerialization.data(withJSONObject: own)
            let summary = try await send(.POST, "/v1/import", key: keys[organisation]?.crm, body: body, as: ImportSummary.self)
            total.add(summary)
        }
        return total
    }

    func decide(_ decision: QualificationDecision, job: JobID, in organisation: OrganisationID, targets: [TargetName]) async throws {
        struct Decision: Encodable {
            var targets: [String]?
            var by: String
        }
        let body = try JSONCoding.encoder.encode(Decision(targets: targets.isEmpty ? nil : targets.map(\.rawValue), by: "sandbox@recruiter.example"))
        let path = "/v1/jobs/\(job.rawValue.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? job.rawValue)/\(decision.rawValue)"
        _ = try await send(.POST, path, key: keys[organisation]?.crm, body: body, idempotencyKey: "sandbox-\(decision.rawValue)-\(job)", as: Ignored.self)
    }

    func replayFailed(in organisation: OrganisationID) async throws -> [String] {
        struct Report: Decodable {
            struct Row: Decodable {
                var id: Int64
                var jobId: String
            }

            var rows: [Row]
        }
        let report = try await send(.POST, "/v1/outbox/replay", key: keys[organisation]?.operator, body: Data("{}".utf8), as: Report.self)
        return report.rows.map { "#\($0.id) (\($0.jobId))" }
    }

    private struct Ignored: Decodable {}

    private func send<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, key: String?, body: Data, idempotencyKey: String? = nil, as _: Answer.Type
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key ?? "")")
        request.headers.add(name: "Content-Type", value: "application/json")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(30))
        let data = Data(buffer: try await response.body.collect(upTo: 16 << 20))
        guard response.status == .ok else {
            throw Failure(description: "\(method.rawValue) \(path) answered \(response.status.code): \(String(decoding: data, as: UTF8.self))")
        }
        return try JSONCoding.decoder.decode(Answer.self, from: data)
    }
}

extension ImportSummary {
    mutating func add(_ other: ImportSummary) {
        for path in [\ImportSummary.organisations, \.companies, \.people, \.associations, \.jobs] as [WritableKeyPath<ImportSummary, Counts>] {
            self[keyPath: path].inserted += other[keyPath: path].inserted
            self[keyPath: path].updated += other[keyPath: path].updated
            self[keyPath: path].unchanged += other[keyPath: path].unchanged
        }
        queuedSubmissions += other.queuedSubmissions
    }
}
