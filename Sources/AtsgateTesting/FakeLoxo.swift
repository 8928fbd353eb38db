public import Foundation
public import Hummingbird
import NIOCore
import Synchronization

/// An in-process Loxo-style ATS on 127.0.0.1 (port 0), written from `ATS_APIS.md` part A — not
/// from our client — including its traps:
///
/// - `Authorization: Bearer <key>` and the agency slug in the path: a wrong key is 401, a wrong slug 404;
/// - write bodies wrapped in the resource key, as JSON (`{"job": {…}}`) or form-encoded (`job[title]=…`);
/// - `POST /jobs` without `title` or a company answers **200 with `"id": null`** and stores nothing;
/// - `GET /jobs` pages with top-level `current_page/total_pages/per_page/total_count/results`, and
///   paging past the first 10,000 results is a **400**; `query` is a search (`field:"value"` or words in the title);
/// - companies and people page by `scroll_id`; `per_page` on companies is a **422**;
/// - money comes back as strings, `status`/`job_type`/`company` as `{id, name}` objects;
/// - scriptable 429 (with or without Retry-After) and other statuses, and "commit, then hold the answer".
public final class FakeLoxo: Sendable {
    public struct Job: Sendable {
        public var id: Int
        public var fields: [String: String]
        public var contacts: [Int] = []
        public var createdAt: Date
    }

    public struct Record: Sendable {
        public var id: Int
        public var fields: [String: String]
    }

    public enum Fault: Hashable, Sendable {
        case status(Int, retryAfter: String? = nil)
    }

    public struct ReceivedRequest: Hashable, Sendable {
        public var method: String
        public var path: String
        public var query: String?
    }

    private struct State {
        var jobs: [Job] = []
        var companies: [Record] = []
        var people: [Record] = []
        var nextID = 3_406_600
        var requests: [ReceivedRequest] = []
        var faults: [Fault] = []
    }

    public static let maximumResults = 10_000
    /// Job statuses of this fake tenant (`GET /job_statuses` on a real one).
    public static let statuses = [1: "Active", 2: "Closed", 3: "Filled"]
    public static let jobTypes = [1: "Permanent", 2: "Part Time", 3: "Contract", 4: "Temporary", 5: "Internship"]

    private let state = Mutex(State())
    private let answers = AnswerHold()
    public let agencySlug: String
    public let apiKey: String
    public let port: Int

    private init(port: Int, agencySlug: String, apiKey: String) {
        self.port = port
        self.agencySlug = agencySlug
        self.apiKey = apiKey
    }

    /// `http://127.0.0.1:PORT`: the `base_url` of a `kind: loxo` target.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var jobs: [Job] { state.withLock { $0.jobs } }
    public var companies: [Record] { state.withLock { $0.companies } }
    public var people: [Record] { state.withLock { $0.people } }
    public var requests: [ReceivedRequest] { state.withLock { $0.requests } }

    public func script(_ faults: Fault...) {
        state.withLock { $0.faults += faults }
    }

    /// While on, writes are stored and their answer held until ``releaseHeld()``.
    public func holdAfterCommit(_ hold: Bool) {
        answers.set(hold)
    }

    public func releaseHeld() {
        answers.releaseAll()
    }

    /// Adds `count` jobs directly, for paging tests.
    public func seedJobs(_ count: Int, status: Int = 1) {
        state.withLock { state in
            for index in 0..<count {
                state.nextID += 1
                state.jobs.append(Job(id: state.nextID, fields: ["title": "Seeded \(index)", "job_status_id": "\(status)"], createdAt: Date()))
            }
        }
    }

    public static func withRunning<Result: Sendable>(
        agencySlug: String = "acme-talent",
        apiKey: String = "loxo-test-key",
        _ body: @Sendable (FakeLoxo) async throws -> Result
    ) async throws -> Result {
        let router = Router()
        let box = LateBound<FakeLoxo>()
        router.on("/api/:slug/jobs", method: .get) { request, context in try await box.current.handle(request, context, route: .listJobs) }
        router.on("/api/:slug/jobs", method: .post) { request, context in try await box.current.handle(request, context, route: .createJob) }
        router.on("/api/:slug/jobs/:id", method: .get) { request, context in try await box.current.handle(request, context, route: .showJob) }
        router.on("/api/:slug/jobs/:id", method: .put) { request, context in try await box.current.handle(request, context, route: .updateJob) }
        router.on("/api/:slug/jobs/:id/contacts", method: .post) { request, context in try await box.current.handle(request, context, route: .addContact) }
        router.on("/api/:slug/companies", method: .get) { request, context in try await box.current.handle(request, context, route: .listCompanies) }
        router.on("/api/:slug/companies", method: .post) { request, context in try await box.current.handle(request, context, route: .createCompany) }
        router.on("/api/:slug/people", method: .get) { request, context in try await box.current.handle(request, context, route: .listPeople) }
        router.on("/api/:slug/people", method: .post) { request, context in try await box.current.handle(request, context, route: .createPerson) }
        return try await LoopbackServer.withRunning(router, label: "fake-loxo") { port in
            let fake = FakeLoxo(port: port, agencySlug: agencySlug, apiKey: apiKey)
            box.set(fake)
            defer { fake.releaseHeld() }
            return try await body(fake)
        }
    }

