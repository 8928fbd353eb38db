import AtsgateCore
import Foundation

/// A job with every optional field set, whose contexts hold every key a template may name.
enum TemplateSample {
    static let target: TargetName = "email"

    static var snapshot: JobSnapshot {
        let person = Person(
            organisationID: "org", id: "person", firstName: "Ada", lastName: "Lind", email: "ada@example.com",
            phone: "+1 555 0100", companyRole: "CTO", companyID: "company"
        )
        return JobSnapshot(
            job: Job(
                organisationID: "org", id: "job", companyID: "company", title: "Engineer", description: "Builds things.",
                location: "Berlin", employmentType: .fullTime, salary: SalaryRange(minimum: 1, maximum: 2, currency: "EUR"),
                jobURL: "https://example.com/job", status: .open, qualificationStatus: .qualify,
                qualifiedAt: Date(timeIntervalSince1970: 0), qualifiedBy: "recruiter", notes: "Notes."
            ),
            version: 1,
            company: Company(
                organisationID: "org", id: "company", name: "Example", domain: "example.com", industry: "Software",
                website: "https://example.com", phone: "+1 555 0101", address: "1 Example Street"
            ),
            decisionMakers: [person], hiringManagers: [person], primaryContact: person
        )
    }

    static var jobKeys: Set<String> {
        TemplateContext.keys(of: TemplateContext.job(SubmissionRequest(operation: .create, snapshot: snapshot), target: target))
    }

    static var notificationKeys: Set<String> {
        let snapshot = snapshot
        let request = NotificationRequest(notificationID: 1, type: .jobQualified, recipient: snapshot.decisionMakers[0], snapshot: snapshot)
        return TemplateContext.keys(of: TemplateContext.notification(request, target: target))
    }
}
