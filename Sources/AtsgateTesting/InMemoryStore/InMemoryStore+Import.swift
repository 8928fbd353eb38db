public import AtsgateCore
import Foundation

extension InMemoryStore: ImportStore {
    public func importDataset(_ dataset: CRMDataset, planner: QualificationPlanner, actor: String) async throws -> ImportSummary {
        try write(ringingWorkersIf: { $0.queuedSubmissions > 0 }) { state in
            try state.importDataset(dataset, planner: planner, actor: actor)
        }
    }
}

/// Mirrors SQLiteStore+Import.swift: inserts new rows, updates rows whose stored columns differ,
/// leaves equal rows alone, never deletes.
extension InMemoryState {
    mutating func importDataset(_ dataset: CRMDataset, planner: QualificationPlanner, actor: String) throws -> ImportSummary {
        let missing = dataset.externalReferences.filter { !holds($0) }
        guard missing.isEmpty else { throw ImportError(issues: missing.map(\.missingIssue)) }

        var summary = ImportSummary()
        let now = planner.now
        for row in dataset.organisations {
            upsert(\.organisations, key: row.value.id, row.value, columns: Self.columns, now: now, counts: &summary.organisations)
        }
        for row in dataset.companies {
            upsert(\.companies, key: Scoped(row.value.organisationID, row.value.id), row.value, columns: Self.columns, now: now, counts: &summary.companies)
        }
        for row in dataset.people {
            upsert(\.people, key: Scoped(row.value.organisationID, row.value.id), row.value, columns: Self.columns, now: now, counts: &summary.people)
        }
        for row in dataset.associations {
            let association = row.value
            let key = AssociationKey(
                organisationID: association.organisationID, companyID: association.companyID, personID: association.personID, label: association.label
            )
            upsert(\.associations, key: key, association, columns: Self.columns, now: now, counts: &summary.associations)
        }
        for row in dataset.jobs {
            summary.queuedSubmissions += try importJob(row.value, planner: planner, actor: actor, counts: &summary.jobs)
        }

        if summary.changedAnything {
            try insert(AuditEntry(
                organisationID: nil, occurredAt: now, actor: actor, action: .dataImported, subject: "import",
                details: [
                    "jobs": "\(summary.jobs.inserted) inserted, \(summary.jobs.updated) updated",
                    "queued_submissions": "\(summary.queuedSubmissions)",
                ]
            ))
        }
        return summary
    }

    private func holds(_ reference: ExternalReference) -> Bool {
        switch reference.kind {
        case .organisation: organisations[OrganisationID(reference.id)] != nil
        case .company: companies[Scoped(reference.organisationID, CompanyID(reference.id))] != nil
        case .person: people[Scoped(reference.organisationID, PersonID(reference.id))] != nil
        }
    }

    /// Inserts the row, or replaces it when a stored column differs (byte for byte, as SQLite compares).
    /// - Returns: whether an existing row changed.
    @discardableResult
    private mutating func upsert<Key: Hashable, Value>(
        _ table: WritableKeyPath<InMemoryState, [Key: Timestamped<Value>]>, key: Key, _ value: Value,
        columns: (Value) -> [StoredValue], now: Date, counts: inout ImportSummary.Counts
    ) -> Bool {
        let now = now.atStoragePrecision
        guard var existing = self[keyPath: table][key] else {
            self[keyPath: table][key] = Timestamped(value: value, createdAt: now, updatedAt: now)
            counts.inserted += 1
            return false
        }
        guard columns(existing.value) != columns(value) else {
            counts.unchanged += 1
            return false
        }
        existing.value = value
        existing.updatedAt = now
        self[keyPath: table][key] = existing
        counts.updated += 1
        return true
    }

    /// An import sets the recruiter's decision on a new job only: afterwards the workflow owns it.
    /// - Returns: how many outbox rows the edit moved back to pending.
    private mutating func importJob(_ incoming: Job, planner: QualificationPlanner, actor: String, counts: inout ImportSummary.Counts) throws -> Int {
        let key = Scoped(incoming.organisationID, incoming.id)
        let previous = jobs[key]?.value
        var job = incoming
        job.qualifiedAt = job.qualifiedAt.atStoragePrecision
        if let previous {
            job.qualificationStatus = previous.job.qualificationStatus
            job.qualifiedAt = previous.job.qualifiedAt
            job.qualifiedBy = previous.job.qualifiedBy
        }
        let wouldStore = previous.map { Self.columns($0.job) != Self.columns(job) } ?? true
        if wouldStore, plantedFailures.contains(.storingJob(incoming.id)) {
            throw StoreError(.unavailable, "planted failure")
        }
        let changed = upsert(\.jobs, key: key, StoredJob(job: job, version: previous?.version ?? 1), columns: { Self.columns($0.job) }, now: planner.now, counts: &counts)
        guard let previous, changed else { return 0 }

        let edited = StoredJob(job: job, version: previous.version + 1)
        jobs[key]?.value = edited
        let changes = planner.changesAfterEdit(of: edited, submissions: submissions(of: incoming.organisationID, incoming.id))
        for change in changes {
            apply(change, job: edited, actor: actor, now: planner.now)
        }
        return changes.count
    }
}

/// The columns an import compares, as the SQLite engine stores them (keys and timestamps aside).
extension InMemoryState {
    static func columns(_ organisation: Organisation) -> [StoredValue] {
        [.text(organisation.name)]
    }

    static func columns(_ company: Company) -> [StoredValue] {
        [.text(company.name), .text(company.domain), .text(company.industry), .text(company.website), .text(company.phone),
         .text(company.address), .text(company.pipelineStage)]
    }

    static func columns(_ person: Person) -> [StoredValue] {
        [.text(person.firstName), .text(person.lastName), .text(person.email), .text(person.phone), .text(person.companyRole),
         .text(person.companyID?.rawValue), .text(person.peopleStage)]
    }

    static func columns(_ association: CompanyContactAssociation) -> [StoredValue] {
        [.boolean(association.isPrimary)]
    }

    static func columns(_ job: Job) -> [StoredValue] {
        [.text(job.companyID.rawValue), .text(job.title), .text(job.description), .text(job.location), .raw(job.employmentType),
         .decimal(job.salary?.minimum), .decimal(job.salary?.maximum), .text(job.salary?.currency), .text(job.jobURL),
         .raw(job.status), .raw(job.qualificationStatus), .date(job.qualifiedAt), .text(job.qualifiedBy), .text(job.notes)]
    }
}
