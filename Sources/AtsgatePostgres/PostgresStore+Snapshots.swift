public import AtsgateCore
import PostgresNIO

/// A job of an organisation: the key of a snapshot read in a batch.
struct JobKey: Hashable {
    var organisationID: OrganisationID
    var jobID: JobID
}

extension PostgresStore {
    /// A job with its company and contacts, as connectors receive them; `nil` if the job or its
    /// company does not exist.
    func fetchSnapshot(_ organisationID: OrganisationID, _ jobID: JobID, connection: PostgresConnection) async throws -> JobSnapshot? {
        let key = JobKey(organisationID: organisationID, jobID: jobID)
        return try await fetchSnapshots([key], connection: connection)[key]
    }

    /// Snapshots of many jobs in three queries per organisation — the jobs, their companies, the
    /// companies' contacts — instead of three per job. Jobs (or companies) that do not exist are
    /// missing from the result.
    func fetchSnapshots(_ keys: some Sequence<JobKey>, connection: PostgresConnection) async throws -> [JobKey: JobSnapshot] {
        var snapshots: [JobKey: JobSnapshot] = [:]
        for (organisationID, keys) in Dictionary(grouping: Set(keys), by: \.organisationID) {
            let jobs = try await fetchRows(of: "jobs", organisationID, ids: keys.map(\.jobID.rawValue), connection: connection, StoredJob.init(postgres:))
            let companyIDs = Set(jobs.map(\.job.companyID))
            let companies = try await fetchRows(of: "companies", organisationID, ids: companyIDs.map(\.rawValue), connection: connection, Company.init(postgres:))
            let companiesByID = Dictionary(companies.map { ($0.id, $0) }) { first, _ in first }
            let contacts = try await fetchContactsByLabel(ofCompanies: companyIDs, organisationID, connection: connection)
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
    private func fetchContactsByLabel(
        ofCompanies companyIDs: Set<CompanyID>, _ organisationID: OrganisationID, connection: PostgresConnection
    ) async throws -> [CompanyID: [AssociationLabel: [Person]]] {
        guard !companyIDs.isEmpty else { return [:] }
        let table = "company_contact_associations"
        let labelled = try await connection.query("""
            SELECT people.*, a.association_label, a.company_id AS associated_company FROM people
            JOIN company_contact_associations AS a
              ON a.organisation_id = people.organisation_id AND a.person_id = people.id
            WHERE a.organisation_id = \(organisationID.rawValue) AND a.company_id = ANY(\(companyIDs.map(\.rawValue)))
            ORDER BY people.id
            """, logger: logger
        ).collect(table: table) { row in
            (
                company: CompanyID(try row.required("associated_company", as: String.self)),
                label: try row.enumValue("association_label", as: AssociationLabel.self),
                person: try Person(postgres: row)
            )
        }
        var contacts: [CompanyID: [AssociationLabel: [Person]]] = [:]
        for (company, label, person) in labelled {
            contacts[company, default: [:]][label, default: []].append(person)
        }
        return contacts
    }

    /// The rows of `table` (keyed by organisation and id) with these ids, in no particular order.
    private func fetchRows<Value>(
        of table: String, _ organisationID: OrganisationID, ids: [String], connection: PostgresConnection, _ decode: (StoredRow) throws -> Value
    ) async throws -> [Value] {
        guard !ids.isEmpty else { return [] }
        return try await connection.query(
            "SELECT * FROM \(unescaped: table) WHERE organisation_id = \(organisationID.rawValue) AND id = ANY(\(ids))", logger: logger
        ).collect(table: table, decode)
    }
}

extension PostgresStore: JobReader {
    public func job(organisationID: OrganisationID, jobID: JobID) async throws -> StoredJob? {
        try await read { connection in try await fetchJob(organisationID, jobID, connection: connection) }
    }

    public func jobSnapshot(organisationID: OrganisationID, jobID: JobID) async throws -> JobSnapshot? {
        try await read { connection in try await fetchSnapshot(organisationID, jobID, connection: connection) }
    }

    public func remoteReferences(organisationID: OrganisationID, companyID: CompanyID, target: TargetName) async throws -> RemoteReferences {
        try await read { connection in
            try await fetchReferences(of: companyID, at: target, organisationID: organisationID, connection: connection)
        }
    }

    public func notifications(organisationID: OrganisationID, jobID: JobID) async throws -> [DecisionMakerNotification] {
        try await read { connection in
            try await connection.query(
                "SELECT * FROM decision_maker_notifications WHERE organisation_id = \(organisationID.rawValue) AND job_id = \(jobID.rawValue) ORDER BY id",
                logger: logger
            ).collect(table: "decision_maker_notifications", DecisionMakerNotification.init(postgres:))
        }
    }
}
