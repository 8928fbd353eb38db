import Foundation
import Hummingbird
import NIOCore

/// The data of one fake Loxo agency and what each route does with it. A value type with no I/O,
/// so ``FakeLoxo`` handles a whole request under one lock.
struct FakeLoxoTenant {
    enum Route: Sendable {
        case listJobs, createJob, showJob, updateJob, listJobContacts, addJobContact, listJobStatuses
        case listCompanies, createCompany, showCompany, listPeople, createPerson, showPerson
    }

    /// What a route needs from a request.
    struct Call {
        var route: Route
        var id: Int?
        var query: [String: String]
        var body: ByteBuffer
        var contentType: String

        func fields(_ key: String) -> [String: String] {
            FakeLoxo.wrapped(key, body: body, contentType: contentType)
        }
    }

    /// A person linked to a job as a hiring contact (`job_contact`).
    struct JobContact {
        var id: Int
        var jobID: Int
        var personID: Int
        var typeID: Int
    }

    /// Cursor parameters that reference endpoints do not take (ATS_APIS.md A5, item 3).
    static let cursorParameters = ["after_id", "page", "per_page", "scroll_id"]
    static let scrollPageSize = 20

    var jobs: [FakeLoxo.Job] = []
    var companies: [FakeLoxo.Record] = []
    var people: [FakeLoxo.Record] = []
    var jobContacts: [JobContact] = []
    private var lastID = 3_406_600

    mutating func nextID() -> Int {
        lastID += 1
        return lastID
    }

    mutating func seedJobs(_ count: Int, status: Int) {
        for index in 0..<count {
            jobs.append(FakeLoxo.Job(id: nextID(), fields: ["title": "Seeded \(index)", "job_status_id": "\(status)"], createdAt: Date()))
        }
    }

    mutating func answer(_ call: Call) -> Response {
        switch call.route {
        case .listJobs: listJobs(call.query)
        case .createJob: createJob(call.fields("job"))
        case .showJob: jobs.first { $0.id == call.id }.map { FakeLoxo.json(jobShape($0), .ok) } ?? FakeLoxo.notFound()
        case .updateJob: updateJob(call.id, call.fields("job"))
        case .listJobContacts: listJobContacts(call.id)
        case .addJobContact: addJobContact(call.id, call.fields("job_contact"))
        case .listJobStatuses: listJobStatuses(call.query)
        case .listCompanies:
            if call.query["per_page"] != nil { FakeLoxo.errors("Invalid parameters: [:per_page]") }
            else { scroll("companies", companies, call.query) }
        case .createCompany: createRecord("company", call.fields("company"), into: \.companies)
        case .showCompany: companies.first { $0.id == call.id }.map { FakeLoxo.json(recordShape($0), .ok) } ?? FakeLoxo.notFound()
        case .listPeople: scroll("people", people, call.query)
        case .createPerson: createRecord("person", call.fields("person"), into: \.people)
        case .showPerson: people.first { $0.id == call.id }.map { FakeLoxo.json(recordShape($0), .ok) } ?? FakeLoxo.notFound()
        }
    }

    // MARK: - Jobs

    private func listJobs(_ query: [String: String]) -> Response {
        let page = query["page"].flatMap { Int($0) } ?? 1
        let perPage = query["per_page"].flatMap { Int($0) } ?? 25
        guard page >= 1, perPage >= 1 else { return FakeLoxo.errors("Invalid parameters: [:page, :per_page]") }
        let (offset, overflow) = (page - 1).multipliedReportingOverflow(by: perPage)
        guard !overflow, offset < FakeLoxo.maximumResults else {
            return FakeLoxo.errors("Paginating past the first 10000 results is not supported", status: .badRequest)
        }
        let matching = jobs.filter { job in
            (query["job_status_id"].map { job.fields["job_status_id"] == $0 } ?? true) && FakeLoxo.matches(job.fields, query["query"])
        }
        return FakeLoxo.json([
            "current_page": page,
            "total_pages": max(1, (matching.count + perPage - 1) / perPage),
            "per_page": perPage,
            "total_count": matching.count,
            "results": matching.dropFirst(offset).prefix(perPage).map(jobShape),
        ], .ok)
    }

