public import AtsgateCore
public import Foundation
import PostgresNIO

extension PostgresStore: DispatchStore {
    public func claim(_ request: ClaimRequest) async throws -> ClaimBatch {
        // The jobs are read in the claim's transaction: a job that cannot be read rolls the lease
        // back instead of leaving the row in flight until it lapses.
        try await write { connection in
            var leased: [(entry: OutboxEntry, outcomeUnknown: Bool, enqueuedAt: Date)] = []
            var healthSeen: [TargetName: TargetHealth] = [:]
            for (target, wanted) in request.limits.sorted(by: { $0.key < $1.key }) {
                var health = try await claimableHealth(of: target, connection: connection)
                healthSeen[target] = health
                let limit = health.claimLimit(wanted: wanted, now: request.now)
                guard limit > 0 else { continue }
                let leaseUntil = request.now.adding(request.leaseDurations[target] ?? .seconds(60))
                let rows = try await claimRows(
                    .submissions(target), limit: limit, owner: request.owner, now: request.now, leaseUntil: leaseUntil,
                    running: request.running, connection: connection
                ) { row in
                    (entry: try OutboxEntry(postgres: row), outcomeUnknown: try row.required("outcome_unknown", as: Bool.self),
                     enqueuedAt: try row.required("enqueued_at", as: Date.self))
                }
                guard !rows.isEmpty else { continue }
                let before = health
                health.recordClaim(now: request.now, probeDeadline: leaseUntil)
                if health != before { try await save(health, of: target, now: request.now, connection: connection) }
                healthSeen[target] = health
                leased += rows
            }
            let snapshots = try await fetchSnapshots(leased.map { JobKey(organisationID: $0.entry.organisationID, jobID: $0.entry.jobID) }, connection: connection)
            var submissions: [ClaimedSubmission] = []
            for lease in leased {
                guard let snapshot = snapshots[JobKey(organisationID: lease.entry.organisationID, jobID: lease.entry.jobID)] else {
                    throw StoreError(.corruptRow, "outbox row \(lease.entry.id) points at a job that does not exist")
                }
                let references = request.referencesWanted.contains(lease.entry.target)
                    ? try await fetchReferences(of: snapshot.company.id, at: lease.entry.target, organisationID: lease.entry.organisationID, connection: connection)
                    : RemoteReferences()
                submissions.append(ClaimedSubmission(
                    entry: lease.entry, snapshot: snapshot, outcomeUnknown: lease.outcomeUnknown, enqueuedAt: lease.enqueuedAt, references: references
                ))
            }
            return ClaimBatch(submissions: submissions, health: healthSeen)
        }
    }

    public func settle(_ records: [DeliveryRecord]) async throws -> [Settlement.Result] {
        try await write { connection in
            var stored = try await fetchSettlementRows(records.map(\.entryID), connection: connection)
            var results: [Settlement.Result] = []
            for record in records {
                // A second record for the same row in one batch must see what the first one wrote.
                var row = stored.removeValue(forKey: record.entryID)
                if row == nil { row = try await fetchSettlementRows([record.entryID], connection: connection)[record.entryID] }
                results.append(try await settle(record, stored: row, connection: connection))
            }
            // Last, so the targets' rows are locked only for the end of the transaction. A lost
            // lease changes nothing of its row, but its requests still say how the target is.
            try await recordHealth(of: records.map { ($0.target, $0.requests, $0.startedAt, $0.finishedAt, $0.circuitBreaker) }, connection: connection)
            return results
        }
    }

    public func releaseUnattempted(_ leases: [UnattemptedLease], now: Date) async throws -> Int {
        guard !leases.isEmpty else { return 0 }
        return try await write(ringingWorkersIf: { $0 > 0 }) { connection in
            // A lapsed-lease attempt and `outcome_unknown` that the claim wrote stay: both are still true.
            try await connection.query("""
                UPDATE job_external_submissions AS s
                SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, attempts = s.attempts - 1, updated_at = \(now)
                FROM unnest(\(leases.map(\.entryID)), \(leases.map(\.owner)), \(leases.map { Int64($0.attempt) })) AS l(id, owner, attempt)
                WHERE s.id = l.id AND s.status = 'in_flight' AND s.lease_owner = l.owner AND s.attempts = l.attempt
                RETURNING s.id
                """, logger: logger).collect(table: "job_external_submissions") { _ in () }.count
        }
    }

