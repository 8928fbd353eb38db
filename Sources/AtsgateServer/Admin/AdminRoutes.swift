import AtsgateCore
import Foundation
import HTTPTypes
import Hummingbird

/// `/admin`: the operators' pages. Sign in with an operator key; the session lives in an
/// HttpOnly, SameSite=Strict cookie, and every form that changes something carries the session's
/// CSRF token (the sign-in form a token of its own, double-submitted in a cookie).
struct AdminRoutes {
    let server: APIServer

    static let sessionCookie = "atsgate_session"
    static let signInCookie = "atsgate_sign_in"

    struct SignInForm: Decodable {
        var key: String?
        var csrfToken: String?

        enum CodingKeys: String, CodingKey {
            case key
            case csrfToken = "csrf_token"
        }
    }

    struct CSRFForm: Decodable {
        var csrfToken: String?

        enum CodingKeys: String, CodingKey {
            case csrfToken = "csrf_token"
        }
    }

    func add(to routes: Routes) {
        let admin = routes.group("admin")
        admin.get { request, _ in
            try await signedIn(request) == nil ? redirect("/admin/sign-in") : redirect("/admin/outbox")
        }
        admin.get("sign-in") { _, _ in
            let token = APIKeys.base64URL(APIKeys.randomBytes(24))
            var response = page("sign-in", ["title": "Sign in", "csrfToken": token])
            response.setCookie(cookie(Self.signInCookie, token, path: "/admin/sign-in"))
            return response
        }
        admin.post("sign-in", use: server.timed { request, context in
            let form = try await decodeForm(SignInForm.self, request, context)
            guard let form, let expected = request.cookies[Self.signInCookie]?.value, let sent = form.csrfToken, constantTimeEquals(expected, sent) else {
                return staleForm(signedIn: nil)
            }
            guard let key = form.key, let record = try await server.store.activeAPIKey(secretHash: APIKeys.hash(key)), record.role == .operator else {
                let token = APIKeys.base64URL(APIKeys.randomBytes(24))
                var response = page("sign-in", ["title": "Sign in", "csrfToken": token, "error": "That is not an active operator key."], status: .unauthorized)
                response.setCookie(cookie(Self.signInCookie, token, path: "/admin/sign-in"))
                return response
            }
            let (token, _) = server.adminSessions.start(for: record, now: server.now)
            var response = redirect("/admin/outbox")
            response.setCookie(cookie(Self.sessionCookie, token, path: "/admin", maxAge: Int(server.configuration.adminSessionLifetime.timeInterval)))
            response.setCookie(cookie(Self.signInCookie, "", path: "/admin/sign-in", maxAge: 0))
            return response
        })
        admin.post("sign-out", use: server.timed { request, context in
            guard let (token, session) = try await signedIn(request) else { return redirect("/admin/sign-in") }
            guard try await csrfMatches(session, request, context) else { return staleForm(signedIn: session) }
            server.adminSessions.end(token)
            var response = redirect("/admin/sign-in")
            response.setCookie(cookie(Self.sessionCookie, "", path: "/admin", maxAge: 0))
            return response
        })
        admin.get("outbox", use: server.timed { request, _ in
            guard let (_, session) = try await signedIn(request) else { return redirect("/admin/sign-in") }
            return try await outboxPage(request, session)
        })
        admin.get("outbox/:id", use: server.timed { request, context in
            guard let (_, session) = try await signedIn(request) else { return redirect("/admin/sign-in") }
            guard let entry = try await ownEntry(context, session) else { return notFound(session, "No such outbox row.") }
            return try await rowPage(entry, session, notice: request.query("done").map { "Row \($0)." })
        })
        for action in ["replay", "cancel"] {
            admin.get("outbox/:id/\(action)", use: server.timed { request, context in
                guard let (_, session) = try await signedIn(request) else { return redirect("/admin/sign-in") }
                guard let entry = try await ownEntry(context, session) else { return notFound(session, "No such outbox row.") }
                let allowed = action == "replay" ? entry.status == .failed : entry.status == .pending || entry.status == .failed
                guard allowed else {
                    return try await rowPage(entry, session, error: "Row #\(entry.id) is \(entry.status.rawValue): it cannot be \(action == "replay" ? "replayed" : "cancelled").", status: .conflict)
                }
                let question = action == "replay"
                    ? "Replay row #\(entry.id) (\(entry.jobID) → \(entry.target), \(entry.status.rawValue))? It goes back to pending, due now, with a fresh attempt budget."
                    : "Cancel row #\(entry.id) (\(entry.jobID) → \(entry.target), \(entry.status.rawValue))? It will not be delivered."
                return page("confirm", base(session, title: action == "replay" ? "Replay row #\(entry.id)" : "Cancel row #\(entry.id)").merging([
                    "question": question, "action": "/admin/outbox/\(entry.id)/\(action)", "back": "/admin/outbox/\(entry.id)",
                    "button": action == "replay" ? "Replay" : "Cancel the row",
                ]) { $1 })
            })
            admin.post("outbox/:id/\(action)", use: server.timed { request, context in
                guard let (_, session) = try await signedIn(request) else { return redirect("/admin/sign-in") }
                guard try await csrfMatches(session, request, context) else { return staleForm(signedIn: session) }
                guard let entry = try await ownEntry(context, session) else { return notFound(session, "No such outbox row.") }
                let actor = "admin:\(session.keyID)"
                do {
                    if action == "replay" {
                        _ = try await server.store.replay(.ids([entry.id]), dryRun: false, actor: actor, now: server.now)
                    } else {
                        _ = try await server.store.cancel(ids: [entry.id], actor: actor, now: server.now)
                    }
                } catch let error as OperatorActionError {
                    return try await rowPage(entry, session, error: error.message, status: .conflict)
                }
                return redirect("/admin/outbox/\(entry.id)?done=\(action == "replay" ? "replayed" : "cancelled")")
            })
        }
        admin.get("targets", use: server.timed { request, _ in
            guard let (_, session) = try await signedIn(request) else { return redirect("/admin/sign-in") }
            return try await targetsPage(session)
        })
        admin.get("reconcile-runs", use: server.timed { request, _ in
            guard let (_, session) = try await signedIn(request) else { return redirect("/admin/sign-in") }
            let runs = try await server.store.reconcileRuns(organisationID: session.organisationID, target: nil, limit: 100)
            return page("runs", base(session, title: "Reconcile runs").merging([
                "hasRuns": !runs.isEmpty,
                "runs": runs.map { run -> [String: Any] in
                    [
                        "id": run.id, "target": run.target.rawValue, "startedAt": run.startedAt.adminText, "status": run.status.rawValue,
                        "applied": run.applied ? "yes" : "no", "remote": run.remoteJobsListed, "local": run.localJobsCompared,
                        "findings": run.findingCounts.values.reduce(0, +),
                    ]
                },
            ]) { $1 })
        })
        admin.get("reconcile-runs/:id", use: server.timed { request, context in
            guard let (_, session) = try await signedIn(request) else { return redirect("/admin/sign-in") }
            guard let id = (try? context.pathID()).flatMap(Int64.init),
                  let run = try await server.store.reconcileRun(id: id, organisationID: session.organisationID)
            else { return notFound(session, "No such reconcile run.") }
            let findings = try await server.store.reconcileFindings(runID: id)
            var context = base(session, title: "Reconcile run #\(run.id)")
            if let reason = run.partialReason { context["partialReason"] = reason }
            return page("run", context.merging([
                "target": run.target.rawValue, "status": run.status.rawValue, "startedAt": run.startedAt.adminText,
                "finishedAt": run.finishedAt?.adminText ?? "", "applied": run.applied ? "yes" : "no", "remote": run.remoteJobsListed,
                "local": run.localJobsCompared,
                "counts": ReconcileCategory.allCases.map { ["category": $0.rawValue, "count": run.findingCounts[$0] ?? 0] as [String: Any] },
                "hasFindings": !findings.isEmpty,
                "findings": findings.map { finding -> [String: Any] in
                    [
                        "category": finding.category.rawValue, "jobID": finding.jobID?.rawValue ?? "", "remoteID": finding.remoteID ?? "",
                        "repair": finding.repair?.rawValue ?? "report only", "detail": finding.detail,
                    ]
                },
            ]) { $1 })
        })
    }