    private mutating func createJob(_ fields: [String: String]) -> Response {
        if let invalid = invalidStatus(fields) { return invalid }
        let companyKnown = fields["company_id"].flatMap { Int($0) }.map { id in companies.contains { $0.id == id } } ?? false
        guard let title = fields["title"], !title.isEmpty, companyKnown || !(fields["raw_company_name"] ?? "").isEmpty else {
            // The live API's trap: 200, the payload echoed, `id: null`, nothing persisted.
            var echo: [String: Any] = fields
            echo["id"] = NSNull()
            return FakeLoxo.json(["job": echo], .ok)
        }
        var stored = fields
        stored["job_status_id"] = stored["job_status_id"] ?? "1"
        let job = FakeLoxo.Job(id: nextID(), fields: stored, createdAt: Date())
        jobs.append(job)
        return FakeLoxo.json(["job": jobShape(job)], .ok)
    }

    private mutating func updateJob(_ id: Int?, _ fields: [String: String]) -> Response {
        guard let index = jobs.firstIndex(where: { $0.id == id }) else { return FakeLoxo.notFound() }
        if let invalid = invalidStatus(fields) { return invalid }
        jobs[index].fields.merge(fields) { _, new in new }
        return FakeLoxo.json(["job": jobShape(jobs[index])], .ok)
    }

    /// A 422 when `job_status_id` is given but is not one of ``FakeLoxo/statuses``.
    private func invalidStatus(_ fields: [String: String]) -> Response? {
        guard let status = fields["job_status_id"], Int(status).flatMap({ FakeLoxo.statuses[$0] }) == nil else { return nil }
        return FakeLoxo.errors("Job status is invalid")
    }

    // MARK: - Hiring contacts

    /// `GET /jobs/{id}/contacts`: a top-level array of job contacts (the live shape is UNCONFIRMED).
    private func listJobContacts(_ jobID: Int?) -> Response {
        guard let job = jobs.first(where: { $0.id == jobID }) else { return FakeLoxo.notFound() }
        return FakeLoxo.json(contactShapes(of: job), .ok)
    }

    private mutating func addJobContact(_ jobID: Int?, _ fields: [String: String]) -> Response {
        guard let index = jobs.firstIndex(where: { $0.id == jobID }) else { return FakeLoxo.notFound() }
        guard let personID = fields["person_id"].flatMap({ Int($0) }), people.contains(where: { $0.id == personID }) else {
            return FakeLoxo.errors("person_id is invalid")
        }
        let jobID = jobs[index].id
        if let existing = jobContacts.first(where: { $0.jobID == jobID && $0.personID == personID }) {
            return FakeLoxo.json(["job_contact": contactShape(existing)], .ok)
        }
        let contact = JobContact(id: nextID(), jobID: jobID, personID: personID, typeID: fields["job_contact_type_id"].flatMap { Int($0) } ?? 1)
        jobContacts.append(contact)
        jobs[index].contacts.append(personID)
        return FakeLoxo.json(["job_contact": contactShape(contact)], .ok)
    }

    // MARK: - Reference data

    /// `GET /job_statuses`: the whole list at once as a top-level array of `{id, name}`; a cursor
    /// parameter is a 422, as a reference endpoint may answer one (ATS_APIS.md A5).
    private func listJobStatuses(_ query: [String: String]) -> Response {
        let cursors = Self.cursorParameters.filter { query[$0] != nil }
        guard cursors.isEmpty else {
            return FakeLoxo.errors("Invalid parameters: [\(cursors.map { ":\($0)" }.joined(separator: ", "))]")
        }
        return FakeLoxo.json(FakeLoxo.statuses.sorted { $0.key < $1.key }.map { ["id": $0.key, "name": $0.value] }, .ok)
    }

