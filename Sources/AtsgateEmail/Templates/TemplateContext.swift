import AtsgateCore
import Foundation

/// What templates can name: the job, its company and contacts, and what the message is about.
///
/// Absent values are left out rather than rendered empty, so `{{#job.location}}…{{/job.location}}`
/// shows only when there is a location. Keys are snake_case, like the CRM's own documents; every
/// key a template uses is checked against ``keys(of:)`` of a fully populated sample when the
/// templates load, because Mustache renders a misspelled key as nothing.
enum TemplateContext {
    static func job(_ request: SubmissionRequest, target: TargetName) -> [String: Any] {
        var context = common(request.snapshot, target: target)
        context["operation"] = request.operation.rawValue
        context["is_create"] = request.operation == .create
        context["is_update"] = request.operation == .update
        context["is_close"] = request.operation == .close
        return context
    }

    static func notification(_ request: NotificationRequest, target: TargetName) -> [String: Any] {
        var context = common(request.snapshot, target: target)
        context["recipient"] = person(request.recipient)
        context["notification_type"] = request.type.rawValue
        context["is_job_qualified"] = request.type == .jobQualified
        context["is_job_submitted"] = request.type == .jobSubmitted
        return context
    }

    /// Every key path component that occurs in `context`, at any depth.
    static func keys(of value: Any) -> Set<String> {
        switch value {
        case let object as [String: Any]:
            object.reduce(into: Set(object.keys)) { keys, entry in keys.formUnion(self.keys(of: entry.value)) }
        case let list as [Any]:
            list.reduce(into: Set<String>()) { keys, item in keys.formUnion(self.keys(of: item)) }
        default:
            []
        }
    }

    private static func common(_ snapshot: JobSnapshot, target: TargetName) -> [String: Any] {
        var context: [String: Any] = [
            "target": target.rawValue,
            "marker": snapshot.marker.description,
            "organisation_id": snapshot.job.organisationID.rawValue,
            "job": job(snapshot),
            "company": company(snapshot.company),
            "decision_makers": snapshot.decisionMakers.map(person),
            "hiring_managers": snapshot.hiringManagers.map(person),
        ]
        context["primary_contact"] = snapshot.primaryContact.map(person)
        return context
    }

    private static func job(_ snapshot: JobSnapshot) -> [String: Any] {
        let job = snapshot.job
        return compact([
            "id": job.id.rawValue,
            "title": job.title,
            "description": job.description,
            "location": job.location,
            "employment_type": job.employmentType.map(label),
            "salary": job.salary.map(salary),
            "url": job.jobURL,
            "status": job.status.rawValue,
            "is_open": job.status == .open,
            "notes": job.notes,
            "qualified_by": job.qualifiedBy,
            "qualified_at": job.qualifiedAt.map { $0.formatted(.iso8601) },
            "version": snapshot.version,
        ])
    }

    private static func company(_ company: Company) -> [String: Any] {
        compact([
            "id": company.id.rawValue,
            "name": company.name,
            "domain": company.domain,
            "website": company.website,
            "industry": company.industry,
            "phone": company.phone,
            "address": company.address,
        ])
    }

    private static func person(_ person: Person) -> [String: Any] {
        compact([
            "id": person.id.rawValue,
            "name": person.fullName,
            "first_name": person.firstName,
            "last_name": person.lastName,
            "email": person.email,
            "phone": person.phone,
            "title": person.companyRole,
        ])
    }

    private static func salary(_ salary: SalaryRange) -> [String: Any] {
        let amounts = [salary.minimum, salary.maximum].compactMap { $0.map(amount) }
        return compact([
            "minimum": salary.minimum.map(amount),
            "maximum": salary.maximum.map(amount),
            "currency": salary.currency,
            "text": amounts.isEmpty ? nil : "\(amounts.joined(separator: " – ")) \(salary.currency)",
        ])
    }

    /// `120,000.5`: grouped, at most two decimals, the same on every machine.
    private static func amount(_ value: Decimal) -> String {
        let formatter = NumberFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.numberStyle = .decimal
        formatter.usesGroupingSeparator = true
        formatter.groupingSeparator = ","
        formatter.groupingSize = 3
        formatter.maximumFractionDigits = 2
        return formatter.string(from: value as NSDecimalNumber) ?? "\(value)"
    }

    private static func label(_ type: EmploymentType) -> String {
        switch type {
        case .fullTime: "Full time"
        case .partTime: "Part time"
        case .contract: "Contract"
        case .temporary: "Temporary"
        case .internship: "Internship"
        }
    }

    /// Drops absent and empty values.
    private static func compact(_ values: [String: Any?]) -> [String: Any] {
        values.compactMapValues { value in
            guard let value else { return nil }
            if let text = value as? String, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return nil }
            return value
        }
    }
}