    // MARK: - Pages

    private func outboxPage(_ request: Request, _ session: AdminSession) async throws -> Response {
        var filter: OutboxFilter
        var filterError: String?
        do {
            filter = try OutboxQuery.filter(request)
        } catch {
            filter = OutboxFilter()
            filterError = "The filter was not applied: \(error.detail)"
        }
        let page = (try? PageRequest(request)) ?? PageRequest.first
        filter.organisationID = session.organisationID
        filter.afterID = page.after
        filter.limit = page.limit + 1
        let rows = try await server.store.outboxEntries(matching: filter)
        let shown = rows.prefix(page.limit)
        func options(_ values: [String], selected: String?) -> [[String: Any]] {
            values.map { ["value": $0, "selected": $0 == selected] }
        }
        var next: String?
        if rows.count > page.limit, let last = shown.last {
            var components = URLComponents()
            components.path = "/admin/outbox"
            components.queryItems = [
                ("status", filter.status?.rawValue), ("target", filter.target?.rawValue), ("error_kind", filter.errorKind?.rawValue),
                ("job_id", filter.jobID?.rawValue), ("limit", request.query("limit")), ("cursor", PageRequest.encode(last.id)),
            ].compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
            next = components.string
        }
        var context = base(session, title: "Outbox")
        if let filterError { context["error"] = filterError }
        return self.page("outbox", context.merging([
            "statuses": options(OutboxStatus.allCases.map(\.rawValue), selected: filter.status?.rawValue),
            "targets": options(server.catalog.allNames.map(\.rawValue), selected: filter.target?.rawValue),
            "errorKinds": options(ErrorKind.allCases.map(\.rawValue), selected: filter.errorKind?.rawValue),
            "jobID": filter.jobID?.rawValue ?? "",
            "hasRows": !shown.isEmpty,
            "rows": shown.map { entry -> [String: Any] in
                [
                    "id": entry.id, "jobID": entry.jobID.rawValue, "target": entry.target.rawValue, "operation": entry.operation.rawValue,
                    "status": entry.status.rawValue, "attempts": entry.attempts, "nextAttemptAt": entry.nextAttemptAt?.adminText ?? "",
                    "lastErrorKind": entry.lastErrorKind?.rawValue ?? "", "lastErrorMessage": entry.lastErrorMessage ?? "",
                ]
            },
        ].merging(next.map { ["nextPage": $0] } ?? [:]) { $1 }) { $1 })
    }