    public func claimNotifications(
        owner: String, now: Date, limit: Int, leaseDuration: Duration, running: Set<Int64>
    ) async throws -> [ClaimedNotification] {
        try await write { connection in
            let rows = try await claimRows(
                .notifications, limit: limit, owner: owner, now: now, leaseUntil: now.adding(leaseDuration), running: running, connection: connection
            ) { row in
                (try DecisionMakerNotification(postgres: row), try row.optionalEnumValue("error_kind", as: ErrorKind.self))
            }
            var claimed: [ClaimedNotification] = []
            for (notification, lastErrorKind) in rows {
                guard let snapshot = try await fetchSnapshot(notification.organisationID, notification.jobID, connection: connection),
                      let recipient = try await connection.query(
                          "SELECT * FROM people WHERE organisation_id = \(notification.organisationID.rawValue) AND id = \(notification.personID.rawValue)",
                          logger: logger
                      ).first(table: "people", Person.init(postgres:))
                else { throw StoreError(.corruptRow, "notification \(notification.id) points at a missing job or person") }
                claimed.append(ClaimedNotification(
                    request: NotificationRequest(notificationID: notification.id, type: notification.type, recipient: recipient, snapshot: snapshot),
                    organisationID: notification.organisationID,
                    attempt: notification.attempts,
                    enqueuedAt: notification.createdAt,
                    lastErrorKind: lastErrorKind,
                    claimedAt: now
                ))
            }
            return claimed
        }
    }

    public func settleNotifications(_ records: [NotificationRecord]) async throws -> [Bool] {
        try await write { connection in
            var held: [Bool] = []
            for record in records {
                held.append(try await settle(record, connection: connection))
            }
            try await recordHealth(of: records.map { ($0.target, $0.requests, $0.startedAt, $0.finishedAt, $0.circuitBreaker) }, connection: connection)
            return held
        }
    }

    public func nextDueDate(targets: [TargetName], includeNotifications: Bool) async throws -> Date? {
        try await read { connection in
            var candidates: [Date?] = []
            if !targets.isEmpty {
                let names = targets.map(\.rawValue)
                candidates.append(try await connection.query("""
                    SELECT least(
                        (SELECT min(next_attempt_at) FROM job_external_submissions WHERE status = 'pending' AND external_system = ANY(\(names))),
                        (SELECT min(lease_expires_at) FROM job_external_submissions WHERE status = 'in_flight' AND external_system = ANY(\(names))))
                    """, logger: logger).decodeSingle(Date?.self) ?? nil)
            }
            if includeNotifications {
                candidates.append(try await connection.query("""
                    SELECT least(
                        (SELECT min(next_attempt_at) FROM decision_maker_notifications WHERE status = 'pending'),
                        (SELECT min(lease_expires_at) FROM decision_maker_notifications WHERE status = 'in_flight'))
                    """, logger: logger).decodeSingle(Date?.self) ?? nil)
            }
            return candidates.compactMap { $0 }.min()
        }
    }

    public func hasDueOrInFlightWork(now: Date, targets: [TargetName], includeNotifications: Bool) async throws -> Bool {
        try await read { connection in
            if !targets.isEmpty {
                let names = targets.map(\.rawValue)
                let found = try await connection.query("""
                    SELECT EXISTS (SELECT 1 FROM job_external_submissions WHERE status = 'pending' AND next_attempt_at <= \(now) AND external_system = ANY(\(names)))
                        OR EXISTS (SELECT 1 FROM job_external_submissions WHERE status = 'in_flight' AND external_system = ANY(\(names)))
                    """, logger: logger).decodeSingle(Bool.self) ?? false
                if found { return true }
            }
            guard includeNotifications else { return false }
            return try await connection.query("""
                SELECT EXISTS (SELECT 1 FROM decision_maker_notifications WHERE status = 'in_flight' OR (status = 'pending' AND next_attempt_at <= \(now)))
                """, logger: logger).decodeSingle(Bool.self) ?? false
        }
    }

