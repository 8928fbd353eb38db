import AtsgateCore
import Foundation
import Hummingbird

/// The qualification workflow: qualify, skip or close one job, or qualify many in one transaction.
/// Each decision commits the job's change, its outbox rows, notifications and audit entry together.
struct DecisionRoutes {
    let server: APIServer

    struct DecisionBody: Decodable, Sendable {
        var targets: [String]?
        var by: String?
        var note: String?
    }

    struct BulkBody: Decodable, Sendable {
        var jobIds: [String]
        var targets: [String]?
        var by: String?
        var note: String?
    }

    struct BulkReport: Encodable, Sendable {
        var count: Int
        var results: [QualificationReport]
    }

    func add(to routes: Routes) {
        for decision in QualificationDecision.allCases {
            routes.post("jobs/:id/\(decision.rawValue)", use: server.timed { request, context in
                try await decide(decision, request: request, context: context)
            })
        }
        routes.post("qualifications", use: server.timed { request, context in
            try await qualifyMany(request: request, context: context)
        })
    }

    private func decide(_ decision: QualificationDecision, request: Request, context: APIRequestContext) async throws -> Response {
        let caller = try context.caller(allowing: [.crm])
        let body = try await decodeBody(DecisionBody.self, from: request, context: context, empty: DecisionBody())
        try Self.refuseNUL(by: body.by, note: body.note)
        let targets = try targetNames(body.targets, decision: decision)
        let command = QualificationCommand(
            organisationID: caller.organisationID, jobID: JobID(try context.pathID()), decision: decision,
            targets: targets, actor: body.by ?? "api:\(caller.id)", note: body.note
        )
        if decision == .qualify {
            try await WorkflowError.checkConnections(of: caller.organisationID, to: targets, catalog: server.catalog, store: server.store)
        }
        let outcome = try await server.store.apply(command, planner: QualificationPlanner(catalog: server.catalog, now: server.now))
        return try jsonResponse(QualificationReport(outcome))
    }

    private func qualifyMany(request: Request, context: APIRequestContext) async throws -> Response {
        let caller = try context.caller(allowing: [.crm])
        let body = try await decodeBody(BulkBody.self, from: request, context: context)
        let limit = server.configuration.bulkQualificationLimit
        guard (1...limit).contains(body.jobIds.count) else {
            throw Problem.invalid("job_ids must hold 1 to \(limit) jobs; it holds \(body.jobIds.count)", errors: [
                .init(pointer: "/job_ids", detail: "1 to \(limit) job ids"),
            ])
        }
        if let index = body.jobIds.firstIndex(where: { $0.isEmpty || $0.unicodeScalars.contains("\u{0}") }) {
            throw Problem.invalid("a job id is empty or holds a NUL", errors: [.init(pointer: "/job_ids/\(index)", detail: "must not be empty or hold a NUL")])
        }
        try Self.refuseNUL(by: body.by, note: body.note)
        let targets = try targetNames(body.targets, decision: .qualify)
        try await WorkflowError.checkConnections(of: caller.organisationID, to: targets, catalog: server.catalog, store: server.store)
        let commands = body.jobIds.map {
            QualificationCommand(
                organisationID: caller.organisationID, jobID: JobID($0), decision: .qualify, targets: targets,
                actor: body.by ?? "api:\(caller.id)", note: body.note
            )
        }
        do {
            let outcomes = try await server.store.apply(commands, planner: QualificationPlanner(catalog: server.catalog, now: server.now))
            return try jsonResponse(BulkReport(count: outcomes.count, results: outcomes.map(QualificationReport.init)))
        } catch let error as WorkflowError where error.code == .jobNotFound || error.code == .jobNotOpen {
            // Name the job in the request: nothing of the batch was stored. Another organisation's
            // job is not found, as everywhere.
            let index = error.jobID.flatMap { refused in body.jobIds.firstIndex { $0 == refused.rawValue } }
            let pointer = index.map { "/job_ids/\($0)" } ?? "/job_ids"
            throw Problem(
                error.code == .jobNotFound ? .notFound : .conflict, "nothing was qualified: \(error.message)",
                code: error.code == .jobNotFound ? "not-found" : "job-not-open", errors: [.init(pointer: pointer, detail: error.message)]
            )
        }
    }

    /// The audit log keeps `by` and `note` as text, which SQLite would cut at a NUL.
    static func refuseNUL(by: String?, note: String?) throws(Problem) {
        for (name, value) in [("by", by), ("note", note)] where value?.unicodeScalars.contains("\u{0}") == true {
            throw Problem.invalid("\(name) holds a NUL character", errors: [.init(pointer: "/\(name)", detail: "must not contain U+0000")])
        }
    }

    /// Target names as given; an unknown one is refused by the planner, a malformed one here.
    private func targetNames(_ names: [String]?, decision: QualificationDecision) throws(Problem) -> [TargetName] {
        guard let names else { return [] }
        guard decision == .qualify || names.isEmpty else {
            throw Problem.invalid("only qualify takes targets", errors: [.init(pointer: "/targets", detail: "only qualify takes targets")])
        }
        return try names.enumerated().map { (index, name) throws(Problem) in
            guard let target = TargetName(rawValue: name) else {
                throw Problem.invalid("'\(name)' is not a target name", errors: [.init(pointer: "/targets/\(index)", detail: "not a target name")])
            }
            return target
        }
    }
}
