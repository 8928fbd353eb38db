import AtsgateCore
import AtsgateSQLite
import Foundation

/// A synthetic CRM export for Loxo: `companies` companies, each with a decision maker and a hiring
/// manager (both with emails), and `jobs` open jobs spread over them round-robin. A Loxo create
/// then makes its realistic requests: company search and create, job create, and for each of the
/// two contacts a people search, a create and an attach.
struct DegradedDataset {
    static let organisation: OrganisationID = "org-degraded"
    static let actor = "degraded-bench"
    /// A decision maker and a hiring manager per company.
    static let contactsPerJob = 2

    let jobs: Int
    let companies: Int

    static func jobID(_ index: Int) -> JobID {
        JobID(String(format: "job-%06d", index))
    }

    /// The marker the connector writes into Loxo's `custom_text_1`.
    static func marker(_ index: Int) -> String {
        "atsgate:\(organisation.rawValue):\(jobID(index).rawValue)"
    }

    /// Imports the export in one transaction, then qualifies every job in its own transaction, as
    /// `atsgate import` and `atsgate jobs qualify` do.
    func importAndQualify(into store: SQLiteStore, catalog: TargetCatalog) async throws {
        let records = try ImportFileReader().jsonRecords(Data(json().utf8), file: "degraded.json")
        let dataset = try DatasetParser().parse(records)
        _ = try await store.importDataset(dataset, planner: QualificationPlanner(catalog: catalog, now: Date()), actor: Self.actor)
        for index in 1...jobs {
            let command = QualificationCommand(
                organisationID: Self.organisation, jobID: Self.jobID(index), decision: .qualify, targets: [], actor: Self.actor
            )
            _ = try await store.apply(command, planner: QualificationPlanner(catalog: catalog, now: Date()))
        }
    }

    func json() -> String {
        let organisation = Self.organisation.rawValue
        var companyRows: [String] = []
        var people: [String] = []
        var associations: [String] = []
        for index in 1...companies {
            let company = "cmp-\(index)"
            let domain = "company\(index).example"
            companyRows.append(
                #"{"id":"\#(company)","organisation_id":"\#(organisation)","name":"Degraded Company \#(index)","website":"https://\#(domain)"}"#
            )
            for (role, label, title) in [("dm", "decision_maker", "Chief Executive Officer"), ("hm", "hiring_manager", "Head of Engineering")] {
                let person = "per-\(role)-\(index)"
                people.append(
                    #"{"id":"\#(person)","organisation_id":"\#(organisation)","first_name":"\#(role.uppercased())","last_name":"Person \#(index)","email":"\#(role)\#(index)@\#(domain)","company_role":"\#(title)","company_id":"\#(company)"}"#
                )
                associations.append(
                    #"{"organisation_id":"\#(organisation)","company_id":"\#(company)","person_id":"\#(person)","association_label":"\#(label)"}"#
                )
            }
        }
        let jobRows = (1...jobs).map { index in
            let company = (index - 1) % companies + 1
            return #"{"id":"\#(Self.jobID(index).rawValue)","organisation_id":"\#(organisation)","company_id":"cmp-\#(company)","title":"Engineer \#(index)","description":"Builds things.","location":"Berlin, DE","employment_type":"full_time","salary_min":60000,"salary_max":80000,"salary_currency":"EUR","status":"open"}"#
        }
        return """
        {"organisations":[{"id":"\(organisation)","name":"Degraded"}],
        "companies":[\(companyRows.joined(separator: ","))],
        "people":[\(people.joined(separator: ","))],
        "associations":[\(associations.joined(separator: ","))],
        "jobs":[\(jobRows.joined(separator: ",\n"))]}
        """
    }
}
