public import AtsgateCore
import Foundation
import GRDB

extension SQLiteStore: ImportStore {
    public func importDataset(_ dataset: CRMDataset, planner: QualificationPlanner, actor: String) async throws -> ImportSummary {
        try await write(ringingWorkersIf: { $0.queuedSubmissions > 0 }) { db in
            let missing = try dataset.externalReferences.filter { try !Self.exists($0, in: db) }
            guard missing.isEmpty else { throw ImportError(issues: missing.map(\.missingIssue)) }

            var summary = ImportSummary()
            let now = planner.now
            for row in dataset.organisations {
                try Self.upsert(
                    into: "organisations", keys: ["id": row.value.id.rawValue],
                    values: ["name": row.value.name], now: now, db: db, counts: &summary.organisations
                )
            }
            for row in dataset.companies {
                let company = row.value
                try Self.upsert(
                    into: "companies",
                    keys: ["organisation_id": company.organisationID.rawValue, "id": company.id.rawValue],
                    values: [
                        "name": company.name, "domain": company.domain, "industry": company.industry,
                        "website": company.website, "phone": company.phone, "address": company.address,
                        "pipeline_stage": company.pipelineStage,
                    ],
                    now: now, db: db, counts: &summary.companies
                )
            }
            for row in dataset.people {
                let person = row.value
                try Self.upsert(
                    into: "people",
                    keys: ["organisation_id": person.organisationID.rawValue, "id": person.id.rawValue],
                    values: [
                        "first_name": person.firstName, "last_name": person.lastName, "email": person.email,
                        "phone": person.phone, "company_role": person.companyRole,
                        "company_id": person.companyID?.rawValue, "people_stage": person.peopleStage,
                    ],
                    now: now, db: db, counts: &summary.people
                )
            }
            for row in dataset.associations {
                let association = row.value
                try Self.upsert(
                    into: "company_contact_associations",
                    keys: [
                        "organisation_id": association.organisationID.rawValue,
                        "company_id": association.companyID.rawValue,
                        "person_id": association.personID.rawValue,
                        "association_label": association.label.rawValue,
                    ],
                    values: ["is_primary": association.isPrimary],
                    now: now, db: db, counts: &summary.associations
                )
            }
            for row in dataset.jobs {
                summary.queuedSubmissions += try Self.importJob(row.value, planner: planner, actor: actor, db: db, counts: &summary.jobs)
            }

            if summary.changedAnything {
                let audit = AuditEntry(
                    organisationID: nil, occurredAt: now, actor: actor, action: .dataImported, subject: "import",
                    details: [
                        "jobs": "\(summary.jobs.inserted) inserted, \(summary.jobs.updated) updated",
                        "queued_submissions": "\(summary.queuedSubmissions)",
                    ]
                )
                try Self.insert(audit, db: db)
            }
            return summary
        }
    }

    private static func exists(_ reference: ExternalReference, in db: Database) throws -> Bool {
        switch reference.kind {
        case .organisation:
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = ?)", arguments: [reference.id]) ?? false
        case .company:
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM companies WHERE organisation_id = ? AND id = ?)",
                arguments: [reference.organisationID.rawValue, reference.id]
            ) ?? false
        case .person:
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM people WHERE organisation_id = ? AND id = ?)",
                arguments: [reference.organisationID.rawValue, reference.id]
            ) ?? false
        }
    }

    /// Inserts the row, or updates the columns whose stored value differs. Values are compared as
    /// SQLite stores them, so re-importing the same file is a no-op down to the byte.
    /// - Returns: the names of the columns that changed (empty for an insert or an unchanged row).
    @discardableResult
    private static func upsert(
        into table: String,
        keys: [String: String],
        values: [String: (any DatabaseValueConvertible)?],
        now: Date,
        db: Database,
        counts: inout ImportSummary.Counts
    ) throws -> Set<String> {
        let keyColumns = keys.keys.sorted()
        let whereClause = keyColumns.map { "\($0) = ?" }.joined(separator: " AND ")
        let keyArguments = StatementArguments(keyColumns.map { keys[$0] })
        let valueColumns = values.keys.sorted()

        guard let existing = try db.cachedFetchOne(sql: "SELECT * FROM \(table) WHERE \(whereClause)", arguments: keyArguments, { $0.copy() }) else {
            let columns = keyColumns + valueColumns + ["created_at", "updated_at"]
            let arguments: [(any DatabaseValueConvertible)?] = keyColumns.map { keys[$0] } + valueColumns.map { values[$0] ?? nil } + [now, now]
            try db.cachedExecute(sql: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))",
                arguments: StatementArguments(arguments)
            )
            counts.inserted += 1
            return []
        }

        let changed = valueColumns.filter { column in
            let incoming = (values[column] ?? nil)?.databaseValue ?? .null
            return existing[column] as DatabaseValue != incoming
        }
        guard !changed.isEmpty else {
            counts.unchanged += 1
            return []
        }
        let assignments = (changed + ["updated_at"]).map { "\($0) = ?" }.joined(separator: ", ")
        let arguments: [(any DatabaseValueConvertible)?] = changed.map { values[$0] ?? nil } + [now]
        try db.cachedExecute(sql: "UPDATE \(table) SET \(assignments) WHERE \(whereClause)",
            arguments: StatementArguments(arguments) + keyArguments
        )
        counts.updated += 1
        return Set(changed)
    }

    /// The columns recording the recruiter's decision. An import sets them on a new job only:
    /// afterwards the workflow owns them, because a decision has outbox rows that must change with it.
    private static let qualificationColumns: Set = ["qualification_status", "qualified_at", "qualified_by"]

    /// - Returns: how many outbox rows the edit moved back to pending.
    private static func importJob(_ job: Job, planner: QualificationPlanner, actor: String, db: Database, counts: inout ImportSummary.Counts) throws -> Int {
        let keys = ["organisation_id": job.organisationID.rawValue, "id": job.id.rawValue]
        let previous = try fetchJob(job.organisationID, job.id, db: db)
        var values = job.contentArguments
        if previous != nil {
            for column in qualificationColumns { values.removeValue(forKey: column) }
        }
        let changed = try upsert(into: "jobs", keys: keys, values: values, now: planner.now, db: db, counts: &counts)
        guard let previous, !changed.isEmpty else { return 0 }

        var editedJob = job
        editedJob.qualificationStatus = previous.job.qualificationStatus
        editedJob.qualifiedAt = previous.job.qualifiedAt
        editedJob.qualifiedBy = previous.job.qualifiedBy
        let edited = StoredJob(job: editedJob, version: previous.version + 1)
        try db.cachedExecute(sql: "UPDATE jobs SET version = ? WHERE organisation_id = ? AND id = ?",
            arguments: [edited.version, job.organisationID.rawValue, job.id.rawValue]
        )
        let submissions = try fetchSubmissions(job.organisationID, job.id, db: db)
        let changes = planner.changesAfterEdit(of: edited, submissions: submissions)
        for change in changes {
            try apply(change, job: edited, actor: actor, now: planner.now, db: db)
        }
        return changes.count
    }
}