    // MARK: - Companies and people

    private mutating func createRecord(_ key: String, _ fields: [String: String], into records: WritableKeyPath<Self, [FakeLoxo.Record]>) -> Response {
        guard let name = fields["name"], !name.isEmpty else { return FakeLoxo.errors("name can't be blank") }
        let record = FakeLoxo.Record(id: nextID(), fields: fields)
        self[keyPath: records].append(record)
        return FakeLoxo.json([key: recordShape(record)], .ok)
    }

    /// A page of a scroll-cursor list. The cursor is the last id returned, in hex; the live one
    /// also encodes a timestamp, so clients must treat it as opaque.
    private func scroll(_ key: String, _ records: [FakeLoxo.Record], _ query: [String: String]) -> Response {
        let pageSize = query["per_page"].flatMap { Int($0) }.map { max(1, $0) } ?? Self.scrollPageSize
        let matching = records.filter { FakeLoxo.matches($0.fields, query["query"]) }
        let after = query["scroll_id"].flatMap { Int($0, radix: 16) } ?? 0
        let page = matching.filter { $0.id > after }.prefix(pageSize)
        let next: Any = page.last.map { String($0.id, radix: 16) } ?? NSNull()
        return FakeLoxo.json(["scroll_id": next, "total_count": matching.count, key: page.map(recordShape)], .ok)
    }

    // MARK: - Read shapes

    /// A job as `GET /jobs` returns it: `{id, name}` objects, money as strings, ISO timestamps.
    /// Job fields A4 shows as JSON booleans.
    static let booleanJobFields = ["published", "remote_work_allowed", "company_hidden"]

    func jobShape(_ job: FakeLoxo.Job) -> [String: Any] {
        var shape: [String: Any] = job.fields.filter { !["company_id", "job_status_id", "job_type_id", "salary"].contains($0.key) }
        shape["id"] = job.id
        let statusID = job.fields["job_status_id"].flatMap { Int($0) } ?? 1
        shape["status"] = ["id": statusID, "name": FakeLoxo.statuses[statusID] ?? "Unknown"]
        if let typeID = job.fields["job_type_id"].flatMap({ Int($0) }) {
            shape["job_type"] = ["id": typeID, "name": FakeLoxo.jobTypes[typeID] ?? "Other"]
        }
        if let companyID = job.fields["company_id"].flatMap({ Int($0) }), let company = companies.first(where: { $0.id == companyID }) {
            shape["company"] = ["id": companyID, "name": company.fields["name"] ?? "", "hidden": false]
        }
        shape["salary"] = job.fields["salary"].flatMap(FakeLoxo.moneyString) ?? NSNull()
        for name in Self.booleanJobFields {
            if let value = job.fields[name] { shape[name] = value == "true" || value == "1" }
        }
        shape["contacts"] = contactShapes(of: job)
        shape["created_at"] = job.createdAt.formatted(.iso8601)
        return shape
    }

    private func contactShapes(of job: FakeLoxo.Job) -> [[String: Any]] {
        jobContacts.filter { $0.jobID == job.id }.map(contactShape)
    }

    /// A hiring contact as A4 shows it: the person's name, title and emails, plus the link's ids.
    private func contactShape(_ contact: JobContact) -> [String: Any] {
        let person = people.first { $0.id == contact.personID }?.fields ?? [:]
        return [
            "id": contact.id,
            "person_id": contact.personID,
            "job_contact_type_id": contact.typeID,
            "name": person["name"] ?? "",
            "title": person["title"] ?? NSNull(),
            "emails": person["email"].map { [["value": $0, "email_type_id": 1]] } ?? [],
            "phones": person["phone"].map { [["value": $0]] } ?? [],
        ]
    }

    private func recordShape(_ record: FakeLoxo.Record) -> [String: Any] {
        var shape: [String: Any] = record.fields
        shape["id"] = record.id
        return shape
    }
}