    public func targetHealth() async throws -> [TargetName: TargetHealth] {
        try await read { connection in
            let states = try await connection.query("SELECT * FROM target_states", logger: logger).collect(table: "target_states") { row in
                (try row.targetName("target"), try TargetHealth(postgres: row))
            }
            return Dictionary(states) { _, last in last }
        }
    }
}

// MARK: - Claiming

extension PostgresStore {
    /// What a claim leases from: the outbox rows of one target, or the notifications.
    enum ClaimScope {
        case submissions(TargetName)
        case notifications

        var table: String {
            switch self {
            case .submissions: "job_external_submissions"
            case .notifications: "decision_maker_notifications"
            }
        }

        /// The scope's condition, with its value bound as `$1` (notifications have no target: `$1`
        /// is NULL, so the other placeholders keep their numbers).
        var filter: (sql: String, target: String?) {
            switch self {
            case .submissions(let target): (" AND external_system = $1", target.rawValue)
            case .notifications: (" AND $1::text IS NULL", nil)
            }
        }
    }

    /// A target's health as a claim needs it. A closed circuit is read without a lock, so claims
    /// of a healthy target never queue on its row; an open or half-open one is locked, so only one
    /// node sends the half-open probe.
    private func claimableHealth(of target: TargetName, connection: PostgresConnection) async throws -> TargetHealth {
        let health = try await self.health(of: target, locked: false, connection: connection)
        guard health.circuit != .closed else { return health }
        return try await self.health(of: target, locked: true, connection: connection)
    }

