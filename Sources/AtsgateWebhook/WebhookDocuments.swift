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

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
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