    // MARK: - Handling

    enum Route {
        case listJobs, createJob, showJob, updateJob, addContact, listCompanies, createCompany, listPeople, createPerson
    }

    private func handle(_ request: Request, _ context: BasicRequestContext, route: Route) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        state.withLock { $0.requests.append(ReceivedRequest(method: request.method.rawValue, path: request.uri.path, query: request.uri.query)) }
        guard context.parameters.get("slug") == agencySlug else { return Self.json(["error": "Agency not found"], .notFound) }
        guard request.headers[.authorization] == "Bearer \(apiKey)" else { return Self.json(["error": "Unauthorized"], .unauthorized) }
        if let fault = state.withLock({ $0.faults.isEmpty ? nil : $0.faults.removeFirst() }), case let .status(code, retryAfter) = fault {
            var response = Self.json(["error": "scripted \(code)"], .init(code: code))
            if let retryAfter { response.headers[.retryAfter] = retryAfter }
            return response
        }
        let query = request.uri.queryParameters
        let id = context.parameters.get("id").flatMap(Int.init)
        let contentType = request.headers[.contentType] ?? ""

        let response: Response
        switch route {
        case .listJobs:
            return listJobs(page: query.get("page").flatMap(Int.init) ?? 1, perPage: query.get("per_page").flatMap(Int.init) ?? 25,
                            search: query.get("query").map { String($0) }, status: query.get("job_status_id").flatMap(Int.init))
        case .showJob:
            guard let job = jobs.first(where: { $0.id == id }) else { return Self.json(["error": "Not found"], .notFound) }
            return Self.json(readShape(job), .ok)
        case .createJob:
            let fields = Self.wrapped("job", body: body, contentType: contentType)
            let company = fields["company_id"].flatMap(Int.init).flatMap { companyID in companies.first { $0.id == companyID } }
            guard let title = fields["title"], !title.isEmpty, company != nil || !(fields["raw_company_name"] ?? "").isEmpty else {
                // The live API's trap: 200, the payload echoed, `id: null`, nothing persisted.
                var echo: [String: Any] = fields
                echo["id"] = NSNull()
                return Self.json(["job": echo], .ok)
            }
            let job = state.withLock { state -> Job in
                state.nextID += 1
                var stored = fields
                stored["job_status_id"] = stored["job_status_id"] ?? "1"
                let job = Job(id: state.nextID, fields: stored, createdAt: Date())
                state.jobs.append(job)
                return job
            }
            response = Self.json(["job": readShape(job)], .ok)
        case .updateJob:
            let fields = Self.wrapped("job", body: body, contentType: contentType)
            let updated = state.withLock { state -> Job? in
                guard let index = state.jobs.firstIndex(where: { $0.id == id }) else { return nil }
                state.jobs[index].fields.merge(fields) { _, new in new }
                return state.jobs[index]
            }
            guard let updated else { return Self.json(["error": "Not found"], .notFound) }
            response = Self.json(["job": readShape(updated)], .ok)
        case .addContact:
            let fields = Self.wrapped("job_contact", body: body, contentType: contentType)
            guard let personID = fields["person_id"].flatMap(Int.init), people.contains(where: { $0.id == personID }) else {
                return Self.json(["errors": ["person_id is invalid"]], .unprocessableContent)
            }
            let attached = state.withLock { state -> Bool in
                guard let index = state.jobs.firstIndex(where: { $0.id == id }) else { return false }
                if !state.jobs[index].contacts.contains(personID) { state.jobs[index].contacts.append(personID) }
                return true
            }
            guard attached else { return Self.json(["error": "Not found"], .notFound) }
            response = Self.json(["job_contact": ["person_id": personID, "job_contact_type_id": Int(fields["job_contact_type_id"] ?? "") ?? 1]], .ok)
        case .listCompanies:
            if query.get("per_page") != nil { return Self.json(["errors": ["Invalid parameters: [:per_page]"]], .unprocessableContent) }
            return scroll("companies", records: companies, search: query.get("query").map { String($0) }, scrollID: query.get("scroll_id").map { String($0) })
        case .listPeople:
            return scroll("people", records: people, search: query.get("query").map { String($0) }, scrollID: query.get("scroll_id").map { String($0) })
        case .createCompany, .createPerson:
            let key = route == .createCompany ? "company" : "person"
            let fields = Self.wrapped(key, body: body, contentType: contentType)
            guard let name = fields["name"], !name.isEmpty else { return Self.json(["errors": ["name can't be blank"]], .unprocessableContent) }
            let record = state.withLock { state -> Record in
                state.nextID += 1
                let record = Record(id: state.nextID, fields: fields)
                if route == .createCompany { state.companies.append(record) } else { state.people.append(record) }
                return record
            }
            var shape: [String: Any] = record.fields
            shape["id"] = record.id
            response = Self.json([key: shape], .ok)
        }
        await answers.waitIfHolding()
        return response
    }

    private func listJobs(page: Int, perPage: Int, search: String?, status: Int?) -> Response {
        guard (page - 1) * perPage < Self.maximumResults else {
            return Self.json(["errors": ["Paginating past the first 10000 results is not supported"]], .badRequest)
        }
        let matching = jobs.filter { job in
            (status.map { job.fields["job_status_id"] == String($0) } ?? true) && Self.matches(job.fields, search)
        }
        let slice = matching.dropFirst((page - 1) * perPage).prefix(perPage)
        return Self.json([
            "current_page": page,
            "total_pages": max(1, (matching.count + perPage - 1) / perPage),
            "per_page": perPage,
            "total_count": matching.count,
            "results": slice.map(readShape),
        ], .ok)
    }

    /// `field:"value"` matches a field exactly; anything else matches words of the title.
    static func matches(_ fields: [String: String], _ search: String?) -> Bool {
        guard let search, !search.isEmpty else { return true }
        if let colon = search.firstIndex(of: ":") {
            let field = String(search[..<colon])
            let value = search[search.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return fields[field] == value
        }
        return (fields["title"] ?? fields["name"] ?? "").localizedCaseInsensitiveContains(search)
    }

    private func scroll(_ key: String, records: [Record], search: String?, scrollID: String?) -> Response {
        let matching = records.filter { Self.matches($0.fields, search) }
        let after = scrollID.flatMap { Int($0, radix: 16) } ?? 0
        let page = matching.filter { $0.id > after }.prefix(20)
        let next: Any = page.last.map { String($0.id, radix: 16) } ?? NSNull()
        return Self.json([
            "scroll_id": next,
            "total_count": matching.count,
            key: page.map { record -> [String: Any] in
                var shape: [String: Any] = record.fields
                shape["id"] = record.id
                return shape
            },
        ], .ok)
    }

    /// A job as `GET /jobs` returns it: `{id, name}` objects, money as strings, ISO timestamps.
    private func readShape(_ job: Job) -> [String: Any] {
        var shape: [String: Any] = job.fields.filter { !["company_id", "job_status_id", "job_type_id", "salary"].contains($0.key) }
        shape["id"] = job.id
        let statusID = Int(job.fields["job_status_id"] ?? "1") ?? 1
        shape["status"] = ["id": statusID, "name": Self.statuses[statusID] ?? "Unknown"]
        if let typeID = job.fields["job_type_id"].flatMap(Int.init) {
            shape["job_type"] = ["id": typeID, "name": Self.jobTypes[typeID] ?? "Other"]
        }
        if let companyID = job.fields["company_id"].flatMap(Int.init), let company = companies.first(where: { $0.id == companyID }) {
            shape["company"] = ["id": companyID, "name": company.fields["name"] ?? "", "hidden": false]
        }
        shape["salary"] = job.fields["salary"].flatMap(Self.moneyString) ?? NSNull()
        shape["contacts"] = job.contacts.map { ["person_id": $0] }
        shape["created_at"] = job.createdAt.formatted(.iso8601)
        return shape
    }

    /// Money as Loxo writes it: a string with at least one decimal, `"120000.0"`.
    static func moneyString(_ text: String) -> String? {
        guard let amount = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        let plain = NSDecimalNumber(decimal: amount).description(withLocale: Locale(identifier: "en_US_POSIX"))
        return plain.contains(".") ? plain : plain + ".0"
    }

    /// The fields inside the resource key, from JSON `{"job": {…}}` or a form `job[title]=…`, as text.
    static func wrapped(_ key: String, body: ByteBuffer, contentType: String) -> [String: String] {
        let data = Data(body.readableBytesView)
        if contentType.contains("application/x-www-form-urlencoded") {
            var fields: [String: String] = [:]
            for pair in String(decoding: data, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
                guard let name = parts.first, name.hasPrefix("\(key)["), let close = name.firstIndex(of: "]") else { continue }
                let field = String(name[name.index(name.startIndex, offsetBy: key.count + 1)..<close])
                fields[field] = parts.count > 1 ? parts[1] : ""
            }
            return fields
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let inner = object[key] as? [String: Any] else { return [:] }
        return inner.compactMapValues { value in
            switch value {
            case let string as String: string
            case let number as NSNumber: number.stringValue
            default: nil
            }
        }
    }

    static func json(_ object: [String: Any], _ status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var response = Response(status: status, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        response.headers[.contentType] = "application/json"
        return response
    }
}
