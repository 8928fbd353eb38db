public import AtsgateCore
import Foundation
import GRDB

extension SQLiteStore: QualificationStore {
    public func apply(_ command: QualificationCommand, planner: QualificationPlanner) async throws -> QualificationOutcome {
        // Refuse an unknown or disabled target before touching the database.
        _ = try planner.resolveTargets(for: command)
        return try await write(ringingWorkersIf: { !$0.submissionChanges.isEmpty || !$0.notifications.isEmpty }) { db in
            try Self.apply(command, planner: planner, db: db)
        }
    }

    public func apply(_ commands: [QualificationCommand], planner: QualificationPlanner) async throws -> [QualificationOutcome] {
        for command in commands { _ = try planner.resolveTargets(for: command) }
        return try await write(ringingWorkersIf: { $0.contains { !$0.submissionChanges.isEmpty || !$0.notifications.isEmpty } }) { db in
            try commands.map { try Self.apply($0, planner: planner, db: db) }
        }
    }

    private static func apply(_ command: QualificationCommand, planner: QualificationPlanner, db: Database) throws -> QualificationOutcome {
        guard let job = try Self.fetchJob(command.organisationID, command.jobID, db: db) else {
            throw WorkflowError.jobNotFound(command.jobID, organisation: command.organisationID)
        }
        let context = QualificationContext(
            job: job,
            submissions: try Self.fetchSubmissions(command.organisationID, command.jobID, db: db),
            decisionMakers: try Self.fetchContacts(of: job.job, label: .decisionMaker, db: db),
            alreadyNotified: try Self.notifiedPeople(job.job, type: .jobQualified, db: db)
        )
        let plan = try planner.plan(command, context: context)

        try db.cachedExecute(sql: """
            UPDATE jobs SET status = ?, qualification_status = ?, qualified_at = ?, qualified_by = ?, version = ?, updated_at = ?
            WHERE organisation_id = ? AND id = ?
            """,
            arguments: [
                plan.job.job.status.rawValue, plan.job.job.qualificationStatus.rawValue, plan.job.job.qualifiedAt.storageText,
                plan.job.job.qualifiedBy, plan.job.version, planner.now.storageText,
                command.organisationID.rawValue, command.jobID.rawValue,
            ]
        )
        for change in plan.submissionChanges {
            try Self.apply(change, job: plan.job, actor: command.actor, now: planner.now, db: db)
        }
        for notification in plan.notifications {
            try Self.insert(notification, job: plan.job.job, now: planner.now, db: db)
        }
        try Self.insert(plan.audit, db: db)
        return QualificationOutcome(plan: plan)
    }

    // MARK: - Reads shared by the workflow and the import

    static func fetchJob(_ organisationID: OrganisationID, _ jobID: JobID, db: Database) throws -> StoredJob? {
        try db.cachedFetchOne(sql: "SELECT * FROM jobs WHERE organisation_id = ? AND id = ?",
            arguments: [organisationID.rawValue, jobID.rawValue], StoredJob.init(row:)
        )
    }

    static func fetchSubmissions(_ organisationID: OrganisationID, _ jobID: JobID, db: Database) throws -> [OutboxEntry] {
        try db.cachedFetchAll(sql: "SELECT * FROM job_external_submissions WHERE organisation_id = ? AND job_id = ? ORDER BY external_system",
            arguments: [organisationID.rawValue, jobID.rawValue], OutboxEntry.init(row:)
        )
    }

    /// The company's contacts with `label`. `CROSS JOIN` makes SQLite start from the company's
    /// associations: without statistics it chose to walk every person of the organisation and
    /// probe each one's associations (with 600 people: 155 µs a call, against 11 µs this way).
    static func fetchContacts(of job: Job, label: AssociationLabel, db: Database) throws -> [Person] {
        try db.cachedFetchAll(sql: """
            SELECT people.* FROM company_contact_associations AS a
            CROSS JOIN people
              ON people.organisation_id = a.organisation_id AND people.id = a.person_id
            WHERE a.organisation_id = ? AND a.company_id = ? AND a.association_label = ?
            ORDER BY people.id
            """,
            arguments: [job.organisationID.rawValue, job.companyID.rawValue, label.rawValue], Person.init(row:)
        )
    }

    static func notifiedPeople(_ job: Job, type: NotificationType, db: Database) throws -> Set<PersonID> {
        let ids = try db.cachedFetchAll(
            sql: "SELECT person_id FROM decision_maker_notifications WHERE organisation_id = ? AND job_id = ? AND notification_type = ?",
            arguments: [job.organisationID.rawValue, job.id.rawValue, type.rawValue]
        ) { row in PersonID(rawValue: row[0]) }
        return Set(ids)
    }

    // MARK: - Writes shared by the workflow and the import

    static func apply(_ change: SubmissionChange, job: StoredJob, actor: String, now: Date, db: Database) throws {
        let now = now.storageText
        switch change {
        case let .enqueue(target, operation):
            try db.cachedExecute(sql: """
                INSERT INTO job_external_submissions
                    (organisation_id, job_id, external_system, operation, status, attempts, next_attempt_at,
                     job_version, submitted_by, enqueued_at, created_at, updated_at)
                VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [
                    job.job.organisationID.rawValue, job.job.id.rawValue, target.rawValue, operation.rawValue,
                    now, job.version, actor, now, now, now,
                ]
            )
        case let .requeue(entryID, _, operation):
            try db.cachedExecute(sql: """
                UPDATE job_external_submissions
                SET operation = ?, status = 'pending', attempts = 0, next_attempt_at = ?, job_version = ?,
                    lease_owner = NULL, lease_expires_at = NULL, submitted_by = ?, enqueued_at = ?, updated_at = ?
                WHERE id = ?
                """,
                arguments: [operation.rawValue, now, job.version, actor, now, now, entryID]
            )
        case let .retarget(entryID, _, operation):
            try db.cachedExecute(sql: "UPDATE job_external_submissions SET operation = ?, job_version = ?, updated_at = ? WHERE id = ?",
                arguments: [operation.rawValue, job.version, now, entryID]
            )
        case let .cancel(entryID, _):
            try db.cachedExecute(sql: """
                UPDATE job_external_submissions
                SET status = 'cancelled', next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                WHERE id = ?
                """,
                arguments: [now, entryID]
            )
        case .unchanged:
            break
        }
    }

    static func insert(_ notification: NotificationDraft, job: Job, now: Date, db: Database) throws {
        let now = now.storageText
        // The (job, person, type) key makes a second qualify a no-op even if two commands race.
        try db.cachedExecute(sql: """
            INSERT INTO decision_maker_notifications
                (organisation_id, job_id, person_id, company_id, notification_type, notification_channel, status,
                 next_attempt_at, error, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, 'email', ?, ?, ?, ?, ?)
            ON CONFLICT (organisation_id, job_id, person_id, notification_type) DO NOTHING
            """,
            arguments: [
                job.organisationID.rawValue, job.id.rawValue, notification.personID.rawValue, job.companyID.rawValue,
                notification.type.rawValue, notification.status.rawValue,
                notification.status == .pending ? now : nil, notification.reason, now, now,
            ]
        )
    }

    static func insert(_ audit: AuditEntry, db: Database) throws {
        let details = try JSONSerialization.data(withJSONObject: audit.details, options: [.sortedKeys])
        try db.cachedExecute(sql: "INSERT INTO audit_log (organisation_id, occurred_at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                audit.organisationID?.rawValue, audit.occurredAt.storageText, audit.actor, audit.action.rawValue, audit.subject,
                String(decoding: details, as: UTF8.self),
            ]
        )
    }
}
