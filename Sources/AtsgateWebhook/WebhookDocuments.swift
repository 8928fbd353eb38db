import AtsgateCore
import Foundation

/// The JSON a webhook target receives for a job.
struct WebhookJobDocument: Encodable {
    var marker: String
    var operation: String
    var version: Int
    var job: Job
    var company: Company
    var decisionMakers: [Person]
    var hiringManagers: [Person]

    init(_ request: SubmissionRequest) {
        marker = request.snapshot.marker.description
        operation = request.operation.rawValue
        version = request.snapshot.version
        job = request.snapshot.job
        company = request.snapshot.company
        decisionMakers = request.snapshot.decisionMakers
        hiringManagers = request.snapshot.hiringManagers
    }

    /// The keys are spelled out in snake case (below), not converted per request: converting and
    /// sorting keys was most of the encoder's time, paid for every delivery.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    private enum CodingKeys: String, CodingKey {
        case marker, operation, version, job, company
        case decisionMakers = "decision_makers"
        case hiringManagers = "hiring_managers"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(marker, forKey: .marker)
        try container.encode(operation, forKey: .operation)
        try container.encode(version, forKey: .version)
        try container.encode(WireJob(job), forKey: .job)
        try container.encode(WireCompany(company), forKey: .company)
        try container.encode(decisionMakers.map(WirePerson.init), forKey: .decisionMakers)
        try container.encode(hiringManagers.map(WirePerson.init), forKey: .hiringManagers)
    }
}

/// A ``Job`` with the webhook's snake-case keys; absent values are left out.
private struct WireJob: Encodable {
    let job: Job

    init(_ job: Job) {
        self.job = job
    }

    private enum CodingKeys: String, CodingKey {
        case organisationID = "organisation_id", id, companyID = "company_id", title, description, location
        case employmentType = "employment_type", salary, jobURL = "job_url", status
        case qualificationStatus = "qualification_status", qualifiedAt = "qualified_at", qualifiedBy = "qualified_by", notes
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job.organisationID, forKey: .organisationID)
        try container.encode(job.id, forKey: .id)
        try container.encode(job.companyID, forKey: .companyID)
        try container.encode(job.title, forKey: .title)
        try container.encodeIfPresent(job.description, forKey: .description)
        try container.encodeIfPresent(job.location, forKey: .location)
        try container.encodeIfPresent(job.employmentType, forKey: .employmentType)
        try container.encodeIfPresent(job.salary, forKey: .salary)
        try container.encodeIfPresent(job.jobURL, forKey: .jobURL)
        try container.encode(job.status, forKey: .status)
        try container.encode(job.qualificationStatus, forKey: .qualificationStatus)
        try container.encodeIfPresent(job.qualifiedAt, forKey: .qualifiedAt)
        try container.encodeIfPresent(job.qualifiedBy, forKey: .qualifiedBy)
        try container.encodeIfPresent(job.notes, forKey: .notes)
    }
}

/// A ``Company`` with the webhook's snake-case keys.
private struct WireCompany: Encodable {
    let company: Company

    init(_ company: Company) {
        self.company = company
    }

    private enum CodingKeys: String, CodingKey {
        case organisationID = "organisation_id", id, name, domain, industry, website, phone, address
        case pipelineStage = "pipeline_stage"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(company.organisationID, forKey: .organisationID)
        try container.encode(company.id, forKey: .id)
        try container.encode(company.name, forKey: .name)
        try container.encodeIfPresent(company.domain, forKey: .domain)
        try container.encodeIfPresent(company.industry, forKey: .industry)
        try container.encodeIfPresent(company.website, forKey: .website)
        try container.encodeIfPresent(company.phone, forKey: .phone)
        try container.encodeIfPresent(company.address, forKey: .address)
        try container.encodeIfPresent(company.pipelineStage, forKey: .pipelineStage)
    }
}

/// A ``Person`` with the webhook's snake-case keys.
private struct WirePerson: Encodable {
    let person: Person

    init(_ person: Person) {
        self.person = person
    }

    private enum CodingKeys: String, CodingKey {
        case organisationID = "organisation_id", id, firstName = "first_name", lastName = "last_name", email, phone
        case companyRole = "company_role", companyID = "company_id", peopleStage = "people_stage"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(person.organisationID, forKey: .organisationID)
        try container.encode(person.id, forKey: .id)
        try container.encode(person.firstName, forKey: .firstName)
        try container.encode(person.lastName, forKey: .lastName)
        try container.encodeIfPresent(person.email, forKey: .email)
        try container.encodeIfPresent(person.phone, forKey: .phone)
        try container.encodeIfPresent(person.companyRole, forKey: .companyRole)
        try container.encodeIfPresent(person.companyID, forKey: .companyID)
        try container.encodeIfPresent(person.peopleStage, forKey: .peopleStage)
    }
}

/// `{"id": …}`: the id may come as a string or a number.
struct WebhookCreated: Decodable {
    var id: WebhookScalar?
}

struct WebhookPage: Decodable {
    struct Item: Decodable {
        var id: WebhookScalar
        var marker: String?
        var open: Bool?

        var remoteJob: RemoteJob {
            RemoteJob(remoteID: id.value, marker: marker.flatMap(JobMarker.init(parsing:)), isOpen: open ?? true)
        }
    }

    var results: [Item]
    var nextPageToken: String?

    enum CodingKeys: String, CodingKey {
        case results
        case nextPageToken = "next_page_token"
    }
}

/// A string or a number, read as text.
struct WebhookScalar: Decodable {
    var value: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            value = string
        } else if let number = try? container.decode(Int64.self) {
            value = String(number)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a string or an integer")
        }
    }
}
