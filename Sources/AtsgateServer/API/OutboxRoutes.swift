import AtsgateCore
import Foundation
import Hummingbird

/// The outbox for operators: list with the CLI's filters, one row with its attempts, replay and
/// cancel. Another organisation's row is 404, as if it did not exist.
struct OutboxRoutes {
    let server: APIServer

    struct BulkReplayBody: Decodable, Sendable {
        var target: String?
        var errorKind: String?
        var failedSince: Date?
        var dryRun: Bool?
    }

    func add(to routes: Routes) {
        routes.get("outbox", use: server.timed { request, context in
            let caller = try context.caller()
            let page = try PageRequest(request)
            var filter = try OutboxQuery.filter(request)
            filter.organisationID = caller.organisationID
            filter.afterID = page.after
            filter.limit = page.limit + 1
            let rows = try await server.store.outboxEntries(matching: filter)
            return try jsonResponse(Page(rows, limit: page.limit, id: \.id, item: OutboxRowReport.init))
        })
        routes.get("outbox/:id", use: server.timed { request, context in
            let entry = try await ownEntry(request, context)
            let attempts = try await server.store.attemptHistory(entryID: entry.id)
            return try jsonResponse(OutboxShowReport(row: OutboxRowReport(entry), attempts: attempts.map(AttemptReport.init)))
        })
        routes.post("outbox/:id/replay", use: server.timed { request, context in
            let caller = try context.caller(allowing: [.operator])
            let entry = try await ownEntry(request, context)
            let rows = try await server.store.replay(.ids([entry.id]), dryRun: false, actor: "api:\(caller.id)", now: server.now)
            return try jsonResponse(OperatorActionReport(dryRun: false, rows: try await reread(rows)))
        })
        routes.post("outbox/:id/cancel", use: server.timed { request, context in
            let caller = try context.caller(allowing: [.operator])
            let entry = try await ownEntry(request, context)
            let rows = try await server.store.cancel(ids: [entry.id], actor: "api:\(caller.id)", now: server.now)
            return try jsonResponse(OperatorActionReport(dryRun: false, rows: try await reread(rows)))
        })
        routes.post("outbox/replay", use: server.timed { request, context in
            let caller = try context.caller(allowing: [.operator])
            let body = try await decodeBody(BulkReplayBody.self, from: request, context: context, empty: BulkReplayBody())
            var filter = OutboxFilter(organisationID: caller.organisationID, status: .failed)
            filter.target = try OutboxQuery.target(body.target, pointer: "/target")
            filter.errorKind = try OutboxQuery.errorKind(body.errorKind, pointer: "/error_kind")
            let failed = try await server.store.outboxEntries(matching: filter).filter { entry in
                body.failedSince.map { entry.updatedAt >= $0 } ?? true
            }
            let dryRun = body.dryRun ?? false
            guard !dryRun, !failed.isEmpty else { return try jsonResponse(OperatorActionReport(dryRun: dryRun, rows: failed)) }
            let rows = try await server.store.replay(.ids(failed.map(\.id)), dryRun: false, actor: "api:\(caller.id)", now: server.now)
            return try jsonResponse(OperatorActionReport(dryRun: false, rows: try await reread(rows)))
        })
    }

    /// The rows as they are after the action (the store returns them as they were).
    private func reread(_ rows: [OutboxEntry]) async throws -> [OutboxEntry] {
        var current: [OutboxEntry] = []
        for row in rows {
            current.append(try await server.store.outboxEntry(id: row.id) ?? row)
        }
        return current
    }

    /// The row of the path's id, if it is the caller's organisation's.
    private func ownEntry(_ request: Request, _ context: APIRequestContext) async throws -> OutboxEntry {
        let caller = try context.caller()
        let text = try context.pathID()
        guard let id = Int64(text), let entry = try await server.store.outboxEntry(id: id), entry.organisationID == caller.organisationID else {
            throw Problem.notFound("outbox row \(text)")
        }
        return entry
    }
}

/// The outbox filters of `GET /v1/outbox` and the admin page, as `outbox list` takes them.
enum OutboxQuery {
    static func filter(_ request: Request) throws(Problem) -> OutboxFilter {
        var filter = OutboxFilter()
        if let text = request.query("status") {
            guard let status = OutboxStatus(rawValue: text) else {
                throw Problem.invalidParameter("status", "must be one of \(OutboxStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.status = status
        }
        filter.target = try targetParameter(request)
        if let text = request.query("error_kind") {
            guard let kind = ErrorKind(rawValue: text) else {
                throw Problem.invalidParameter("error_kind", "must be one of \(ErrorKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.errorKind = kind
        }
        filter.jobID = request.query("job_id").map { JobID($0) }
        return filter
    }

    /// `?target=`: a malformed name is a 400.
    static func targetParameter(_ request: Request) throws(Problem) -> TargetName? {
        guard let text = request.query("target") else { return nil }
        guard let target = TargetName(rawValue: text) else { throw Problem.invalidParameter("target", "'\(text)' is not a target name") }
        return target
    }

    static func target(_ text: String?, pointer: String) throws(Problem) -> TargetName? {
        guard let text else { return nil }
        guard let target = TargetName(rawValue: text) else {
            throw Problem.invalid("'\(text)' is not a target name", errors: [.init(pointer: pointer, detail: "not a target name")])
        }
        return target
    }

    static func errorKind(_ text: String?, pointer: String) throws(Problem) -> ErrorKind? {
        guard let text else { return nil }
        guard let kind = ErrorKind(rawValue: text) else {
            let kinds = ErrorKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw Problem.invalid("error kind '\(text)' is not one of \(kinds)", errors: [.init(pointer: pointer, detail: "one of \(kinds)")])
        }
        return kind
    }
}