    private func rowPage(_ entry: OutboxEntry, _ session: AdminSession, notice: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let attempts = try await server.store.attemptHistory(entryID: entry.id)
        var context = base(session, title: "Outbox row #\(entry.id)")
        context.merge([
            "id": entry.id, "status": entry.status.rawValue, "jobID": entry.jobID.rawValue, "jobVersion": entry.jobVersion,
            "target": entry.target.rawValue, "operation": entry.operation.rawValue,
            "attemptCount": entry.attempts, "nextAttemptAt": entry.nextAttemptAt?.adminText ?? "", "externalID": entry.externalID ?? "",
            "lastErrorKind": entry.lastErrorKind?.rawValue ?? "", "lastErrorMessage": entry.lastErrorMessage ?? "",
            "submittedBy": entry.submittedBy ?? "", "updatedAt": entry.updatedAt.adminText,
            "canReplay": entry.status == .failed, "canCancel": entry.status == .pending || entry.status == .failed,
            "hasAttempts": !attempts.isEmpty,
        ]) { $1 }
        if let sent = entry.sentJobVersion { context["sentJobVersion"] = sent }
        context["attempts"] = attempts.map { attempt -> [String: Any] in
            [
                "attemptNumber": attempt.attemptNumber, "startedAt": attempt.startedAt.adminText, "outcome": attempt.outcome ?? "",
                "httpStatus": attempt.httpStatus.map { "\($0)" } ?? "", "errorKind": attempt.errorKind?.rawValue ?? "",
                "message": attempt.message ?? "", "durationMs": attempt.durationMilliseconds.map { "\($0)" } ?? "", "worker": attempt.worker,
            ]
        }
        if let notice { context["notice"] = notice }
        if let error { context["error"] = error }
        return page("row", context, status: status)
    }

