import AtsgateCore
import Foundation
import Hummingbird

/// CRM data, as `atsgate import` takes it: `PUT` one company, person, job or association, or
/// `POST /v1/import` a whole import document, all or nothing. An edit of a job a target holds
/// queues its update. Records belong to the key's organisation; naming another is refused.
struct CRMRoutes {
    let server: APIServer

    func add(to routes: Routes) {
        routes.put("companies/:id", use: server.timed { request, context in
            try await putEntity(.companies, request: request, context: context)
        })
        routes.put("people/:id", use: server.timed { request, context in
            try await putEntity(.people, request: request, context: context)
        })
        routes.put("jobs/:id", use: server.timed { request, context in
            try await putEntity(.jobs, request: request, context: context)
        })
        routes.put("associations", use: server.timed { request, context in
            try await putEntity(.associations, request: request, context: context)
        })
        routes.post("import", use: server.timed { request, context in
            try await importDocument(request: request, context: context)
        })
        routes.get("jobs/:id", use: server.timed { request, context in
            try await showJob(request: request, context: context)
        })
    }

    /// One record: the path names its id, the key its organisation.
    private func putEntity(_ entity: ImportEntity, request: Request, context: APIRequestContext) async throws -> Response {
        let caller = try context.caller(allowing: [.crm])
        var fields = try await decodeBody([String: ImportValue].self, from: request, context: context)
        var issues: [Problem.FieldError] = []
        claim(&fields, field: "organisation_id", value: caller.organisationID.rawValue, pointer: "/organisation_id", issues: &issues)
        if entity != .associations {
            guard let id = try? context.pathID() else {
                throw Problem.invalid("the path's id is blank, holds a NUL or is not valid percent-encoding", errors: [.init(pointer: "id", detail: "not a usable id")])
            }
            claim(&fields, field: "id", value: id, pointer: "/id", issues: &issues)
        }
        guard issues.isEmpty else { throw Problem.invalid("nothing was stored: the record names another record than the path and key", errors: issues) }
        let location = ImportLocation(file: "request body", entity: entity, row: 0, style: .jsonIndex)
        let summary: ImportSummary
        do {
            summary = try await importRecords([ImportRecord(location: location, fields: fields)], caller: caller)
        } catch let error as ImportError {
            throw ProblemMapping.importProblem(error) { issue in issue.field.map { "/\($0)" } ?? "" }
        }
        return try jsonResponse(summary)
    }

    private func importDocument(request: Request, context: APIRequestContext) async throws -> Response {
        let caller = try context.caller(allowing: [.crm])
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var records = try ImportFileReader().jsonRecords(Data(buffer: body), file: "request body")
        var issues: [ImportIssue] = []
        let organisation = caller.organisationID.rawValue
        for index in records.indices {
            let location = records[index].location
            let field = location.entity == .organisations ? "id" : "organisation_id"
            switch records[index].fields[field] {
            case nil, .null?:
                records[index].fields[field] = .string(organisation)
            case .string(organisation)?:
                break
            default:
                issues.append(ImportIssue(location: location, field: field, reason: "must be this key's organisation '\(organisation)' (or left out)"))
            }
        }
        guard issues.isEmpty else { throw ImportError(issues: issues) }
        return try jsonResponse(try await importRecords(records, caller: caller))
    }

    private func importRecords(_ records: [ImportRecord], caller: APIKeyRecord) async throws -> ImportSummary {
        let dataset = try DatasetParser().parse(records)
        let planner = QualificationPlanner(catalog: server.catalog, now: server.now)
        return try await server.store.importDataset(dataset, planner: planner, actor: "api:\(caller.id)")
    }

    /// Sets `field` to `value`, or records an issue when the body names another value.
    private func claim(_ fields: inout [String: ImportValue], field: String, value: String, pointer: String, issues: inout [Problem.FieldError]) {
        switch fields[field] {
        case nil, .null?:
            fields[field] = .string(value)
        case .string(value)?:
            break
        default:
            issues.append(.init(pointer: pointer, detail: "must be '\(value)' (from the \(field == "id" ? "path" : "API key")) or left out"))
        }
    }

    private func showJob(request: Request, context: APIRequestContext) async throws -> Response {
        let caller = try context.caller()
        let jobID = JobID(try context.pathID())
        guard let stored = try await server.store.job(organisationID: caller.organisationID, jobID: jobID) else {
            throw Problem.notFound("job '\(jobID)'")
        }
        let rows = try await server.store.outboxEntries(matching: OutboxFilter(organisationID: caller.organisationID, jobID: jobID))
        return try jsonResponse(JobReport(job: stored.job, version: stored.version, outbox: rows.map(OutboxRowReport.init)))
    }
}

/// A job as the API shows it: its fields, version and outbox rows.
struct JobReport: Encodable, Sendable {
    var job: Job
    var version: Int
    var outbox: [OutboxRowReport]
}
