@testable import AtsgateCore
import Foundation
import Testing

@Suite("Request fingerprints")
struct RequestFingerprintTests {
    let snapshot = JobSnapshot(
        job: Job(organisationID: "org-a", id: "job-1", companyID: "cmp-1", title: "Backend Engineer"),
        version: 1,
        company: Company(organisationID: "org-a", id: "cmp-1", name: "Halcyon Robotics")
    )

    func fingerprint(_ snapshot: JobSnapshot, _ operation: SubmissionOperation = .create, externalID: String? = nil) -> String {
        RequestFingerprint.of(RequestFingerprint.Sent(SubmissionRequest(operation: operation, snapshot: snapshot, externalID: externalID)))
    }

    @Test("The same request hashes the same, also across encoders; any field it sends changes the hash")
    func stableAndSensitive() {
        let base = fingerprint(snapshot)
        #expect(base == fingerprint(snapshot))
        #expect(base != "unencodable")
        var retitled = snapshot
        retitled.job.title = "Backend Engineer II"
        var renamed = snapshot
        renamed.company.name = "Halcyon"
        var contact = snapshot
        contact.decisionMakers = [Person(organisationID: "org-a", id: "per-1", firstName: "Ada", lastName: "Lind", companyID: "cmp-1")]
        let variants = [
            fingerprint(retitled), fingerprint(renamed), fingerprint(contact),
            fingerprint(snapshot, .update, externalID: "R1"), fingerprint(snapshot, .close, externalID: "R1"),
        ]
        #expect(Set(variants + [base]).count == variants.count + 1)
    }

    /// Pinned: attempts stored before a change to the hasher must stay comparable with new ones.
    @Test("A full request hashes to the value earlier versions stored")
    func pinned() {
        let full = JobSnapshot(
            job: Job(
                organisationID: "org-a", id: "job-1", companyID: "cmp-1", title: "Backend Engineer", description: "Build things",
                location: "Lyon", employmentType: .fullTime,
                salary: SalaryRange(minimum: Decimal(string: "55000.50"), maximum: 70_000, currency: "EUR"),
                jobURL: "https://jobs.example/1", status: .open, qualificationStatus: .qualify,
                qualifiedAt: Date(timeIntervalSince1970: 1_790_000_000), qualifiedBy: "rec@agency.example"
            ),
            version: 3,
            company: Company(organisationID: "org-a", id: "cmp-1", name: "Halcyon Robotics", domain: "halcyon.example"),
            decisionMakers: [Person(organisationID: "org-a", id: "per-1", firstName: "Ada", lastName: "Lind", email: "ada@halcyon.example", companyID: "cmp-1")],
            hiringManagers: [Person(organisationID: "org-a", id: "per-3", firstName: "Cy", lastName: "Moreau")],
            primaryContact: Person(organisationID: "org-a", id: "per-1", firstName: "Ada", lastName: "Lind")
        )
        #expect(fingerprint(full, .update, externalID: "R-1") == "a965a655c09aa0ff")
        #expect(fingerprint(snapshot) == "e00ccea3b0a07b93")
    }

    @Test("Keyed containers hash independently of order: a dictionary's iteration order cannot change it")
    func orderIndependent() throws {
        var forward: [String: Int] = [:]
        var backward: [String: Int] = [:]
        for index in 0..<200 { forward["k\(index)"] = index }
        for index in (0..<200).reversed() { backward["k\(index)"] = index }
        #expect(try HashingEncoder.hash(forward) == HashingEncoder.hash(backward))
        backward["k7"] = 8
        #expect(try HashingEncoder.hash(forward) != HashingEncoder.hash(backward))
        #expect(try HashingEncoder.hash(["a", "b"]) != HashingEncoder.hash(["b", "a"]), "arrays keep their order")
    }
}
