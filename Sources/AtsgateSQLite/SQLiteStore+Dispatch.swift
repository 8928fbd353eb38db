public import AtsgateCore
public import Foundation
import GRDB

extension SQLiteStore: DispatchStore {
    public func claim(_ request: ClaimRequest) async throws -> ClaimBatch {
        // The jobs are read in the claim's transaction: one trip to the writer instead of a second
        // one to a reader, and a job that cannot be read rolls the lease back instead of leaving
        // the row in flight until it lapses.
        try await write { db in
            var leased: [(entry: OutboxEntry, outcomeUnknown: Bool, enqueuedAt: Date, lane: DeliveryLane)] = []
            var healthSeen: [DeliveryLane: TargetHealth] = [:]
            for (lane, wanted) in request.limits.sorted(by: { $0.key < $1.key }) {
                var health = try Self.health(of: lane, db: db)
                healthSeen[lane] = health
                let limit = health.claimLimit(wanted: wanted, now: request.now)
                guard limit > 0 else { continue }
                let lease = request.leaseDurations[lane.target] ?? .seconds(60)
                let leaseUntil = request.now.adding(lease)
                let (laneFilter, laneArguments) = Self.laneFilter(lane, ownConnections: request.ownConnections)
                let rows = try Self.claimRows(
                    table: "job_external_submissions", extraFilter: laneFilter, extraArguments: laneArguments,
                    limit: limit, owner: request.owner, now: request.now, leaseUntil: leaseUntil, running: request.running, db: db
                ) { row in
                    (
                        entry: try OutboxEntry(row: row),
                        outcomeUnknown: try row.required("outcome_unknown", in: "job_external_submissions") as Bool,
                        enqueuedAt: try row.required("enqueued_at", in: "job_external_submissions") as Date
                    )
                }
                guard !rows.isEmpty else { continue }
                let before = health
                health.recordClaim(now: request.now, probeDeadline: leaseUntil)
                if health != before { try Self.save(health, of: lane, now: request.now, db: db) }
                healthSeen[lane] = health
                leased += rows.map { ($0.entry, $0.outcomeUnknown, $0.enqueuedAt, lane) }
            }
            let snapshots = try Self.fetchSnapshots(leased.map { JobKey(organisationID: $0.entry.organisationID, jobID: $0.entry.jobID) }, db: db)
            let submissions = try leased.map { lease in
                guard let snapshot = snapshots[JobKey(organisationID: lease.entry.organisationID, jobID: lease.entry.jobID)] else {
                    throw StoreError(.corruptRow, "outbox row \(lease.entry.id) points at a job that does not exist")
                }
                return ClaimedSubmission(
                    entry: lease.entry, snapshot: snapshot, outcomeUnknown: lease.outcomeUnknown, enqueuedAt: lease.enqueuedAt,
                    references: request.referencesWanted.contains(lease.entry.target)
                        ? try Self.fetchReferences(of: snapshot.company.id, at: lease.entry.target, organisationID: lease.entry.organisationID, db: db)
                        : RemoteReferences(),
                    lane: lease.lane
                )
            }
            return ClaimBatch(submissions: submissions, health: healthSeen)
        }
    }

    public func settle(_ records: [DeliveryRecord]) async throws -> [Settlement.Result] {
        try await write { db in
            var health = TargetHealthUpdates()
            var stored = try Self.fetchSettlementRows(records.map(\.entryID), db: db)
            let results = try records.map { record in
                // A second record for the same row in one batch must see what the first one wrote.
                let row = try stored.removeValue(forKey: record.entryID) ?? Self.fetchSettlementRows([record.entryID], db: db)[record.entryID]
                let result = try Self.settle(record, stored: row, db: db)
                // A lost lease changes nothing of the row, but its requests still say how the target is.
                try health.record(record.requests, startedAt: record.startedAt, of: record.lane, at: record.finishedAt, settings: record.circuitBreaker) { lane in
                    try Self.health(of: lane, db: db)
                }
                return result
            }
            try Self.save(health, db: db)
            return results
        }
    }

