import AtsgateCore
import Foundation
import PostgresNIO

// Reads and writes shared by the workflow, the import, operator actions, reconciliation and
// settlement, each run on the connection of the caller's transaction.

extension PostgresStore {
    // MARK: - Reads

    /// The job, or `nil`. With `locking`, the row stays locked to the end of the transaction, so a
    /// plan made from it cannot be overtaken by another node's write to the same job.
    func fetchJob(_ organisationID: OrganisationID, _ jobID: JobID, locking: Bool = false, connection: PostgresConnection) async throws -> StoredJob? {
        try await connection.query(
            "SELECT * FROM jobs WHERE organisation_id = \(organisationID.rawValue) AND id = \(jobID.rawValue)\(unescaped: locking ? " FOR UPDATE" : "")",
            logger: logger
        ).first(table: "jobs", StoredJob.init(postgres:))
    }

    /// The job's outbox rows, by target. With `locking`, they stay locked to the end of the
    /// transaction: a settlement on another node waits, then sees what this transaction wrote.
    func fetchSubmissions(_ organisationID: OrganisationID, _ jobID: JobID, locking: Bool = false, connection: PostgresConnection) async throws -> [OutboxEntry] {
        try await connection.query("""
            SELECT * FROM job_external_submissions WHERE organisation_id = \(organisationID.rawValue) AND job_id = \(jobID.rawValue)
            ORDER BY external_system\(unescaped: locking ? " FOR UPDATE" : "")
            """, logger: logger
        ).collect(table: "job_external_submissions", OutboxEntry.init(postgres:))
    }

    /// The people associated with the job's company under `label`, in id order.
    func fetchContacts(of job: Job, label: AssociationLabel, connection: PostgresConnection) async throws -> [Person] {
        try await connection.query("""
            SELECT people.* FROM people
            JOIN company_contact_associations AS a
              ON a.organisation_id = people.organisation_id AND a.person_id = people.id
            WHERE a.organisation_id = \(job.organisationID.rawValue) AND a.company_id = \(job.companyID.rawValue)
              AND a.association_label = \(label.rawValue)
            ORDER BY people.id
            """, logger: logger
        ).collect(table: "people", Person.init(postgres:))
    }

    /// The people who already have a notification of `type` about the job.
    func notifiedPeople(_ job: Job, type: NotificationType, connection: PostgresConnection) async throws -> Set<PersonID> {
        let ids = try await connection.query("""
            SELECT person_id FROM decision_maker_notifications
            WHERE organisation_id = \(job.organisationID.rawValue) AND job_id = \(job.id.rawValue) AND notification_type = \(type.rawValue)
            """, logger: logger
        ).collect(table: "decision_maker_notifications") { try $0.required("person_id", as: String.self) }
        return Set(ids.map(PersonID.init(rawValue:)))
    }

    /// The target's ids of a company and of every person associated with it.
    func fetchReferences(
        of company: CompanyID, at target: TargetName, organisationID: OrganisationID, connection: PostgresConnection
    ) async throws -> RemoteReferences {
        let rows = try await connection.query("""
            SELECT entity_kind, local_id, remote_id FROM external_refs
            WHERE organisation_id = \(organisationID.rawValue) AND target = \(target.rawValue) AND (
                (entity_kind = 'company' AND local_id = \(company.rawValue))
                OR (entity_kind = 'person' AND local_id IN (
                    SELECT person_id FROM company_contact_associations
                    WHERE organisation_id = \(organisationID.rawValue) AND company_id = \(company.rawValue))))
            """, logger: logger
        ).collect(table: "external_refs") { row in
            (kind: try row.required("entity_kind", as: String.self), localID: try row.required("local_id", as: String.self),
             remoteID: try row.required("remote_id", as: String.self))
        }
        var references = RemoteReferences()
        for (kind, localID, remoteID) in rows {
            if kind == "company" {
                references.companies[CompanyID(localID)] = remoteID
            } else {
                references.people[PersonID(localID)] = remoteID
            }
        }
        return references
    }

    // MARK: - Writes