    private func targetsPage(_ session: AdminSession) async throws -> Response {
        let targets = try await TargetRoutes.reports(for: session.organisationID, server: server).map { report -> [String: Any] in
            let health = report.health
            return [
                "target": report.target, "kind": report.kind, "enabled": report.enabled ? "yes" : "no",
                "connection": report.connection, "circuit": health.circuit, "circuitUntil": health.circuitUntil?.adminText ?? "",
                "requests": health.requestsInWindow, "failures": health.failedRequestsInWindow,
                "consecutiveFailures": health.consecutiveFailures, "pausedUntil": health.pausedUntil?.adminText ?? "",
            ]
        }
        return page("targets", base(session, title: "Targets").merging(["targets": targets]) { $1 })
    }

    // MARK: - Sessions and forms

    /// The session of the request's cookie, if it is live and its key still active.
    private func signedIn(_ request: Request) async throws -> (token: String, session: AdminSession)? {
        guard let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty,
              let session = server.adminSessions.session(token, now: server.now) else { return nil }
        guard try await server.store.activeAPIKey(secretHash: session.keySecretHash) != nil else {
            server.adminSessions.end(token)
            return nil
        }
        return (token, session)
    }

    private func csrfMatches(_ session: AdminSession, _ request: Request, _ context: APIRequestContext) async throws -> Bool {
        let form = try await decodeForm(CSRFForm.self, request, context)
        return form?.csrfToken.map { constantTimeEquals($0, session.csrfToken) } ?? false
    }

    /// The form, or nil when it cannot be read (no browser sends that): treated as a stale form.
    private func decodeForm<Form: Decodable>(_ type: Form.Type, _ request: Request, _ context: APIRequestContext) async throws -> Form? {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        return try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
    }

    private func ownEntry(_ context: APIRequestContext, _ session: AdminSession) async throws -> OutboxEntry? {
        guard let id = (try? context.pathID()).flatMap(Int64.init), let entry = try await server.store.outboxEntry(id: id),
              entry.organisationID == session.organisationID else { return nil }
        return entry
    }

    private func base(_ session: AdminSession, title: String) -> [String: Any] {
        ["title": title, "signedIn": true, "organisation": session.organisationID.rawValue, "keyID": session.keyID, "csrfToken": session.csrfToken]
    }

    private func staleForm(signedIn session: AdminSession?) -> Response {
        var context: [String: Any] = session.map { base($0, title: "This form has expired") } ?? ["title": "This form has expired"]
        context["text"] = "The form was sent with a security token that is not this session's (an old tab, or a session that ended). Nothing was changed."
        context["link"] = session == nil ? "/admin/sign-in" : "/admin/outbox"
        context["linkText"] = "Start again"
        return page("message", context, status: .forbidden)
    }

    private func notFound(_ session: AdminSession, _ text: String) -> Response {
        var context = base(session, title: "Not found")
        context["text"] = text
        context["link"] = "/admin/outbox"
        context["linkText"] = "Back to the outbox"
        return page("message", context, status: .notFound)
    }

    private func page(_ template: String, _ context: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = AdminTemplates.library.render(context, withTemplate: template) ?? "template \(template) is missing"
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    private func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    private func cookie(_ name: String, _ value: String, path: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: false, httpOnly: true, sameSite: .strict)
    }
}

extension Date {
    /// `2026-12-05 10:15:00Z`, for the admin pages.
    var adminText: String { formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).dateTimeSeparator(.space)) }
}

extension PageRequest {
    static var first: PageRequest { PageRequest(limit: defaultLimit, after: nil) }
}
