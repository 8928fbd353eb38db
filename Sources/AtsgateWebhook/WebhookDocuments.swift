import AtsgateCore
import AtsgateHTTP
import Foundation
import NIOCore

/// The JSON a webhook target receives for a job: the models' fields under snake-case keys,
/// absent values left out, dates in ISO 8601.
///
/// Written with ``JSONWriter`` rather than `JSONEncoder`: the body is built on every delivery,
/// and the encoder's boxing and generic containers cost more CPU than the HTTP request itself.
struct WebhookJobDocument {
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

    var json: ByteBuffer {
        var writer = JSONWriter()
        writer.object { document in
            document.field("marker", marker)
            document.field("operation", operation)
            document.field("version", version)
            document.field("job") { Self.write(job, to: &$0) }
            document.field("company") { Self.write(company, to: &$0) }
            document.field("decision_makers", array: decisionMakers) { writer, person in writer.object { Self.write(person, to: &$0) } }
            document.field("hiring_managers", array: hiringManagers) { writer, person in writer.object { Self.write(person, to: &$0) } }
        }
        return writer.buffer
    }

    private static func write(_ job: Job, to object: inout JSONWriter) {
        object.field("organisation_id", job.organisationID)
        object.field("id", job.id)
        object.field("company_id", job.companyID)
        object.field("title", job.title)
        object.field("description", job.description)
        object.field("location", job.location)
        object.field("employment_type", job.employmentType)
        if let salary = job.salary {
            object.field("salary") { range in
                range.field("minimum", salary.minimum)
                range.field("maximum", salary.maximum)
                range.field("currency", salary.currency)
            }
        }
        object.field("job_url", job.jobURL)
        object.field("status", job.status)
        object.field("qualification_status", job.qualificationStatus)
        object.field("qualified_at", iso8601: job.qualifiedAt)
        object.field("qualified_by", job.qualifiedBy)
        object.field("notes", job.notes)
    }

    private static func write(_ company: Company, to object: inout JSONWriter) {
        object.field("organisation_id", company.organisationID)
        object.field("id", company.id)
        object.field("name", company.name)
        object.field("domain", company.domain)
        object.field("industry", company.industry)
        object.field("website", company.website)
        object.field("phone", company.phone)
        object.field("address", company.address)
        object.field("pipeline_stage", company.pipelineStage)
    }

    private static func write(_ person: Person, to object: inout JSONWriter) {
        object.field("organisation_id", person.organisationID)
        object.field("id", person.id)
        object.field("first_name", person.firstName)
        object.field("last_name", person.lastName)
        object.field("email", person.email)
        object.field("phone", person.phone)
        object.field("company_role", person.companyRole)
        object.field("company_id", person.companyID)
        object.field("people_stage", person.peopleStage)
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
