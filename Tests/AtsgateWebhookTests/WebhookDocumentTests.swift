import AtsgateCore
@testable import AtsgateWebhook
import Foundation
import Testing

@Suite("The webhook's job document")
struct WebhookDocumentTests {
    /// The document as the models' own `Codable` conformances and snake-case key conversion write
    /// it: the contract the explicit keys must keep.
    struct ConvertedDocument: Encodable {
        var marker: String
        var operation: String
        var version: Int
        var job: Job
        var company: Company
        var decisionMakers: [Person]
        var hiringManagers: [Person]
    }

    static let complete = JobSnapshot(
        job: Job(
            organisationID: "org-a", id: "job-1", companyID: "cmp-1", title: "Backend Engineer", description: "Build \"things\"\nand ship",
            location: "Lyon", employmentType: .fullTime,
            salary: SalaryRange(minimum: Decimal(string: "55000.50"), maximum: 70_000, currency: "EUR"),
            jobURL: "https://jobs.example/1", status: .open, qualificationStatus: .qualify,
            qualifiedAt: Date(timeIntervalSince1970: 1_790_000_000), qualifiedBy: "rec@agency.example", notes: "urgent"
        ),
        version: 3,
        company: Company(
            organisationID: "org-a", id: "cmp-1", name: "Halcyon Robotics", domain: "halcyon.example", industry: "Robotics",
            website: "https://halcyon.example", phone: "+33 1 23", address: "1 rue X", pipelineStage: "client"
        ),
        decisionMakers: [Person(
            organisationID: "org-a", id: "per-1", firstName: "Dana", lastName: "Whitfield", email: "dana@halcyon.example",
            phone: "+33 6", companyRole: "CTO", companyID: "cmp-1", peopleStage: "customer"
        )],
        hiringManagers: [Person(organisationID: "org-a", id: "per-2", firstName: "Léa", lastName: "Dubois")]
    )

    static let sparse = JobSnapshot(
        job: Job(organisationID: "org-a", id: "job-2", companyID: "cmp-1", title: "Analyst"),
        version: 1,
        company: Company(organisationID: "org-a", id: "cmp-1", name: "Halcyon Robotics")
    )

    func object(_ data: Data) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    @Test("Its keys and values are those of the models in snake case; absent values are left out", arguments: [complete, sparse])
    func matchesTheModels(snapshot: JobSnapshot) throws {
        let request = SubmissionRequest(operation: .update, snapshot: snapshot, externalID: "R-1")
        let sent = Data(WebhookJobDocument(request).json.readableBytesView)

        let converting = JSONEncoder()
        converting.keyEncodingStrategy = .convertToSnakeCase
        converting.dateEncodingStrategy = .iso8601
        let expected = try converting.encode(ConvertedDocument(
            marker: snapshot.marker.description, operation: "update", version: snapshot.version, job: snapshot.job,
            company: snapshot.company, decisionMakers: snapshot.decisionMakers, hiringManagers: snapshot.hiringManagers
        ))
        #expect(try object(sent) == object(expected), "\(String(decoding: sent, as: UTF8.self))")
    }

    @Test("A complete job carries every field, the date in ISO 8601")
    func completeJob() throws {
        let sent = try object(Data(WebhookJobDocument(SubmissionRequest(operation: .create, snapshot: Self.complete)).json.readableBytesView))
        let job = try #require(sent["job"] as? NSDictionary)
        #expect(Set(job.allKeys.compactMap { $0 as? String }) == [
            "organisation_id", "id", "company_id", "title", "description", "location", "employment_type", "salary", "job_url",
            "status", "qualification_status", "qualified_at", "qualified_by", "notes",
        ])
        #expect(job["qualified_at"] as? String == "2026-09-21T14:13:20Z")
        let person = try #require((sent["decision_makers"] as? [NSDictionary])?.first)
        #expect(person["first_name"] as? String == "Dana")
        #expect(person["company_role"] as? String == "CTO")
    }
}
