public import AtsgateCore
import Foundation
import PostgresNIO

extension PostgresStore: ImportStore {
    /// Each table is written by one statement however many rows it has; only jobs that changed
    /// cost a round trip more (their outbox rows).
    public func importDataset(_ dataset: CRMDataset, planner: QualificationPlanner, actor: String) async throws -> ImportSummary {
        try await write(ringingWorkersIf: { $0.queuedSubmissions > 0 }) { connection in
            let missing = try await missingReferences(dataset.externalReferences, connection: connection)
            guard missing.isEmpty else { throw ImportError(issues: missing.map(\.missingIssue)) }

            var summary = ImportSummary()
            let now = planner.now
            summary.organisations = try await upsert(.organisations(dataset.organisations.map(\.value)), now: now, connection: connection)
            summary.companies = try await upsert(.companies(dataset.companies.map(\.value)), now: now, connection: connection)
            summary.people = try await upsert(.people(dataset.people.map(\.value)), now: now, connection: connection)
            summary.associations = try await upsert(.associations(dataset.associations.map(\.value)), now: now, connection: connection)
            let jobs = dataset.jobs.map(\.value)
            let edited: [StoredJob]
            (summary.jobs, edited) = try await upsertJobs(jobs, now: now, connection: connection)
            summary.queuedSubmissions = try await requeueSubmissions(of: edited, planner: planner, actor: actor, connection: connection)

            if summary.changedAnything {
                let audit = AuditEntry(
                    organisationID: nil, occurredAt: now, actor: actor, action: .dataImported, subject: "import",
                    details: [
                        "jobs": "\(summary.jobs.inserted) inserted, \(summary.jobs.updated) updated",
                        "queued_submissions": "\(summary.queuedSubmissions)",
                    ]
                )
                try await insert(audit, connection: connection)
            }
            return summary
        }
    }

    /// The references the store does not hold either, in the dataset's order: one query per kind.
    private func missingReferences(_ references: [ExternalReference], connection: PostgresConnection) async throws -> [ExternalReference] {
        guard !references.isEmpty else { return [] }
        var existing: Set<ReferenceKey> = []
        for (kind, ofKind) in Dictionary(grouping: references, by: \.kind) {
            let table = switch kind {
            case .organisation: "organisations"
            case .company: "companies"
            case .person: "people"
            }
            // Organisations are keyed by their id alone; their references name it as both.
            let organisationColumn = kind == .organisation ? "id" : "organisation_id"
            let found = try await connection.query("""
                SELECT \(unescaped: organisationColumn) AS organisation_id, id FROM \(unescaped: table)
                WHERE (\(unescaped: organisationColumn), id) IN (SELECT * FROM unnest(\(ofKind.map(\.organisationID.rawValue)), \(ofKind.map(\.id))))
                """, logger: logger
            ).collect(table: table) { row in
                ReferenceKey(kind: kind, organisationID: try row.required("organisation_id"), id: try row.required("id"))
            }
            existing.formUnion(found)
        }
        return references.filter { !existing.contains(ReferenceKey(kind: $0.kind, organisationID: $0.organisationID.rawValue, id: $0.id)) }
    }

    private struct ReferenceKey: Hashable {
        var kind: ExternalReference.Kind
        var organisationID: String
        var id: String
    }

    /// Runs one table's upsert and counts what it did.
    private func upsert(_ upsert: BulkUpsert, now: Date, connection: PostgresConnection) async throws -> ImportSummary.Counts {
        guard upsert.rowCount > 0 else { return ImportSummary.Counts() }
        let inserted = try await connection.query(upsert.query(now: now), logger: logger)
            .collect(table: upsert.table) { try $0.required("inserted", as: Bool.self) }
        var counts = ImportSummary.Counts()
        counts.inserted = inserted.count { $0 }
        counts.updated = inserted.count { !$0 }
        counts.unchanged = upsert.rowCount - inserted.count
        return counts
    }

    /// Upserts the jobs. The columns recording the recruiter's decision are set on a new job only:
    /// afterwards the workflow owns them, because a decision has outbox rows that must change with
    /// it. An edited job's version goes up.
    ///
    /// - Returns: the counts, and the edited jobs as stored now, in the dataset's order.
    private func upsertJobs(_ jobs: [Job], now: Date, connection: PostgresConnection) async throws -> (ImportSummary.Counts, [StoredJob]) {
        guard !jobs.isEmpty else { return (ImportSummary.Counts(), []) }
        let written = try await connection.query(BulkUpsert.jobs(jobs).query(now: now, returning: "*"), logger: logger).collect(table: "jobs") { row in
            (inserted: try row.required("inserted", as: Bool.self), job: try StoredJob(postgres: row))
        }
        var counts = ImportSummary.Counts()
        counts.inserted = written.count { $0.inserted }
        counts.updated = written.count { !$0.inserted }
        counts.unchanged = jobs.count - written.count
        let position = Dictionary(jobs.enumerated().map { (JobKey(organisationID: $1.organisationID, jobID: $1.id), $0) }) { first, _ in first }
        let edited = written.filter { !$0.inserted }.map(\.job).sorted { edited, other in
            position[JobKey(organisationID: edited.job.organisationID, jobID: edited.job.id), default: 0]
                < position[JobKey(organisationID: other.job.organisationID, jobID: other.job.id), default: 0]
        }
        return (counts, edited)
    }