    public func releaseUnattempted(_ leases: [UnattemptedLease], now: Date) async throws -> Int {
        guard !leases.isEmpty else { return 0 }
        return try await write(ringingWorkersIf: { $0 > 0 }) { db in
            var released = 0
            for lease in leases {
                // A lapsed-lease attempt and `outcome_unknown` that the claim wrote stay: both are still true.
                try db.cachedExecute(
                    sql: """
                    UPDATE job_external_submissions
                    SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, attempts = attempts - 1, updated_at = ?
                    WHERE id = ? AND status = 'in_flight' AND lease_owner = ? AND attempts = ?
                    """,
                    arguments: [now.storageText, lease.entryID, lease.owner, lease.attempt]
                )
                released += db.changesCount
            }
            return released
        }
    }

    public func claimNotifications(
        owner: String, now: Date, limit: Int, leaseDuration: Duration, running: Set<Int64>
    ) async throws -> [ClaimedNotification] {
        try await write { db in
            let rows = try Self.claimRows(
                table: "decision_maker_notifications", extraFilter: nil, extraArguments: [],
                limit: limit, owner: owner, now: now, leaseUntil: now.adding(leaseDuration), running: running, db: db
            ) { row in
                (try DecisionMakerNotification(row: row), try row.optionalEnumValue("error_kind", in: "decision_maker_notifications") as ErrorKind?)
            }
            return try rows.map { notification, lastErrorKind in
                guard let snapshot = try Self.fetchSnapshot(notification.organisationID, notification.jobID, db: db),
                      let recipient = try db.cachedFetchOne(sql: "SELECT * FROM people WHERE organisation_id = ? AND id = ?",
                          arguments: [notification.organisationID.rawValue, notification.personID.rawValue], Person.init(row:)
                      )
                else { throw StoreError(.corruptRow, "notification \(notification.id) points at a missing job or person") }
                return ClaimedNotification(
                    request: NotificationRequest(notificationID: notification.id, type: notification.type, recipient: recipient, snapshot: snapshot),
                    organisationID: notification.organisationID,
                    attempt: notification.attempts,
                    enqueuedAt: notification.createdAt,
                    lastErrorKind: lastErrorKind,
                    claimedAt: now
                )
            }
        }
    }

    public func settleNotifications(_ records: [NotificationRecord]) async throws -> [Bool] {
        try await write { db in
            var health = TargetHealthUpdates()
            let results = try records.map { record in
                let held = try Self.settle(record, db: db)
                try health.record(
                    record.requests, startedAt: record.startedAt, of: DeliveryLane(record.target), at: record.finishedAt, settings: record.circuitBreaker
                ) { lane in
                    try Self.health(of: lane, db: db)
                }
                return held
            }
            try Self.save(health, db: db)
            return results
        }
    }

    public func nextDueDate(targets: [TargetName], includeNotifications: Bool) async throws -> Date? {
        try await read { db in
            var candidates: [Date?] = []
            for (table, filter, arguments) in Self.workScopes(targets: targets, includeNotifications: includeNotifications) {
                candidates.append(try Date.fetchOne(db, sql: "SELECT min(next_attempt_at) FROM \(table) WHERE status = 'pending'\(filter)", arguments: arguments))
                candidates.append(try Date.fetchOne(db, sql: "SELECT min(lease_expires_at) FROM \(table) WHERE status = 'in_flight'\(filter)", arguments: arguments))
            }
            return candidates.compactMap { $0 }.min()
        }
    }

