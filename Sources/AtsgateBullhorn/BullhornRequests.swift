import AtsgateCore
import AtsgateHTTP

/// Bullhorn's requests for a job (ATS_APIS.md B2–B5), built from the target's mapping. Paths are
/// below the session's `restUrl`. Every read names its `fields` (B2: mandatory, `*` is being
/// blocked); every search of an entity with `isDeleted` leaves deleted records out (B4: the index
/// holds them); search hits are compared exactly by the caller (Lucene matches words, not values).
///
/// Pure: the connector sends these, and `mappings preview` prints them.
struct BullhornRequests: Sendable {
    /// Bullhorn's largest page (B5).
    static let pageSize = 500
    /// Ids per `entity/JobOrder/{ids}` read, keeping the URL short.
    static let idsPerRead = 100
    static let searchCount = 100

    let engine: MappingEngine
    let shape: BullhornMappingShape

    // MARK: Companies

    func companySearch(_ key: BullhornEntityKey) -> PlannedRequest {
        PlannedRequest(method: "GET", path: "/search/ClientCorporation?query=\(Self.phrase("externalID", key.description))&fields=id,externalID&count=\(Self.searchCount)")
    }

    func createCompany(for snapshot: JobSnapshot) throws(ConnectorError) -> PlannedRequest {
        var company = try engine.map("company", snapshot: snapshot)
        company[BullhornMappingShape.markerField] = .string(BullhornEntityKey.company(snapshot.company).description)
        return PlannedRequest(method: "PUT", path: "/entity/ClientCorporation", body: Self.creation(company))
    }

    // MARK: Contacts

    func contactSearch(_ key: BullhornEntityKey) -> PlannedRequest {
        let query = Self.phrase("externalID", key.description) + Self.encodedSpace + "AND" + Self.encodedSpace + "isDeleted:0"
        return PlannedRequest(method: "GET", path: "/search/ClientContact?query=\(query)&fields=id,externalID&count=\(Self.searchCount)")
    }

    /// `name` is sent even when the mapping has none: REST does not compute it, and a contact
    /// without it cannot be picked in Bullhorn's UI (B3).
    func createContact(_ person: Person, of snapshot: JobSnapshot, companyID: String) throws(ConnectorError) -> PlannedRequest {
        var contact = try engine.map("contact", snapshot: snapshot, person: person)
        if contact["name"]?.isEmpty ?? true { contact["name"] = .string(person.fullName) }
        contact["clientCorporation"] = Self.association(companyID)
        contact[BullhornMappingShape.markerField] = .string(BullhornEntityKey.contact(person).description)
        return PlannedRequest(method: "PUT", path: "/entity/ClientContact", body: Self.creation(contact))
    }

    // MARK: JobOrders

    /// The mapped JobOrder with its company and contact. A close always sends `isOpen: false`;
    /// without an `isOpen` in the mapping the connector writes it from the job's status.
    func mappedJob(_ snapshot: JobSnapshot, companyID: String?, contactID: String?, closing: Bool = false) throws(ConnectorError) -> [String: MappedValue] {
        var job = try engine.map("job", snapshot: snapshot)
        if closing {
            job["isOpen"] = .bool(false)
        } else if !shape.mapsIsOpen {
            job["isOpen"] = .bool(snapshot.job.status == .open)
        }
        if let companyID { job["clientCorporation"] = Self.association(companyID) }
        if let contactID { job["clientContact"] = Self.association(contactID) }
        return job
    }

    func createJob(_ job: [String: MappedValue]) -> PlannedRequest {
        PlannedRequest(method: "PUT", path: "/entity/JobOrder", body: Self.creation(job))
    }

    /// The JobOrder's mapped fields as Bullhorn holds them, before an update.
    func readJob(id: String) -> PlannedRequest {
        let fields = ["id", "isDeleted", "clientCorporation(id)", "clientContact(id)"]
            + shape.jobFields.filter { !["id", "isDeleted"].contains($0) }
        return PlannedRequest(method: "GET", path: "/entity/JobOrder/\(HTTPTransport.pathComponent(id))?fields=\(fields.joined(separator: ","))")
    }

    /// `POST entity/JobOrder/{id}` with the fields to change (an update, and also a close).
    func updateJob(id: String, _ changes: [String: MappedValue]) -> PlannedRequest {
        PlannedRequest(method: "POST", path: "/entity/JobOrder/\(HTTPTransport.pathComponent(id))", body: .object(changes))
    }

    func jobSearch(carrying marker: JobMarker) -> PlannedRequest {
        let query = Self.phrase(BullhornMappingShape.markerField, marker.description) + Self.encodedSpace + "AND" + Self.encodedSpace + "isDeleted:0"
        return PlannedRequest(method: "GET", path: "/search/JobOrder?query=\(query)&fields=id,externalID&count=\(Self.searchCount)")
    }

    /// `GET entity/JobOrder/{id1},{id2}…`: the ones that exist, with what reconciliation reads (B2).
    func jobOrders(ids: [String]) -> PlannedRequest {
        let list = ids.map(HTTPTransport.pathComponent).joined(separator: ",")
        return PlannedRequest(method: "GET", path: "/entity/JobOrder/\(list)?fields=\(listedFields.joined(separator: ","))")
    }

    /// One page of every live JobOrder, in id order (B5: `start`/`count`, at most 500).
    func jobPage(start: Int) -> PlannedRequest {
        PlannedRequest(
            method: "GET",
            path: "/search/JobOrder?query=isDeleted:0&fields=\(listedFields.joined(separator: ","))&sort=id&start=\(start)&count=\(Self.pageSize)"
        )
    }

    /// One live JobOrder's id and the total: the cheapest read that proves a session works.
    func probe() -> PlannedRequest {
        PlannedRequest(method: "GET", path: "/search/JobOrder?query=isDeleted:0&fields=id&count=1")
    }

    var listedFields: [String] {
        var fields = ["id", BullhornMappingShape.markerField, "isOpen", "isDeleted"]
        fields += shape.comparedFields.filter { !fields.contains($0) }
        return fields
    }

    // MARK: Encoding

    static let encodedSpace = "%20"

    /// `field:"value"` for Lucene, quotes and backslashes escaped, then URL-encoded.
    static func phrase(_ field: String, _ value: String) -> String {
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return HTTPTransport.queryValue("\(field):\"\(escaped)\"")
    }

    /// A create's body: empty values are left out, so Bullhorn's defaults apply (an update sends
    /// them, to clear what the CRM cleared).
    static func creation(_ fields: [String: MappedValue]) -> MappedValue {
        .object(fields.filter { $0.value != .null })
    }

    /// `{"id": N}`, the id as a number when it is one.
    static func association(_ id: String) -> MappedValue {
        .object(["id": Int64(id).map(MappedValue.integer) ?? .string(id)])
    }
}

extension JobSnapshot {
    /// The person a JobOrder names as its `clientContact` (a JobOrder has exactly one, B3): the
    /// company's first decision maker, else its first hiring manager, else its primary contact.
    func jobOrderContact() throws(ConnectorError) -> Person {
        guard let person = decisionMakers.first ?? hiringManagers.first ?? primaryContact else {
            throw .mapping(
                field: "job.clientContact", job: job.id,
                reason: "a Bullhorn JobOrder needs a ClientContact, but company \(company.id) has no decision maker, hiring manager or primary contact"
            )
        }
        return person
    }
}
