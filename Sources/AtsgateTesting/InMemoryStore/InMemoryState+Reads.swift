import AtsgateCore
import Foundation

/// Reads the workflow, the dispatcher and the operators share (SQLiteStore+Qualification.swift,
/// SQLiteStore+Snapshots.swift and SQLiteStore+Dispatch.swift hold their SQL).
extension InMemoryState {
    func job(_ organisationID: OrganisationID, _ jobID: JobID) -> StoredJob? {
        jobs[Scoped(organisationID, jobID)]?.value
    }

    /// The job's outbox rows, by target.
    func submissions(of organisationID: OrganisationID, _ jobID: JobID) -> [OutboxEntry] {
        submissions.values.map(\.entry)
            .filter { $0.organisationID == organisationID && $0.jobID == jobID }
            .sorted { $0.target < $1.target }
    }

    func submission(of organisationID: OrganisationID, _ jobID: JobID, at target: TargetName) -> SubmissionRow? {
        submissions.values.first { $0.entry.organisationID == organisationID && $0.entry.jobID == jobID && $0.entry.target == target }
    }

    /// People associated with the company under `label`, in id order.
    func contacts(of companyID: CompanyID, _ organisationID: OrganisationID, label: AssociationLabel) -> [Person] {
        associations.keys
            .filter { $0.organisationID == organisationID && $0.companyID == companyID && $0.label == label }
            .compactMap { people[Scoped(organisationID, $0.personID)]?.value }
            .sorted { $0.id < $1.id }
    }

    /// Who already has a notification of `type` about the job.
    func notifiedPeople(_ job: Job, type: NotificationType) -> Set<PersonID> {
        Set(notifications.values.map(\.notification)
            .filter { $0.organisationID == job.organisationID && $0.jobID == job.id && $0.type == type }
            .map(\.personID))
    }

    /// A job with its company and contacts; `nil` if the job or its company does not exist.
    func snapshot(_ organisationID: OrganisationID, _ jobID: JobID) -> JobSnapshot? {
        guard let stored = job(organisationID, jobID), let company = companies[Scoped(organisationID, stored.job.companyID)]?.value else {
            return nil
        }
        return JobSnapshot(
            job: stored.job,
            version: stored.version,
            company: company,
            decisionMakers: contacts(of: company.id, organisationID, label: .decisionMaker),
            hiringManagers: contacts(of: company.id, organisationID, label: .hiringManager),
            primaryContact: contacts(of: company.id, organisationID, label: .primaryContact).first
        )
    }

    /// The target's ids of a company and of every person associated with it (`fetchReferences`).
    func references(of companyID: CompanyID, at target: TargetName, organisationID: OrganisationID) -> RemoteReferences {
        let associated = Set(associations.keys.filter { $0.organisationID == organisationID && $0.companyID == companyID }.map(\.personID.rawValue))
        var references = RemoteReferences()
        for (key, link) in externalRefs where key.organisationID == organisationID && key.target == target {
            switch key.kind {
            case .company where key.localID == companyID.rawValue: references.companies[companyID] = link.value
            case .person where associated.contains(key.localID): references.people[PersonID(key.localID)] = link.value
            default: break
            }
        }
        return references
    }

    /// The rows with these ids, in the given order, each once; an unknown id refuses the whole action.
    func entries(_ ids: [Int64]) throws(OperatorActionError) -> [OutboxEntry] {
        var seen = Set<Int64>()
        var entries: [OutboxEntry] = []
        for id in ids where seen.insert(id).inserted {
            guard let row = submissions[id] else { throw OperatorActionError(.notFound, "no outbox row #\(id); nothing was changed") }
            entries.append(row.entry)
        }
        return entries
    }

    func health(of lane: DeliveryLane) -> TargetHealth {
        targetStates[lane]?.health ?? TargetHealth()
    }
}

/// SQLite's `LIMIT n`: a negative limit means none.
extension Array {
    func limited(to limit: Int?) -> [Element] {
        guard let limit, limit >= 0 else { return self }
        return Array(prefix(limit))
    }
}