    /// Applies one planned change to the job's outbox rows.
    func apply(_ change: SubmissionChange, job: StoredJob, actor: String, now: Date, connection: PostgresConnection) async throws {
        switch change {
        case let .enqueue(target, operation):
            try await connection.query("""
                INSERT INTO job_external_submissions
                    (organisation_id, job_id, external_system, operation, status, attempts, next_attempt_at,
                     job_version, submitted_by, enqueued_at, created_at, updated_at)
                VALUES (\(job.job.organisationID.rawValue), \(job.job.id.rawValue), \(target.rawValue), \(operation.rawValue), 'pending', 0, \(now),
                        \(job.version), \(actor), \(now), \(now), \(now))
                """, logger: logger)
        case let .requeue(entryID, _, operation):
            try await connection.query("""
                UPDATE job_external_submissions
                SET operation = \(operation.rawValue), status = 'pending', attempts = 0, next_attempt_at = \(now), job_version = \(job.version),
                    lease_owner = NULL, lease_expires_at = NULL, submitted_by = \(actor), enqueued_at = \(now), updated_at = \(now)
                WHERE id = \(entryID)
                """, logger: logger)
        case let .retarget(entryID, _, operation):
            try await connection.query("""
                UPDATE job_external_submissions SET operation = \(operation.rawValue), job_version = \(job.version), updated_at = \(now)
                WHERE id = \(entryID)
                """, logger: logger)
        case let .cancel(entryID, _):
            try await connection.query("""
                UPDATE job_external_submissions
                SET status = 'cancelled', next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = \(now)
                WHERE id = \(entryID)
                """, logger: logger)
        case .unchanged:
            break
        }
    }

    func insert(_ notification: NotificationDraft, job: Job, now: Date, connection: PostgresConnection) async throws {
        // The (job, person, type) key makes a second qualify a no-op even if two commands race.
        try await connection.query("""
            INSERT INTO decision_maker_notifications
                (organisation_id, job_id, person_id, company_id, notification_type, notification_channel, status,
                 next_attempt_at, error, created_at, updated_at)
            VALUES (\(job.organisationID.rawValue), \(job.id.rawValue), \(notification.personID.rawValue), \(job.companyID.rawValue),
                    \(notification.type.rawValue), 'email', \(notification.status.rawValue),
                    \(notification.status == .pending ? now : nil), \(notification.reason), \(now), \(now))
            ON CONFLICT (organisation_id, job_id, person_id, notification_type) DO NOTHING
            """, logger: logger)
    }

    func insert(_ audit: AuditEntry, connection: PostgresConnection) async throws {
        let details = String(decoding: try JSONSerialization.data(withJSONObject: audit.details, options: [.sortedKeys]), as: UTF8.self)
        try await connection.query("""
            INSERT INTO audit_log (organisation_id, occurred_at, actor, action, subject, details)
            VALUES (\(audit.organisationID?.rawValue), \(audit.occurredAt), \(audit.actor), \(audit.action.rawValue), \(audit.subject), \(details)::jsonb)
            """, logger: logger)
    }
}

extension PostgresStore {
    /// Many audit entries in one statement, in order.
    func insert(_ audits: [AuditEntry], connection: PostgresConnection) async throws {
        guard !audits.isEmpty else { return }
        let details = try audits.map { audit in
            String(decoding: try JSONSerialization.data(withJSONObject: audit.details, options: [.sortedKeys]), as: UTF8.self)
        }
        try await connection.query("""
            INSERT INTO audit_log (organisation_id, occurred_at, actor, action, subject, details)
            SELECT organisation_id, occurred_at, actor, action, subject, details::jsonb
            FROM unnest(\(NullableArray(audits.map(\.organisationID?.rawValue)))::text[], \(audits.map(\.occurredAt)),
                        \(audits.map(\.actor)), \(audits.map(\.action.rawValue)), \(audits.map(\.subject)), \(details))
                 WITH ORDINALITY AS entry (organisation_id, occurred_at, actor, action, subject, details, position)
            ORDER BY position
            """, logger: logger)
    }
}
