import AtsgateCore
import AtsgateSQLite
import Foundation

/// A synthetic CRM export: a few companies, each with one hiring manager (no decision makers, so
/// qualifying creates outbox rows and no notifications), and as many open jobs as asked.
enum BenchmarkDataset {
    static let companyCount = 100

    static func jobID(_ index: Int) -> JobID {
        JobID("job-\(zeroPadded(index, width: 6))")
    }

    /// Imports `jobs` open jobs (and their companies and people) through the importer, in one transaction.
    static func importJobs(_ jobs: Int, into store: any ImportStore, catalog: TargetCatalog) async throws {
        let records = try ImportFileReader().jsonRecords(Data(json(jobs: jobs).utf8), file: "bench.json")
        let dataset = try DatasetParser().parse(records)
        _ = try await store.importDataset(dataset, planner: QualificationPlanner(catalog: catalog, now: Date()), actor: BenchmarkSetup.actor)
    }

    static func json(jobs: Int) -> String {
        let organisation = BenchmarkSetup.organisation.rawValue
        let companies = (1...companyCount).map { index in
            #"{"id":"cmp-\#(index)","organisation_id":"\#(organisation)","name":"Company \#(index)"}"#
        }
        let people = (1...companyCount).map { index in
            #"{"id":"per-\#(index)","organisation_id":"\#(organisation)","first_name":"Hiring","last_name":"Manager \#(index)","email":"hm\#(index)@example.com","company_id":"cmp-\#(index)"}"#
        }
        let associations = (1...companyCount).map { index in
            #"{"organisation_id":"\#(organisation)","company_id":"cmp-\#(index)","person_id":"per-\#(index)","association_label":"hiring_manager"}"#
        }
        let jobRows = (1...jobs).map { index in
            let company = (index - 1) % companyCount + 1
            return #"{"id":"\#(jobID(index).rawValue)","organisation_id":"\#(organisation)","company_id":"cmp-\#(company)","title":"Engineer \#(index)","status":"open"}"#
        }
        return """
        {"organisations":[{"id":"\(organisation)","name":"Bench"}],
        "companies":[\(companies.joined(separator: ","))],
        "people":[\(people.joined(separator: ","))],
        "associations":[\(associations.joined(separator: ","))],
        "jobs":[\(jobRows.joined(separator: ",\n"))]}
        """
    }

    private static func zeroPadded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