    public func hasDueOrInFlightWork(now: Date, targets: [TargetName], includeNotifications: Bool) async throws -> Bool {
        try await read { db in
            try Self.workScopes(targets: targets, includeNotifications: includeNotifications).contains { table, filter, arguments in
                try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE (status = 'in_flight' OR (status = 'pending' AND next_attempt_at <= ?))\(filter))",
                    arguments: [now.storageText] + arguments
                ) ?? false
            }
        }
    }

    /// The tables (and target filters) holding work for these targets.
    private static func workScopes(targets: [TargetName], includeNotifications: Bool) -> [(table: String, filter: String, arguments: StatementArguments)] {
        var scopes: [(String, String, StatementArguments)] = []
        if !targets.isEmpty {
            let placeholders = targets.map { _ in "?" }.joined(separator: ", ")
            scopes.append(("job_external_submissions", " AND external_system IN (\(placeholders))", StatementArguments(targets.map(\.rawValue))))
        }
        if includeNotifications {
            scopes.append(("decision_maker_notifications", "", StatementArguments()))
        }
        return scopes
    }

    public func targetHealth() async throws -> [DeliveryLane: TargetHealth] {
        try await read { db in
            let defaults = try db.cachedFetchAll(sql: "SELECT * FROM target_states") { row in
                (DeliveryLane(try row.targetName("target", in: "target_states")), try TargetHealth(row: row))
            }
            let own = try db.cachedFetchAll(sql: "SELECT * FROM connection_states") { row in
                (
                    DeliveryLane(try row.targetName("target", in: "connection_states"), connectionOf: OrganisationID(try row.required("organisation_id", in: "connection_states"))),
                    try TargetHealth(row: row)
                )
            }
            return Dictionary(defaults + own) { _, last in last }
        }
    }

    /// The rows of one lane: an organisation's own connection takes that organisation's rows to
    /// the target; the default one every other organisation's.
    static func laneFilter(_ lane: DeliveryLane, ownConnections: [TargetName: Set<OrganisationID>]) -> (String, [any DatabaseValueConvertible]) {
        if let organisation = lane.organisationID {
            return ("external_system = ? AND organisation_id = ?", [lane.target.rawValue, organisation.rawValue])
        }
        let own = (ownConnections[lane.target] ?? []).map(\.rawValue).sorted()
        guard !own.isEmpty else { return ("external_system = ?", [lane.target.rawValue]) }
        let list = String(decoding: (try? JSONEncoder().encode(own)) ?? Data("[]".utf8), as: UTF8.self)
        return ("external_system = ? AND organisation_id NOT IN (SELECT value FROM json_each(?))", [lane.target.rawValue, list])
    }

    // MARK: - Claiming

    /// Leases due rows of `table`: in-flight rows whose lease lapsed first (their worker died), then
    /// pending rows in due order, each decoded by `decode`, in id order. A lapsed lease is recorded
    /// as a `lease_lost` attempt.
    private static func claimRows<Value>(
        table: String, extraFilter: String?, extraArguments: [any DatabaseValueConvertible],
        limit: Int, owner: String, now: Date, leaseUntil: Date, running: Set<Int64>, db: Database,
        decode: (Row) throws -> Value
    ) throws -> [Value] {
        let filter = extraFilter.map { " AND \($0)" } ?? ""
        let isOutbox = table == "job_external_submissions"
        let operation = isOutbox ? ", operation" : ""
        // Rows this worker is still delivering are left alone even when their lease lapsed; the
        // list is empty unless settling runs late, so the statement stays the cached one.
        let notRunning = running.isEmpty ? "" : " AND id NOT IN (\(running.map { _ in "?" }.joined(separator: ", ")))"
        let lapsed = try db.cachedFetchAll(
            sql: "SELECT id, attempts, lease_owner, updated_at, organisation_id\(operation) FROM \(table) WHERE status = 'in_flight'\(filter)\(notRunning) AND lease_expires_at <= ? ORDER BY lease_expires_at LIMIT ?",
            arguments: StatementArguments(extraArguments + running.sorted() + [now.storageText, limit])
        ) { row in
            LapsedLease(
                id: try row.required("id", in: table), organisationID: (row["organisation_id"] as String?).map { OrganisationID($0) },
                attempts: try row.required("attempts", in: table), owner: row["lease_owner"], claimedAt: row["updated_at"],
                operation: isOutbox ? try row.enumValue("operation", in: table) as SubmissionOperation : nil
            )
        }
        let due = try Int64.fetchAll(
            db.cachedStatement(sql: "SELECT id FROM \(table) WHERE status = 'pending'\(filter) AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"),
            arguments: StatementArguments(extraArguments + [now.storageText, limit - lapsed.count])
        )
        let ids = lapsed.map(\.id) + due
        guard !ids.isEmpty else { return [] }

        let idColumn = isOutbox ? "submission_id" : "notification_id"
        for lease in lapsed {
            if let lost = lease.lostAttempt(now: now) {
                try db.cachedExecute(sql: """
                    INSERT INTO submission_attempts
                        (organisation_id, \(idColumn), attempt_number, worker, started_at, finished_at, outcome, message)
                    VALUES (?, ?, ?, ?, ?, ?, 'lease_lost', ?)
                    """,
                    arguments: [
                        lease.organisationID?.rawValue, lease.id, lost.attempt, lost.worker, lost.startedAt.storageText,
                        lost.finishedAt.storageText, lost.message,
                    ]
                )
            }
            if lease.makesOutcomeUnknown {
                try db.cachedExecute(sql: "UPDATE \(table) SET outcome_unknown = 1 WHERE id = ?", arguments: [lease.id])
            }
        }
        let placeholders = ids.map { _ in "?" }.joined(separator: ", ")
        return try db.cachedFetchAll(sql: """
            UPDATE \(table)
            SET status = 'in_flight', lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1, updated_at = ?
            WHERE id IN (\(placeholders))
            RETURNING *
            """,
            arguments: StatementArguments([owner, leaseUntil.storageText, now.storageText] as [any DatabaseValueConvertible] + ids)
        ) { row in (id: try row.required("id", in: table) as Int64, value: try decode(row)) }
        .sorted { $0.id < $1.id }
        .map(\.value)
    }

    // MARK: - Settling

    /// An outbox row as a settlement needs it: the row, and the job's version and status now.
    private struct SettlementRow {
        var context: SettlementContext
        var outcomeUnknown: Bool
        var enqueuedAt: Date
    }

    /// The rows being settled, in one query; a row that no longer exists is missing.
    private static func fetchSettlementRows(_ ids: [Int64], db: Database) throws -> [Int64: SettlementRow] {
        let table = "job_external_submissions"
        var rows: [Int64: SettlementRow] = [:]
        for chunk in InList.chunks(of: ids) {
            let fetched = try db.cachedFetchAll(
                sql: """
                SELECT s.*, j.version AS current_job_version, j.status AS current_job_status
                FROM job_external_submissions AS s
                JOIN jobs AS j ON j.organisation_id = s.organisation_id AND j.id = s.job_id
                WHERE s.id IN \(chunk.placeholders)
                """,
                arguments: StatementArguments(chunk.values)
            ) { row in
                SettlementRow(
                    context: SettlementContext(
                        row: try OutboxEntry(row: row),
                        currentJobVersion: try row.required("current_job_version", in: "jobs"),
                        currentJobStatus: try row.enumValue("current_job_status", in: "jobs")
                    ),
                    outcomeUnknown: try row.required("outcome_unknown", in: table),
                    enqueuedAt: try row.required("enqueued_at", in: table)
                )
            }
            for row in fetched { rows[row.context.row.id] = row }
        }
        return rows
    }

    private static func settle(_ record: DeliveryRecord, stored: SettlementRow?, db: Database) throws -> Settlement.Result {
        let table = "job_external_submissions"
        guard let stored else { return .leaseLost }
        let entry = stored.context.row
        let result = Settlement.settle(
            record, context: stored.context, previousOutcomeUnknown: stored.outcomeUnknown, enqueuedAt: stored.enqueuedAt
        )
        try insertAttempt(
            idColumn: "submission_id", id: record.entryID, organisationID: record.organisationID, attempt: record.attempt,
            operation: record.operation, worker: record.leaseOwner, startedAt: record.startedAt, finishedAt: record.finishedAt,
            outcome: record.outcome, leaseLost: result == .leaseLost, requestHash: record.requestHash, db: db
        )
        guard case .settled(let settled) = result else { return result }
        try db.cachedExecute(sql: """
            UPDATE \(table)
            SET status = ?, operation = ?, attempts = ?, next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL,
                external_id = ?, sent_job_version = ?, last_error_kind = ?, last_error_message = ?, outcome_unknown = ?,
                enqueued_at = ?, sent_at = ?, response_data = coalesce(?, response_data), updated_at = ?,
                sent_fields_digest = CASE WHEN ? THEN ? ELSE sent_fields_digest END
            WHERE id = ?
            """,
            arguments: [
                settled.status.rawValue, settled.operation.rawValue, settled.attempts, settled.nextAttemptAt.storageText,
                settled.externalID, settled.sentJobVersion, settled.lastErrorKind?.rawValue, settled.lastErrorMessage,
                settled.outcomeUnknown, settled.enqueuedAt.storageText, settled.sentAt.storageText, settled.responseData, record.finishedAt.storageText,
                record.outcome.receipt != nil, record.outcome.receipt?.comparedFieldsDigest,
                record.entryID,
            ]
        )
        let link = { (kind: String, localID: String, remoteID: String) throws in
            try Self.link(kind, localID: localID, remoteID: remoteID, organisationID: entry.organisationID, target: entry.target, now: record.finishedAt, db: db)
        }
        // What the target holds now, whether the attempt finished or got part of the way.
        let (jobID, learned): (String?, RemoteReferences) = switch record.outcome {
        case .delivered(let receipt): (receipt.externalID, receipt.learnedReferences)
        case .retry(_, let error), .failed(_, let error): (error.progress?.externalID, error.progress?.learnedReferences ?? RemoteReferences())
        }
        if let jobID { try link("job", entry.jobID.rawValue, jobID) }
        for (company, remoteID) in learned.companies { try link("company", company.rawValue, remoteID) }
        for (person, remoteID) in learned.people { try link("person", person.rawValue, remoteID) }
        let drafts = try Settlement.notifications(after: record) {
            guard let job = try fetchJob(entry.organisationID, entry.jobID, db: db)?.job else { return ([], []) }
            return (try fetchContacts(of: job, label: .decisionMaker, db: db), try notifiedPeople(job, type: .jobSubmitted, db: db))
        }
        if !drafts.isEmpty, let job = try fetchJob(entry.organisationID, entry.jobID, db: db)?.job {
            for draft in drafts { try insert(draft, job: job, now: record.finishedAt, db: db) }
        }
        return result
    }

    /// Records which remote record is ours, in the transaction that settles the attempt. If another
    /// local entity already claims that remote id, the link is left out (reconciliation reports
    /// the duplicate); an outbox row still records the id it was given.
    static func link(
        _ kind: String, localID: String, remoteID: String, organisationID: OrganisationID, target: TargetName, now: Date, db: Database
    ) throws {
        try db.cachedExecute(
            sql: """
            INSERT INTO external_refs (organisation_id, entity_kind, local_id, target, remote_id, created_at, updated_at)
            SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6
            WHERE NOT EXISTS (
                SELECT 1 FROM external_refs
                WHERE organisation_id = ?1 AND target = ?4 AND entity_kind = ?2 AND remote_id = ?5 AND local_id <> ?3)
            ON CONFLICT (organisation_id, entity_kind, local_id, target) DO UPDATE SET remote_id = excluded.remote_id, updated_at = excluded.updated_at
            """,
            arguments: [organisationID.rawValue, kind, localID, target.rawValue, remoteID, now.storageText]
        )
    }

    /// The target's ids of a company and of every person associated with it.
    static func fetchReferences(of company: CompanyID, at target: TargetName, organisationID: OrganisationID, db: Database) throws -> RemoteReferences {
        let rows = try db.cachedFetchAll(
            sql: """
            SELECT entity_kind, local_id, remote_id FROM external_refs
            WHERE organisation_id = ?1 AND target = ?2 AND (
                (entity_kind = 'company' AND local_id = ?3)
                OR (entity_kind = 'person' AND local_id IN (
                    SELECT person_id FROM company_contact_associations WHERE organisation_id = ?1 AND company_id = ?3)))
            """,
            arguments: [organisationID.rawValue, target.rawValue, company.rawValue]
        ) { row in
            (kind: try row.required("entity_kind", in: "external_refs") as String,
             localID: try row.required("local_id", in: "external_refs") as String,
             remoteID: try row.required("remote_id", in: "external_refs") as String)
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

    private static func settle(_ record: NotificationRecord, db: Database) throws -> Bool {
        let table = "decision_maker_notifications"
        let stored = try db.cachedFetchOne(sql: "SELECT status, lease_owner, attempts FROM \(table) WHERE id = ?", arguments: [record.notificationID]) { row in
            (status: try row.enumValue("status", in: table) as NotificationStatus, leaseOwner: row["lease_owner"] as String?, attempts: row["attempts"] as Int?)
        }
        guard let stored else { return false }
        let held = stored.status == .inFlight && stored.leaseOwner == record.leaseOwner && stored.attempts == record.attempt
        try insertAttempt(
            idColumn: "notification_id", id: record.notificationID, organisationID: record.organisationID, attempt: record.attempt,
            operation: nil, worker: record.leaseOwner, startedAt: record.startedAt, finishedAt: record.finishedAt,
            outcome: record.outcome, leaseLost: !held, requestHash: nil, db: db
        )
        guard held else { return false }
        let (newStatus, nextAttempt, errorKind, error, externalID, sentAt): (NotificationStatus, Date?, ErrorKind?, String?, String?, Date?) =
            switch record.outcome {
            case .delivered(let receipt): (.sent, nil, nil, nil, receipt.externalID, record.finishedAt)
            case let .retry(at, error): (.pending, at, error.kind, error.message, nil, nil)
            case let .failed(reason, error): (.failed, nil, error.kind, reason, nil, nil)
            }
        try db.cachedExecute(sql: """
            UPDATE \(table)
            SET status = ?, next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL, error_kind = ?, error = ?,
                external_id = coalesce(?, external_id), sent_at = coalesce(?, sent_at), updated_at = ?
            WHERE id = ?
            """,
            arguments: [newStatus.rawValue, nextAttempt.storageText, errorKind?.rawValue, error, externalID, sentAt.storageText, record.finishedAt.storageText, record.notificationID]
        )
        return true
    }

    private static func insertAttempt(
        idColumn: String, id: Int64, organisationID: OrganisationID, attempt: Int, operation: SubmissionOperation?,
        worker: String, startedAt: Date, finishedAt: Date, outcome: AttemptOutcome, leaseLost: Bool, requestHash: String?,
        db: Database
    ) throws {
        let entry = AttemptHistoryEntry.recording(
            outcome, attempt: attempt, operation: operation, worker: worker, startedAt: startedAt, finishedAt: finishedAt,
            leaseLost: leaseLost, requestHash: requestHash
        )
        try db.cachedExecute(sql: """
            INSERT INTO submission_attempts
                (organisation_id, \(idColumn), attempt_number, operation, worker, started_at, finished_at, outcome,
                 http_status, error_kind, message, duration_ms, request_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [
                organisationID.rawValue, id, entry.attemptNumber, entry.operation?.rawValue, entry.worker, startedAt.storageText,
                finishedAt.storageText, entry.outcome, entry.httpStatus, entry.errorKind?.rawValue, entry.message,
                entry.durationMilliseconds, entry.requestHash,
            ]
        )
    }

    // MARK: - Target health

    static func health(of lane: DeliveryLane, db: Database) throws -> TargetHealth {
        if let organisation = lane.organisationID {
            return try db.cachedFetchOne(
                sql: "SELECT * FROM connection_states WHERE organisation_id = ? AND target = ?", arguments: [organisation.rawValue, lane.target.rawValue],
                TargetHealth.init(row:)
            ) ?? TargetHealth()
        }
        return try db.cachedFetchOne(sql: "SELECT * FROM target_states WHERE target = ?", arguments: [lane.target.rawValue], TargetHealth.init(row:))
            ?? TargetHealth()
    }

    static func save(_ health: TargetHealth, of lane: DeliveryLane, now: Date, db: Database) throws {
        guard let organisation = lane.organisationID else {
            return try save(health, of: lane.target, now: now, db: db)
        }
        let (circuit, until) = health.circuit.stored
        try db.cachedExecute(sql: """
            INSERT INTO connection_states
                (organisation_id, target, circuit, circuit_until, consecutive_failures, paused_until, request_window, openings,
                 probe_successes, probing_since, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (organisation_id, target) DO UPDATE SET circuit = excluded.circuit, circuit_until = excluded.circuit_until,
                consecutive_failures = excluded.consecutive_failures, paused_until = excluded.paused_until,
                request_window = excluded.request_window, openings = excluded.openings, probe_successes = excluded.probe_successes,
                probing_since = excluded.probing_since, updated_at = excluded.updated_at
            """,
            arguments: [
                organisation.rawValue, lane.target.rawValue, circuit, until.storageText, health.consecutiveFailures, health.pausedUntil.storageText,
                health.window.storedText, health.openings, health.probeSuccesses, health.probingSince.storageText, now.storageText,
            ]
        )
    }

    private static func save(_ health: TargetHealth, of target: TargetName, now: Date, db: Database) throws {
        let (circuit, until) = health.circuit.stored
        try db.cachedExecute(sql: """
            INSERT INTO target_states
                (target, circuit, circuit_until, consecutive_failures, paused_until, request_window, openings, probe_successes,
                 probing_since, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (target) DO UPDATE SET circuit = excluded.circuit, circuit_until = excluded.circuit_until,
                consecutive_failures = excluded.consecutive_failures, paused_until = excluded.paused_until,
                request_window = excluded.request_window, openings = excluded.openings, probe_successes = excluded.probe_successes,
                probing_since = excluded.probing_since, updated_at = excluded.updated_at
            """,
            arguments: [
                target.rawValue, circuit, until.storageText, health.consecutiveFailures, health.pausedUntil.storageText,
                health.window.storedText, health.openings, health.probeSuccesses, health.probingSince.storageText, now.storageText,
            ]
        )
    }
}

extension SQLiteStore {
    static func save(_ health: TargetHealthUpdates, db: Database) throws {
        guard let lastChange = health.lastChange else { return }
        for (lane, state) in health.states {
            try save(state, of: lane, now: lastChange, db: db)
        }
        for entry in health.auditEntries {
            try insert(entry, db: db)
        }
    }
}

extension TargetHealth.Circuit {
    /// The `circuit` and `circuit_until` columns.
    var stored: (circuit: String, until: Date?) {
        switch self {
        case .closed: ("closed", nil)
        case .open(let until): ("open", until)
        case .halfOpen(let until): ("half_open", until)
        }
    }
}

extension TargetHealth {
    init(row: Row) throws {
        let table = "target_states"
        let circuit: String = try row.required("circuit", in: table)
        let until: Date? = row["circuit_until"]
        let state: Circuit
        switch (circuit, until) {
        case ("closed", _): state = .closed
        case ("open", let until?): state = .open(until: until)
        case ("half_open", let until?): state = .halfOpen(probeUntil: until)
        default: throw StoreError(.corruptRow, "target_states.circuit holds '\(circuit)' without a valid circuit_until")
        }
        let windowText: String = try row.required("request_window", in: table)
        guard let window = RequestWindow(storedText: windowText) else {
            throw StoreError(.corruptRow, "target_states.request_window holds '\(windowText.prefix(80))', not start_ms:requests:failures;…")
        }
        self.init(
            circuit: state, window: window, openings: try row.required("openings", in: table),
            probeSuccesses: try row.required("probe_successes", in: table), probingSince: row["probing_since"],
            consecutiveFailures: try row.required("consecutive_failures", in: table), pausedUntil: row["paused_until"]
        )
    }
}
