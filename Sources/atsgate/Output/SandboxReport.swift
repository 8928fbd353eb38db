import AtsgateCore
import AtsgateTesting

/// The sandbox's closing tables: what the fakes hold, and whether they hold what they should.
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

    static func bullhornContents(_ fake: FakeBullhorn) -> String {
        let companyNames = Dictionary(fake.clientCorporations.map { ($0.id, $0["name"]?.string ?? "") }, uniquingKeysWith: { first, _ in first })
        let contactNames = Dictionary(fake.clientContacts.map { ($0.id, $0["name"]?.string ?? "") }, uniquingKeysWith: { first, _ in first })
        var jobs = TextTable(["JOBORDER", "TITLE", "CLIENT CORPORATION", "CLIENT CONTACT", "OPEN", "STATUS", "EXTERNALID (marker)"])
        for job in fake.jobOrders {
            jobs.append([
                "\(job.id)", job["title"]?.string ?? "", job["clientCorporation"]?.associatedID.flatMap { companyNames[$0] } ?? "-",
                job["clientContact"]?.associatedID.flatMap { contactNames[$0] } ?? "-", job["isOpen"]?.bool.map { $0 ? "yes" : "no" } ?? "-",
                job["status"]?.string ?? "-", job["externalID"]?.string ?? "-",
            ])
        }
        var companies = TextTable(["CLIENTCORPORATION", "NAME", "EXTERNALID"])
        for company in fake.clientCorporations {
            companies.append(["\(company.id)", company["name"]?.string ?? "", company["externalID"]?.string ?? "-"])
        }
        var contacts = TextTable(["CLIENTCONTACT", "NAME", "EMAIL", "STATUS", "EXTERNALID"])
        for contact in fake.clientContacts {
            contacts.append([
                "\(contact.id)", contact["name"]?.string ?? "", contact["email"]?.string ?? "-",
                contact["status"]?.string ?? "-", contact["externalID"]?.string ?? "(Bullhorn's placeholder)",
            ])
        }
        let auth = fake.authCounts
        let sessions = "logins: \(auth.passwordLogins) with the password, \(auth.refreshGrants) with a refresh token; \(auth.restLogins) REST session(s) opened"
        return [jobs.render(), companies.render(), contacts.render(), sessions].joined(separator: "\n\n")
    }

    struct Check {
        var passed: Bool
        var text: String

        mutating func add(_ other: Check) {
            passed = passed && other.passed
            text = text.isEmpty ? other.text : text + "\n" + other.text
        }
    }

    static func mailboxContents(_ messages: [SandboxMailbox.Message]) -> String {
        var table = TextTable(["TO", "PURPOSE", "MARKER", "SUBJECT"])
        for message in messages.sorted(by: { ($0.marker, $0.to) < ($1.marker, $1.to) }) {
            table.append([message.to, message.purpose, message.marker, message.subject])
        }
        return messages.isEmpty ? "no messages" : table.render()
    }

    /// Each qualified job mailed to the desk once; no decision maker told twice about one job.
    static func checkMail(_ messages: [SandboxMailbox.Message], organisationID: OrganisationID, jobs: [JobID]) -> Check {
        var problems: [String] = []
        for job in jobs {
            let marker = JobMarker(organisationID: organisationID, jobID: job).description
            let creates = messages.filter { $0.marker == marker && $0.purpose == "create" }.count
            if creates != 1 { problems.append("\(job) was mailed to the desk \(creates) time(s)") }
        }
        let notifications = Dictionary(grouping: messages.filter { $0.purpose.hasPrefix("notification") || $0.purpose.contains("qualified") }) { "\($0.marker) \($0.to) \($0.purpose)" }
        problems += notifications.filter { $0.value.count > 1 }.keys.sorted().map { "\($0) was sent more than once" }
        guard problems.isEmpty else {
            return Check(passed: false, text: "FAILED (email):\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
        }
        let told = messages.filter { $0.to != "desk@sandbox.example" }.count
        return Check(passed: true, text: "ok: each job mailed to the desk once; \(told) decision-maker notification(s), none twice")
    }

    /// Every qualified job at Loxo and at Bullhorn exactly once, the closed one closed at both; no
    /// company, person or contact created twice.
    static func check(fake: FakeLoxo, bullhorn: FakeBullhorn, organisationID: OrganisationID, jobs: [JobID], closed: JobID) -> Check {
        var problems: [String] = []
        let closedMarker = JobMarker(organisationID: organisationID, jobID: closed).description
        if let job = fake.jobs.first(where: { $0.fields["custom_text_1"] == closedMarker }), job.fields["job_status_id"] != "2" {
            problems.append("\(closed) was closed in the CRM but its Loxo status is \(job.fields["job_status_id"] ?? "none")")
        }
        let liveJobOrders = bullhorn.jobOrders.filter { $0["isDeleted"]?.bool != true }
        if let job = liveJobOrders.first(where: { $0["externalID"]?.string == closedMarker }), job["isOpen"]?.bool != false {
            problems.append("\(closed) was closed in the CRM but its Bullhorn JobOrder \(job.id) is still open")
        }
        for job in jobs {
            let marker = JobMarker(organisationID: organisationID, jobID: job).description
            let copies = fake.jobs.filter { $0.fields["custom_text_1"] == marker }.count
            if copies != 1 { problems.append("\(job) is at Loxo \(copies) time(s)") }
            let jobOrders = liveJobOrders.filter { $0["externalID"]?.string == marker }.count
            if jobOrders != 1 { problems.append("\(job) is at Bullhorn \(jobOrders) time(s)") }
        }
        let created: [(String, [String])] = [
            ("Loxo company", fake.companies.compactMap { $0.fields["name"] }),
            ("Loxo person", fake.people.compactMap { $0.fields["email"] }),
            ("Bullhorn ClientCorporation", bullhorn.clientCorporations.compactMap { $0["externalID"]?.string }),
            ("Bullhorn ClientContact", bullhorn.clientContacts.compactMap { $0["externalID"]?.string }),
        ]
        for (kind, names) in created {
            let repeated = Dictionary(grouping: names, by: { $0.lowercased() }).filter { $0.value.count > 1 }.keys.sorted()
            problems += repeated.map { "\(kind) '\($0)' was created more than once" }
        }
        guard problems.isEmpty else {
            return Check(passed: false, text: "FAILED:\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
        }
        return Check(
            passed: true,
            text: "ok: each of the \(jobs.count) qualified jobs is at Loxo exactly once and at Bullhorn exactly once, \(closed) is closed at both; no company, person or contact was created twice"
        )
    }
}

extension SandboxReport {
    /// Each organisation's jobs at its own accounts only: the second organisation's jobs all at
    /// its Loxo agency and its Bullhorn API user's, none at the first's, and none of the first's there.
    static func checkSeparation(
        first: (id: OrganisationID, loxo: FakeLoxo, bullhorn: FakeBullhorn),
        second: (id: OrganisationID, loxo: FakeLoxo, bullhorn: FakeBullhorn),
        secondJobs: [JobID]
    ) -> Check {
        func markers(_ loxo: FakeLoxo) -> [String] { loxo.jobs.compactMap { $0.fields["custom_text_1"] } }
        func markers(_ bullhorn: FakeBullhorn) -> [String] { bullhorn.jobOrders.compactMap { $0["externalID"]?.string } }
        let prefix = { (organisation: OrganisationID) in "\(JobMarker.prefix)\(organisation.rawValue):" }
        let expected = Set(secondJobs.map { JobMarker(organisationID: second.id, jobID: $0).description })
        var problems: [String] = []
        if Set(markers(second.loxo)) != expected || markers(second.loxo).count != expected.count {
            problems.append("\(second.loxo.agencySlug) holds \(markers(second.loxo).sorted()), not exactly \(expected.sorted())")
        }
        if Set(markers(second.bullhorn)) != expected || markers(second.bullhorn).count != expected.count {
            problems.append("the second Bullhorn holds \(markers(second.bullhorn).sorted()), not exactly \(expected.sorted())")
        }
        if markers(first.loxo).contains(where: { $0.hasPrefix(prefix(second.id)) }) || markers(first.bullhorn).contains(where: { $0.hasPrefix(prefix(second.id)) }) {
            problems.append("a job of \(second.id) reached \(first.id)'s accounts")
        }
        guard problems.isEmpty else {
            return Check(passed: false, text: "FAILED (tenants):\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
        }
        return Check(passed: true, text: "ok: \(second.id)'s \(expected.count) jobs are at its own Loxo agency and Bullhorn API user only; nothing crossed between organisations")
    }
}