    /// Moves the outbox rows of edited jobs as the planner says (targets holding a job get an update).
    /// - Returns: how many outbox rows the edits moved back to pending.
    private func requeueSubmissions(of edited: [StoredJob], planner: QualificationPlanner, actor: String, connection: PostgresConnection) async throws -> Int {
        guard !edited.isEmpty else { return 0 }
        // Locked: a settlement on another node waits for this transaction and then sees the new version.
        let submissions = try await connection.query("""
            SELECT * FROM job_external_submissions
            WHERE (organisation_id, job_id) IN (SELECT * FROM unnest(\(edited.map(\.job.organisationID.rawValue)), \(edited.map(\.job.id.rawValue))))
            ORDER BY organisation_id, job_id, external_system
            FOR UPDATE
            """, logger: logger
        ).collect(table: "job_external_submissions", OutboxEntry.init(postgres:))
        let submissionsByJob = Dictionary(grouping: submissions) { JobKey(organisationID: $0.organisationID, jobID: $0.jobID) }
        var queued = 0
        for job in edited {
            let changes = planner.changesAfterEdit(of: job, submissions: submissionsByJob[JobKey(organisationID: job.job.organisationID, jobID: job.job.id)] ?? [])
            for change in changes {
                try await apply(change, job: job, actor: actor, now: planner.now, connection: connection)
            }
            queued += changes.count
        }
        return queued
    }
}

extension BulkUpsert {
    static func organisations(_ organisations: [Organisation]) -> BulkUpsert {
        BulkUpsert(
            table: "organisations", rowCount: organisations.count,
            keys: [.text("id", organisations.map(\.id.rawValue))],
            compared: [.text("name", organisations.map(\.name))]
        )
    }

    static func companies(_ companies: [Company]) -> BulkUpsert {
        BulkUpsert(
            table: "companies", rowCount: companies.count,
            keys: [.text("organisation_id", companies.map(\.organisationID.rawValue)), .text("id", companies.map(\.id.rawValue))],
            compared: [
                .text("name", companies.map(\.name)), .text("domain", companies.map(\.domain)),
                .text("industry", companies.map(\.industry)), .text("website", companies.map(\.website)),
                .text("phone", companies.map(\.phone)), .text("address", companies.map(\.address)),
                .text("pipeline_stage", companies.map(\.pipelineStage)),
            ]
        )
    }

    static func people(_ people: [Person]) -> BulkUpsert {
        BulkUpsert(
            table: "people", rowCount: people.count,
            keys: [.text("organisation_id", people.map(\.organisationID.rawValue)), .text("id", people.map(\.id.rawValue))],
            compared: [
                .text("first_name", people.map(\.firstName)), .text("last_name", people.map(\.lastName)),
                .text("email", people.map(\.email)), .text("phone", people.map(\.phone)),
                .text("company_role", people.map(\.companyRole)), .text("company_id", people.map(\.companyID?.rawValue)),
                .text("people_stage", people.map(\.peopleStage)),
            ]
        )
    }

    static func associations(_ associations: [CompanyContactAssociation]) -> BulkUpsert {
        BulkUpsert(
            table: "company_contact_associations", rowCount: associations.count,
            keys: [
                .text("organisation_id", associations.map(\.organisationID.rawValue)),
                .text("company_id", associations.map(\.companyID.rawValue)),
                .text("person_id", associations.map(\.personID.rawValue)),
                .text("association_label", associations.map(\.label.rawValue)),
            ],
            compared: [.boolean("is_primary", associations.map(\.isPrimary))]
        )
    }

    /// Jobs: the decision's columns are set on insert only, and an update raises the version.
    static func jobs(_ jobs: [Job]) -> BulkUpsert {
        BulkUpsert(
            table: "jobs", rowCount: jobs.count,
            keys: [.text("organisation_id", jobs.map(\.organisationID.rawValue)), .text("id", jobs.map(\.id.rawValue))],
            compared: [
                .text("company_id", jobs.map(\.companyID.rawValue)), .text("title", jobs.map(\.title)),
                .text("description", jobs.map(\.description)), .text("location", jobs.map(\.location)),
                .text("employment_type", jobs.map(\.employmentType?.rawValue)),
                .numeric("salary_min", jobs.map(\.salary?.minimum)), .numeric("salary_max", jobs.map(\.salary?.maximum)),
                .text("salary_currency", jobs.map(\.salary?.currency)), .text("job_url", jobs.map(\.jobURL)),
                .text("status", jobs.map(\.status.rawValue)), .text("notes", jobs.map(\.notes)),
            ],
            insertOnly: [
                .text("qualification_status", jobs.map(\.qualificationStatus.rawValue)),
                .timestamp("qualified_at", jobs.map(\.qualifiedAt)), .text("qualified_by", jobs.map(\.qualifiedBy)),
            ],
            extraAssignments: ["version = jobs.version + 1"]
        )
    }
}
