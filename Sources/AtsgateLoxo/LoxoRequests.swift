import AtsgateCore
import AtsgateHTTP

/// Loxo's requests for a job (ATS_APIS.md A2–A5), built from the target's mapping: write bodies
/// are wrapped in the resource key (`{"job": {…}}`), searches use `query` (a ranked full-text
/// search — every result is compared exactly before it is trusted).
///
/// Pure: the connector sends these, and `mappings preview` prints them.
struct LoxoRequests: Sendable {
    static let pageSize = 100

    let engine: MappingEngine
    /// The job field holding our marker (Loxo jobs have no external-id field).
    let markerField: String

    // MARK: Companies

    func companySearch(named name: String, scrollID: String? = nil) -> PlannedRequest {
        var path = "/companies?query=\(Self.fieldQuery("name", name))"
        if let scrollID { path += "&scroll_id=\(HTTPTransport.queryValue(scrollID))" }
        return PlannedRequest(method: "GET", path: path)
    }

    func createCompany(for snapshot: JobSnapshot) throws(ConnectorError) -> PlannedRequest {
        PlannedRequest(method: "POST", path: "/companies", body: .object(["company": .object(try engine.map("company", snapshot: snapshot))]))
    }

    // MARK: People

    /// By email when the person has one, else by name.
    func personSearch(for person: Person) -> PlannedRequest {
        let query = person.email.map { Self.fieldQuery("email", $0) } ?? Self.fieldQuery("name", person.fullName)
        return PlannedRequest(method: "GET", path: "/people?query=\(query)&per_page=\(Self.pageSize)")
    }

    func createPerson(_ person: Person, of snapshot: JobSnapshot) throws(ConnectorError) -> PlannedRequest {
        PlannedRequest(method: "POST", path: "/people", body: .object(["person": .object(try engine.map("contact", snapshot: snapshot, person: person))]))
    }

    /// `POST /jobs/{id}/contacts`: the person as the job's hiring contact. An optional `job_contact`
    /// entity in the mapping adds fields such as the agency's `job_contact_type_id`.
    func attachContact(_ person: Person, remoteID: String, toJob jobID: String, of snapshot: JobSnapshot) throws(ConnectorError) -> PlannedRequest {
        let contact = try engine.map("contact", snapshot: snapshot, person: person)
        var body: [String: MappedValue] = [
            "person_id": Self.idValue(remoteID),
            "name": contact["name"] ?? .string(person.fullName),
        ]
        if let title = contact["title"], !title.isEmpty { body["title"] = title }
        if let email = contact["email"], !email.isEmpty { body["emails"] = .array([.object(["value": email])]) }
        if engine.mapping["job_contact"] != nil {
            body.merge(try engine.map("job_contact", snapshot: snapshot, person: person)) { _, mapped in mapped }
        }
        return PlannedRequest(method: "POST", path: "/jobs/\(HTTPTransport.pathComponent(jobID))/contacts", body: .object(["job_contact": .object(body)]))
    }

    // MARK: Jobs

    func mappedJob(_ snapshot: JobSnapshot, companyID: String?) throws(ConnectorError) -> [String: MappedValue] {
        var job = try engine.map("job", snapshot: snapshot)
        if let companyID { job["company_id"] = Self.idValue(companyID) }
        return job
    }

    func createJob(_ job: [String: MappedValue]) -> PlannedRequest {
        PlannedRequest(method: "POST", path: "/jobs", body: .object(["job": .object(job)]))
    }

    /// An update, and also a close: the mapping writes the job's status (`job_status_id`).
    func updateJob(id: String, _ job: [String: MappedValue]) -> PlannedRequest {
        PlannedRequest(method: "PUT", path: "/jobs/\(HTTPTransport.pathComponent(id))", body: .object(["job": .object(job)]))
    }

    func showJob(id: String) -> PlannedRequest {
        PlannedRequest(method: "GET", path: "/jobs/\(HTTPTransport.pathComponent(id))")
    }

    func jobSearch(carrying marker: JobMarker) -> PlannedRequest {
        PlannedRequest(method: "GET", path: "/jobs?query=\(Self.fieldQuery(markerField, marker.description))&per_page=\(Self.pageSize)")
    }

    func jobStatuses() -> PlannedRequest {
        PlannedRequest(method: "GET", path: "/job_statuses")
    }

    func jobPage(status: Int, page: Int) -> PlannedRequest {
        PlannedRequest(method: "GET", path: "/jobs?job_status_id=\(status)&page=\(page)&per_page=\(Self.pageSize)")
    }

    // MARK: Encoding

    /// `field:"value"` for Loxo's Lucene `query`, quotes and backslashes escaped, then URL-encoded.
    static func fieldQuery(_ field: String, _ value: String) -> String {
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return HTTPTransport.queryValue("\(field):\"\(escaped)\"")
    }

    /// Loxo ids are numbers; keep one as a number when it is one.
    static func idValue(_ id: String) -> MappedValue {
        Int64(id).map(MappedValue.integer) ?? .string(id)
    }
}
