import AtsgateCore
import GRDB

/// A job of an organisation: the key of a snapshot read in a batch.
struct JobKey: Hashable {
    var organisationID: OrganisationID
    var jobID: JobID
}

extension SQLiteStore {
    /// A job with its company and contacts, as connectors receive them; `nil` if the job or its
    /// company does not exist.
    static func fetchSnapshot(_ organisationID: OrganisationID, _ jobID: JobID, db: Database) throws -> JobSnapshot? {
        let key = JobKey(organisationID: organisationID, jobID: jobID)
        return try fetchSnapshots([key], db: db)[key]
    }

    /// Snapshots of many jobs in three queries per organisation — the jobs, their companies, the
    /// companies' contacts — instead of three per job. Jobs (or companies) that do not exist are
    /// missing from the result.
    static func fetchSnapshots(_ keys: some Sequence<JobKey>, db: Database) throws -> [JobKey: JobSnapshot] {
        var snapshots: [JobKey: JobSnapshot] = [:]
        for (organisationID, keys) in Dictionary(grouping: Set(keys), by: \.organisationID) {
            let jobs = try fetchRows(of: "jobs", organisationID, ids: keys.map(\.jobID.rawValue), db: db, StoredJob.init(row:))
            let companyIDs = Set(jobs.map(\.job.companyID))
            let companies = try fetchRows(of: "companies", organisationID, ids: companyIDs.map(\.rawValue), db: db, Company.init(row:))
            let companiesByID = Dictionary(companies.map { ($0.id, $0) }) { first, _ in first }
            let contacts = try fetchContactsByLabel(ofCompanies: companyIDs, organisationID, db: db)
            for stored in jobs {
                guard let company = companiesByID[stored.job.companyID] else { continue }
                snapshots[JobKey(organisationID: organisationID, jobID: stored.job.id)] = JobSnapshot(
                    stored, company: company, contacts: contacts[stored.job.companyID] ?? [:]
                )
            }
        }
        return snapshots
    }

    /// Every contact of these companies, by company and label, people in id order.
    private static func fetchContactsByLabel(
        ofCompanies companyIDs: Set<CompanyID>, _ organisationID: OrganisationID, db: Database
    ) throws -> [CompanyID: [AssociationLabel: [Person]]] {
        var contacts: [CompanyID: [AssociationLabel: [Person]]] = [:]
        for chunk in InList.chunks(of: companyIDs.map(\.rawValue)) {
            let labelled = try db.cachedFetchAll(
                sql: """
                SELECT people.*, a.association_label, a.company_id AS associated_company FROM people
                JOIN company_contact_associations AS a
                  ON a.organisation_id = people.organisation_id AND a.person_id = people.id
                WHERE a.organisation_id = ? AND a.company_id IN \(chunk.placeholders)
                ORDER BY people.id
                """,
                arguments: StatementArguments([organisationID.rawValue] + chunk.values)
            ) { row in
                (
                    company: CompanyID(try row.required("associated_company", in: "company_contact_associations") as String),
                    label: try row.enumValue("association_label", in: "company_contact_associations") as AssociationLabel,
                    person: try Person(row: row)
                )
            }
            for (company, label, person) in labelled {
                contacts[company, default: [:]][label, default: []].append(person)
            }
        }
        return contacts
    }

    /// The rows of `table` (keyed by organisation and id) with these ids, in no particular order.
    private static func fetchRows<Value>(
        of table: String, _ organisationID: OrganisationID, ids: [String], db: Database, _ decode: (Row) throws -> Value
    ) throws -> [Value] {
        var values: [Value] = []
        for chunk in InList.chunks(of: ids) {
            values += try db.cachedFetchAll(
                sql: "SELECT * FROM \(table) WHERE organisation_id = ? AND id IN \(chunk.placeholders)",
                arguments: StatementArguments([organisationID.rawValue] + chunk.values),
                decode
            )
        }
        return values
    }
}

/// The values of an SQL `IN (…)` list, padded to a power of two by repeating the last one, so a
/// statement cached per list length is compiled for at most ten lengths, not for every batch size.
struct InList<Value: DatabaseValueConvertible> {
    static var maximumCount: Int { 512 }

    var values: [Value]
    var placeholders: String { "(" + Array(repeating: "?", count: values.count).joined(separator: ", ") + ")" }

    /// `values` in lists of at most ``maximumCount``; none for no values.
    static func chunks(of values: [Value]) -> [InList] {
        stride(from: 0, to: values.count, by: maximumCount).map { start in
            var chunk = Array(values[start..<min(start + maximumCount, values.count)])
            var padded = 1
            while padded < chunk.count { padded *= 2 }
            if let last = chunk.last { chunk += Array(repeating: last, count: padded - chunk.count) }
            return InList(values: chunk)
        }
    }
}
