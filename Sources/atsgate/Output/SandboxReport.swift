import AtsgateCore
import AtsgateTesting

/// The sandbox's closing tables: what the fake Loxo holds, and whether it holds what it should.
enum SandboxReport {
    static func loxoContents(_ fake: FakeLoxo) -> String {
        let companyNames = Dictionary(fake.companies.map { ($0.id, $0.fields["name"] ?? "") }, uniquingKeysWith: { first, _ in first })
        var jobs = TextTable(["LOXO JOB", "TITLE", "COMPANY", "STATUS", "CONTACTS", "MARKER (custom_text_1)"])
        for job in fake.jobs {
            let company = job.fields["company_id"].flatMap(Int.init).flatMap { companyNames[$0] } ?? job.fields["raw_company_name"] ?? "-"
            let status = job.fields["job_status_id"].flatMap(Int.init).flatMap { FakeLoxo.statuses[$0] } ?? "-"
            jobs.append(["\(job.id)", job.fields["title"] ?? "", company, status, "\(job.contacts.count)", job.fields["custom_text_1"] ?? "-"])
        }
        var companies = TextTable(["LOXO COMPANY", "NAME"])
        for company in fake.companies { companies.append(["\(company.id)", company.fields["name"] ?? ""]) }
        var people = TextTable(["LOXO PERSON", "NAME", "EMAIL", "TITLE"])
        for person in fake.people {
            people.append(["\(person.id)", person.fields["name"] ?? "", person.fields["email"] ?? "-", person.fields["title"] ?? "-"])
        }
        return [jobs.render(), companies.render(), people.render()].joined(separator: "\n\n")
    }

    struct Check {
        var passed: Bool
        var text: String
    }

    /// Every qualified job at Loxo exactly once, the closed one closed; no company or person created twice.
    static func check(fake: FakeLoxo, organisationID: OrganisationID, jobs: [JobID], closed: JobID) -> Check {
        var problems: [String] = []
        let closedMarker = JobMarker(organisationID: organisationID, jobID: closed).description
        if let job = fake.jobs.first(where: { $0.fields["custom_text_1"] == closedMarker }), job.fields["job_status_id"] != "2" {
            problems.append("\(closed) was closed in the CRM but its Loxo status is \(job.fields["job_status_id"] ?? "none")")
        }
        for job in jobs {
            let marker = JobMarker(organisationID: organisationID, jobID: job).description
            let copies = fake.jobs.filter { $0.fields["custom_text_1"] == marker }.count
            if copies != 1 { problems.append("\(job) is at Loxo \(copies) time(s)") }
        }
        for (kind, names) in [("company", fake.companies.compactMap { $0.fields["name"] }), ("person", fake.people.compactMap { $0.fields["email"] })] {
            let repeated = Dictionary(grouping: names, by: { $0.lowercased() }).filter { $0.value.count > 1 }.keys.sorted()
            problems += repeated.map { "\(kind) '\($0)' was created more than once" }
        }
        guard problems.isEmpty else {
            return Check(passed: false, text: "FAILED:\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
        }
        return Check(
            passed: true,
            text: "ok: each of the \(jobs.count) qualified jobs is at Loxo exactly once, \(closed) is closed there; no company or person was created twice"
        )
    }
}