    /// Leases due rows of `scope`: in-flight rows whose lease lapsed first (their worker died),
    /// then pending rows in due order, each decoded by `decode`, in id order. Rows another node is
    /// claiming right now are skipped, never waited for. A lapsed lease is recorded as a
    /// `lease_lost` attempt.
    private func claimRows<Value>(
        _ scope: ClaimScope, limit: Int, owner: String, now: Date, leaseUntil: Date, running: Set<Int64>, connection: PostgresConnection,
        decode: (StoredRow) throws -> Value
    ) async throws -> [Value] {
        let table = scope.table
        let isOutbox = table == "job_external_submissions"
        let (filter, target) = scope.filter
        var lapsedBindings = PostgresBindings()
        lapsedBindings.append(target)
        lapsedBindings.append(running.sorted())
        lapsedBindings.append(now)
        lapsedBindings.append(limit)
        let lapsed = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT id, attempts, lease_owner, updated_at, organisation_id\(isOutbox ? ", operation" : "") FROM \(table)
            WHERE status = 'in_flight'\(filter) AND NOT (id = ANY($2)) AND lease_expires_at <= $3
            ORDER BY lease_expires_at LIMIT $4
            FOR UPDATE SKIP LOCKED
            """, binds: lapsedBindings), logger: logger).collect(table: table) { row in
            LapsedLease(
                id: try row.required("id"), organisationID: try row.optional("organisation_id", as: String.self).map { OrganisationID($0) },
                attempts: try row.required("attempts"), owner: try row.optional("lease_owner"), claimedAt: try row.optional("updated_at"),
                operation: isOutbox ? try row.enumValue("operation", as: SubmissionOperation.self) : nil
            )
        }
        var dueBindings = PostgresBindings()
        dueBindings.append(target)
        dueBindings.append(now)
        dueBindings.append(limit - lapsed.count)
        let due = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT id FROM \(table) WHERE status = 'pending'\(filter) AND next_attempt_at <= $2
            ORDER BY next_attempt_at, id LIMIT $3
            FOR UPDATE SKIP LOCKED
            """, binds: dueBindings), logger: logger).collect(table: table) { try $0.required("id", as: Int64.self) }
        let ids = lapsed.map(\.id) + due
        guard !ids.isEmpty else { return [] }

        let idColumn = isOutbox ? "submission_id" : "notification_id"
        for lease in lapsed {
            if let lost = lease.lostAttempt(now: now) {
                try await connection.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO submission_attempts
                        (organisation_id, \(idColumn), attempt_number, worker, started_at, finished_at, outcome, message)
                    VALUES ($1, $2, $3, $4, $5, $6, 'lease_lost', $7)
                    """, binds: try Self.bindings(
                        lease.organisationID?.rawValue, lease.id, lost.attempt, lost.worker, lost.startedAt, lost.finishedAt, lost.message
                    )), logger: logger)
            }
            if lease.makesOutcomeUnknown {
                try await connection.query("UPDATE job_external_submissions SET outcome_unknown = true WHERE id = \(lease.id)", logger: logger)
            }
        }
        var updateBindings = PostgresBindings()
        updateBindings.append(owner)
        updateBindings.append(leaseUntil)
        updateBindings.append(now)
        updateBindings.append(ids)
        return try await connection.query(PostgresQuery(unsafeSQL: """
            UPDATE \(table)
            SET status = 'in_flight', lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1, updated_at = $3
            WHERE id = ANY($4)
            RETURNING *
            """, binds: updateBindings), logger: logger).collect(table: table) { row in
            (id: try row.required("id", as: Int64.self), value: try decode(row))
        }
        .sorted { $0.id < $1.id }
        .map(\.value)
    }

    /// Values bound as `$1…$n`, in order; `nil` binds NULL.
    static func bindings(_ values: (any PostgresThrowingDynamicTypeEncodable)?...) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values {
            if let value {
                try bindings.append(value)
            } else {
                bindings.appendNull()
            }
        }
        return bindings
    }
}

// MARK: - Settling

extension PostgresStore {
    /// An outbox row as a settlement needs it: the row, and the job's version and status now.
    private struct SettlementRow {
        var context: SettlementContext
        var outcomeUnknown: Bool
        var enqueuedAt: Date
    }

    /// The rows being settled, locked for the rest of the transaction; a row that no longer exists is missing.
    private func fetchSettlementRows(_ ids: [Int64], connection: PostgresConnection) async throws -> [Int64: SettlementRow] {
        let rows = try await connection.query("""
            SELECT s.*, j.version AS current_job_version, j.status AS current_job_status
            FROM job_external_submissions AS s
            JOIN jobs AS j ON j.organisation_id = s.organisation_id AND j.id = s.job_id
            WHERE s.id = ANY(\(ids))
            ORDER BY s.id
            FOR UPDATE OF s
            """, logger: logger).collect(table: "job_external_submissions") { row in
            SettlementRow(
                context: SettlementContext(
                    row: try OutboxEntry(postgres: row),
                    currentJobVersion: try row.required("current_job_version"),
                    currentJobStatus: try row.enumValue("current_job_status")
                ),
                outcomeUnknown: try row.required("outcome_unknown"),
                enqueuedAt: try row.required("enqueued_at")
            )
        }
        return Dictionary(rows.map { ($0.context.row.id, $0) }) { first, _ in first }
    }

    private func settle(_ record: DeliveryRecord, stored: SettlementRow?, connection: PostgresConnection) async throws -> Settlement.Result {
        guard let stored else { return .leaseLost }
        let entry = stored.context.row
        let result = Settlement.settle(record, context: stored.context, previousOutcomeUnknown: stored.outcomeUnknown, enqueuedAt: stored.enqueuedAt)
        try await insertAttempt(
            of: .submission(record.entryID), organisationID: record.organisationID, attempt: record.attempt, operation: record.operation,
            worker: record.leaseOwner, startedAt: record.startedAt, finishedAt: record.finishedAt, outcome: record.outcome,
            leaseLost: result == .leaseLost, requestHash: record.requestHash, connection: connection
        )
        guard case .settled(let settled) = result else { return result }
        let receipt = record.outcome.receipt
        try await connection.query("""
            UPDATE job_external_submissions
            SET status = \(settled.status.rawValue), operation = \(settled.operation.rawValue), attempts = \(settled.attempts),
                next_attempt_at = \(settled.nextAttemptAt), lease_owner = NULL, lease_expires_at = NULL,
                external_id = \(settled.externalID), sent_job_version = \(settled.sentJobVersion),
                last_error_kind = \(settled.lastErrorKind?.rawValue), last_error_message = \(settled.lastErrorMessage),
                outcome_unknown = \(settled.outcomeUnknown), enqueued_at = \(settled.enqueuedAt), sent_at = \(settled.sentAt),
                response_data = coalesce(to_jsonb(\(settled.responseData)::text), response_data), updated_at = \(record.finishedAt),
                sent_fields_digest = CASE WHEN \(receipt != nil) THEN \(receipt?.comparedFieldsDigest) ELSE sent_fields_digest END
            WHERE id = \(record.entryID)
            """, logger: logger)
        // What the target holds now, whether the attempt finished or got part of the way.
        let (jobID, learned): (String?, RemoteReferences) = switch record.outcome {
        case .delivered(let receipt): (receipt.externalID, receipt.learnedReferences)
        case .retry(_, let error), .failed(_, let error): (error.progress?.externalID, error.progress?.learnedReferences ?? RemoteReferences())
        }
        let link = { (kind: String, localID: String, remoteID: String) in
            try await self.link(kind, localID: localID, remoteID: remoteID, organisationID: entry.organisationID, target: entry.target, now: record.finishedAt, connection: connection)
        }
        if let jobID { try await link("job", entry.jobID.rawValue, jobID) }
        for (company, remoteID) in learned.companies { try await link("company", company.rawValue, remoteID) }
        for (person, remoteID) in learned.people { try await link("person", person.rawValue, remoteID) }
        let job = try await Settlement.notifications(after: record) { () async throws -> (decisionMakers: [Person], alreadyNotified: Set<PersonID>) in
            guard let job = try await fetchJob(entry.organisationID, entry.jobID, connection: connection)?.job else { return ([], []) }
            return (try await fetchContacts(of: job, label: .decisionMaker, connection: connection), try await notifiedPeople(job, type: .jobSubmitted, connection: connection))
        }
        if !job.isEmpty, let stored = try await fetchJob(entry.organisationID, entry.jobID, connection: connection)?.job {
            for draft in job { try await insert(draft, job: stored, now: record.finishedAt, connection: connection) }
        }
        return result
    }

    private func settle(_ record: NotificationRecord, connection: PostgresConnection) async throws -> Bool {
        let table = "decision_maker_notifications"
        let stored = try await connection.query(
            "SELECT status, lease_owner, attempts FROM decision_maker_notifications WHERE id = \(record.notificationID) FOR UPDATE", logger: logger
        ).first(table: table) { row in
            (status: try row.enumValue("status", as: NotificationStatus.self), leaseOwner: try row.optional("lease_owner", as: String.self),
             attempts: try row.optional("attempts", as: Int.self))
        }
        guard let stored else { return false }
        let held = stored.status == .inFlight && stored.leaseOwner == record.leaseOwner && stored.attempts == record.attempt
        try await insertAttempt(
            of: .notification(record.notificationID), organisationID: record.organisationID, attempt: record.attempt, operation: nil,
            worker: record.leaseOwner, startedAt: record.startedAt, finishedAt: record.finishedAt, outcome: record.outcome,
            leaseLost: !held, requestHash: nil, connection: connection
        )
        guard held else { return false }
        let (newStatus, nextAttempt, errorKind, error, externalID, sentAt): (NotificationStatus, Date?, ErrorKind?, String?, String?, Date?) =
            switch record.outcome {
            case .delivered(let receipt): (.sent, nil, nil, nil, receipt.externalID, record.finishedAt)
            case let .retry(at, error): (.pending, at, error.kind, error.message, nil, nil)
            case let .failed(reason, error): (.failed, nil, error.kind, reason, nil, nil)
            }
        try await connection.query("""
            UPDATE decision_maker_notifications
            SET status = \(newStatus.rawValue), next_attempt_at = \(nextAttempt), lease_owner = NULL, lease_expires_at = NULL,
                error_kind = \(errorKind?.rawValue), error = \(error), external_id = coalesce(\(externalID), external_id),
                sent_at = coalesce(\(sentAt), sent_at), updated_at = \(record.finishedAt)
            WHERE id = \(record.notificationID)
            """, logger: logger)
        return true
    }

    /// Which row an attempt record belongs to.
    private enum AttemptSubject {
        case submission(Int64)
        case notification(Int64)
    }

    private func insertAttempt(
        of subject: AttemptSubject, organisationID: OrganisationID, attempt: Int, operation: SubmissionOperation?,
        worker: String, startedAt: Date, finishedAt: Date, outcome: AttemptOutcome, leaseLost: Bool, requestHash: String?,
        connection: PostgresConnection
    ) async throws {
        let entry = AttemptHistoryEntry.recording(
            outcome, attempt: attempt, operation: operation, worker: worker, startedAt: startedAt, finishedAt: finishedAt,
            leaseLost: leaseLost, requestHash: requestHash
        )
        let (submissionID, notificationID): (Int64?, Int64?) = switch subject {
        case .submission(let id): (id, nil)
        case .notification(let id): (nil, id)
        }
        try await connection.query("""
            INSERT INTO submission_attempts
                (organisation_id, submission_id, notification_id, attempt_number, operation, worker, started_at, finished_at, outcome,
                 http_status, error_kind, message, duration_ms, request_hash)
            VALUES (\(organisationID.rawValue), \(submissionID), \(notificationID), \(entry.attemptNumber), \(entry.operation?.rawValue),
                \(entry.worker), \(startedAt), \(finishedAt), \(entry.outcome), \(entry.httpStatus), \(entry.errorKind?.rawValue),
                \(entry.message), \(entry.durationMilliseconds.map(Int64.init)), \(entry.requestHash))
            """, logger: logger)
    }
}

// MARK: - Target health

extension PostgresStore {
    func health(of target: TargetName, locked: Bool, connection: PostgresConnection) async throws -> TargetHealth {
        let lock = locked ? " FOR UPDATE" : ""
        var bindings = PostgresBindings()
        bindings.append(target.rawValue)
        return try await connection.query(PostgresQuery(unsafeSQL: "SELECT * FROM target_states WHERE target = $1\(lock)", binds: bindings), logger: logger)
            .first(table: "target_states", TargetHealth.init(postgres:)) ?? TargetHealth()
    }

    /// Records what finished attempts' requests said about their targets: each target's row is
    /// read under a lock (in name order, so two nodes never wait on each other in a cycle), updated
    /// and written back once.
    func recordHealth(
        of attempts: [(target: TargetName, requests: RequestTally, startedAt: Date, finishedAt: Date, settings: CircuitBreakerSettings)],
        connection: PostgresConnection
    ) async throws {
        guard !attempts.isEmpty else { return }
        var current: [TargetName: TargetHealth] = [:]
        for target in Set(attempts.map(\.target)).sorted() {
            current[target] = try await health(of: target, locked: true, connection: connection)
        }
        var updates = TargetHealthUpdates()
        for attempt in attempts {
            updates.record(attempt.requests, startedAt: attempt.startedAt, of: attempt.target, at: attempt.finishedAt, settings: attempt.settings) { target in
                current[target] ?? TargetHealth()
            }
        }
        guard let lastChange = updates.lastChange else { return }
        for (target, state) in updates.states.sorted(by: { $0.key < $1.key }) {
            try await save(state, of: target, now: lastChange, connection: connection)
        }
        for entry in updates.auditEntries {
            try await insert(entry, connection: connection)
        }
    }

    func save(_ health: TargetHealth, of target: TargetName, now: Date, connection: PostgresConnection) async throws {
        let (circuit, until): (String, Date?) = switch health.circuit {
        case .closed: ("closed", nil)
        case .open(let until): ("open", until)
        case .halfOpen(let until): ("half_open", until)
        }
        try await connection.query("""
            INSERT INTO target_states
                (target, circuit, circuit_until, consecutive_failures, paused_until, request_window, openings, probe_successes,
                 probing_since, updated_at)
            VALUES (\(target.rawValue), \(circuit), \(until), \(health.consecutiveFailures), \(health.pausedUntil), \(health.window.storedText),
                \(health.openings), \(health.probeSuccesses), \(health.probingSince), \(now))
            ON CONFLICT (target) DO UPDATE SET circuit = excluded.circuit, circuit_until = excluded.circuit_until,
                consecutive_failures = excluded.consecutive_failures, paused_until = excluded.paused_until,
                request_window = excluded.request_window, openings = excluded.openings, probe_successes = excluded.probe_successes,
                probing_since = excluded.probing_since, updated_at = excluded.updated_at
            """, logger: logger)
    }
}
