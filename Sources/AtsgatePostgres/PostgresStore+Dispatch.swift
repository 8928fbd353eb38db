public import AtsgateCore
public import Foundation
import PostgresNIO

extension PostgresStore: DispatchStore {
    public func claim(_ request: ClaimRequest) async throws -> ClaimBatch {
        // The jobs are read in the claim's transaction: a job that cannot be read rolls the lease
        // back instead of leaving the row in flight until it lapses.
        try await write { connection in
            var leased: [(entry: OutboxEntry, outcomeUnknown: Bool, enqueuedAt: Date, lane: DeliveryLane)] = []
            var healthSeen: [DeliveryLane: TargetHealth] = [:]
            for (lane, wanted) in request.limits.sorted(by: { $0.key < $1.key }) {
                var health = try await claimableHealth(of: lane, connection: connection)
                healthSeen[lane] = health
                let limit = health.claimLimit(wanted: wanted, now: request.now)
                guard limit > 0 else { continue }
                let leaseUntil = request.now.adding(request.leaseDurations[lane.target] ?? .seconds(60))
                let rows = try await claimRows(
                    .submissions(lane, ownConnections: request.ownConnections[lane.target] ?? []), limit: limit, owner: request.owner, now: request.now,
                    leaseUntil: leaseUntil, running: request.running, connection: connection
                ) { row in
                    (entry: try OutboxEntry(postgres: row), outcomeUnknown: try row.required("outcome_unknown", as: Bool.self),
                     enqueuedAt: try row.required("enqueued_at", as: Date.self), lane: lane)
                }
                guard !rows.isEmpty else { continue }
                let before = health
                health.recordClaim(now: request.now, probeDeadline: leaseUntil)
                if health != before { try await save(health, of: lane, now: request.now, connection: connection) }
                healthSeen[lane] = health
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
                    entry: lease.entry, snapshot: snapshot, outcomeUnknown: lease.outcomeUnknown, enqueuedAt: lease.enqueuedAt, references: references,
                    lane: lease.lane
                ))
            }
            return ClaimBatch(submissions: submissions, health: healthSeen)
        }
    }

    public func settle(_ records: [DeliveryRecord]) async throws -> [Settlement.Result] {
        try await write { connection in
            let ids = records.map(\.entryID)
            let stored = try await fetchSettlementRows(ids, connection: connection)
            let results = if Set(ids).count == ids.count {
                try await settleTogether(records, stored: stored, connection: connection)
            } else {
                // A second record for the same row must see what the first one wrote: one by one.
                try await settleOneByOne(records, stored: stored, connection: connection)
            }
            // Last, so the targets' rows are locked only for the end of the transaction. A lost
            // lease changes nothing of its row, but its requests still say how the target is.
            try await recordHealth(of: records.map { ($0.lane, $0.requests, $0.startedAt, $0.finishedAt, $0.circuitBreaker) }, connection: connection)
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
            try await recordHealth(of: records.map { (DeliveryLane($0.target), $0.requests, $0.startedAt, $0.finishedAt, $0.circuitBreaker) }, connection: connection)
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

    public func targetHealth() async throws -> [DeliveryLane: TargetHealth] {
        try await read { connection in
            let defaults = try await connection.query("SELECT * FROM target_states", logger: logger).collect(table: "target_states") { row in
                (DeliveryLane(try row.targetName("target")), try TargetHealth(postgres: row))
            }
            let own = try await connection.query("SELECT * FROM connection_states", logger: logger).collect(table: "connection_states") { row in
                (DeliveryLane(try row.targetName("target"), connectionOf: OrganisationID(try row.required("organisation_id"))), try TargetHealth(postgres: row))
            }
            return Dictionary(defaults + own) { _, last in last }
        }
    }
}

// MARK: - Claiming

extension PostgresStore {
    /// What a claim leases from: the outbox rows of one target, or the notifications.
    enum ClaimScope {
        /// A lane's rows: its organisation's for an own connection; for the default one, those of
        /// every organisation not in `ownConnections`.
        case submissions(DeliveryLane, ownConnections: Set<OrganisationID>)
        case notifications

        var table: String {
            switch self {
            case .submissions: "job_external_submissions"
            case .notifications: "decision_maker_notifications"
            }
        }

        /// The scope's condition: the target bound as `$1` (notifications have no target: `$1` is
        /// NULL, so the other placeholders keep their numbers), organisations as the `last`-th.
        func filter(organisationsAt last: Int) -> (sql: String, target: String?, organisations: [String]) {
            switch self {
            case .submissions(let lane, let own):
                if let organisation = lane.organisationID {
                    (" AND external_system = $1 AND organisation_id = ANY($\(last))", lane.target.rawValue, [organisation.rawValue])
                } else {
                    (" AND external_system = $1 AND NOT (organisation_id = ANY($\(last)))", lane.target.rawValue, own.map(\.rawValue).sorted())
                }
            case .notifications: (" AND $1::text IS NULL AND $\(last)::text[] IS NOT NULL", nil, [])
            }
        }
    }

    /// A target's health as a claim needs it. A closed circuit is read without a lock, so claims
    /// of a healthy target never queue on its row; an open or half-open one is locked, so only one
    /// node sends the half-open probe.
    private func claimableHealth(of lane: DeliveryLane, connection: PostgresConnection) async throws -> TargetHealth {
        let health = try await self.health(of: lane, locked: false, connection: connection)
        guard health.circuit != .closed else { return health }
        return try await self.health(of: lane, locked: true, connection: connection)
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
        let (filter, target, organisations) = scope.filter(organisationsAt: 5)
        var lapsedBindings = PostgresBindings()
        lapsedBindings.append(target)
        lapsedBindings.append(running.sorted())
        lapsedBindings.append(now)
        lapsedBindings.append(limit)
        lapsedBindings.append(organisations)
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
        let dueFilter = scope.filter(organisationsAt: 4).sql
        var dueBindings = PostgresBindings()
        dueBindings.append(target)
        dueBindings.append(now)
        dueBindings.append(limit - lapsed.count)
        dueBindings.append(organisations)
        let due = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT id FROM \(table) WHERE status = 'pending'\(dueFilter) AND next_attempt_at <= $2
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

    /// Settles records of distinct rows with a fixed number of statements, whatever their count:
    /// every attempt in one insert, every row in one update, every link in one upsert.
    private func settleTogether(
        _ records: [DeliveryRecord], stored: [Int64: SettlementRow], connection: PostgresConnection
    ) async throws -> [Settlement.Result] {
        var batch = SettlementBatch()
        let results = records.map { record in batch.add(record, stored: stored[record.entryID]) }
        try await insertAttempts(batch.attempts, connection: connection)
        try await update(batch.settledRows, connection: connection)
        try await link(batch.links, connection: connection)
        for (record, entry) in batch.notifying {
            try await queueNotifications(after: record, entry: entry, connection: connection)
        }
        return results
    }

    private func settleOneByOne(
        _ records: [DeliveryRecord], stored: [Int64: SettlementRow], connection: PostgresConnection
    ) async throws -> [Settlement.Result] {
        var stored = stored
        var results: [Settlement.Result] = []
        for record in records {
            var row = stored.removeValue(forKey: record.entryID)
            if row == nil { row = try await fetchSettlementRows([record.entryID], connection: connection)[record.entryID] }
            let single = [record.entryID: row].compactMapValues { $0 }
            results += try await settleTogether([record], stored: single, connection: connection)
        }
        return results
    }

    /// What a settlement writes, gathered for all its records before any is written.
    private struct SettlementBatch {
        var attempts: [AttemptHistoryEntry.Row] = []
        var settledRows: [(record: DeliveryRecord, settled: SettledRow)] = []
        var links = RemoteLinks()
        var notifying: [(DeliveryRecord, OutboxEntry)] = []

        mutating func add(_ record: DeliveryRecord, stored: SettlementRow?) -> Settlement.Result {
            guard let stored else {
                attempts.append(.submission(record, leaseLost: true))
                return .leaseLost
            }
            let entry = stored.context.row
            let result = Settlement.settle(record, context: stored.context, previousOutcomeUnknown: stored.outcomeUnknown, enqueuedAt: stored.enqueuedAt)
            attempts.append(.submission(record, leaseLost: result == .leaseLost))
            guard case .settled(let settled) = result else { return result }
            settledRows.append((record, settled))
            // What the target holds now, whether the attempt finished or got part of the way.
            let (jobID, learned): (String?, RemoteReferences) = switch record.outcome {
            case .delivered(let receipt): (receipt.externalID, receipt.learnedReferences)
            case .retry(_, let error), .failed(_, let error): (error.progress?.externalID, error.progress?.learnedReferences ?? RemoteReferences())
            }
            var learnedLinks: [(kind: String, localID: String, remoteID: String)] = jobID.map { [("job", entry.jobID.rawValue, $0)] } ?? []
            learnedLinks += learned.companies.sorted { $0.key < $1.key }.map { ("company", $0.key.rawValue, $0.value) }
            learnedLinks += learned.people.sorted { $0.key < $1.key }.map { ("person", $0.key.rawValue, $0.value) }
            for (kind, localID, remoteID) in learnedLinks {
                links.add(RemoteLinks.Link(
                    organisationID: entry.organisationID, kind: kind, localID: localID, target: entry.target, remoteID: remoteID, at: record.finishedAt
                ))
            }
            if Settlement.queuesNotifications(after: record) { notifying.append((record, entry)) }
            return result
        }
    }

    /// `job_submitted` for the decision makers of a job a create delivered, when its target says so.
    private func queueNotifications(after record: DeliveryRecord, entry: OutboxEntry, connection: PostgresConnection) async throws {
        let job = try await fetchJob(entry.organisationID, entry.jobID, connection: connection)?.job
        let drafts = try await Settlement.notifications(after: record) { () async throws -> (decisionMakers: [Person], alreadyNotified: Set<PersonID>) in
            guard let job else { return ([], []) }
            return (try await fetchContacts(of: job, label: .decisionMaker, connection: connection), try await notifiedPeople(job, type: .jobSubmitted, connection: connection))
        }
        guard let job else { return }
        for draft in drafts { try await insert(draft, job: job, now: record.finishedAt, connection: connection) }
    }

    private func update(_ rows: [(record: DeliveryRecord, settled: SettledRow)], connection: PostgresConnection) async throws {
        guard !rows.isEmpty else { return }
        let settled = rows.map(\.settled)
        let receipts = rows.map(\.record.outcome.receipt)
        try await connection.query("""
            UPDATE job_external_submissions AS s
            SET status = u.status, operation = u.operation, attempts = u.attempts, next_attempt_at = u.next_attempt_at,
                lease_owner = NULL, lease_expires_at = NULL, external_id = u.external_id, sent_job_version = u.sent_job_version,
                last_error_kind = u.last_error_kind, last_error_message = u.last_error_message, outcome_unknown = u.outcome_unknown,
                enqueued_at = u.enqueued_at, sent_at = u.sent_at, response_data = coalesce(to_jsonb(u.response_data), s.response_data),
                updated_at = u.finished_at, sent_fields_digest = CASE WHEN u.has_receipt THEN u.digest ELSE s.sent_fields_digest END
            FROM unnest(
                \(rows.map(\.record.entryID)), \(settled.map(\.status.rawValue)), \(settled.map(\.operation.rawValue)), \(settled.map(\.attempts)),
                \(NullableArray(settled.map(\.nextAttemptAt)))::timestamptz[], \(NullableArray(settled.map(\.externalID)))::text[],
                \(NullableArray(settled.map(\.sentJobVersion)))::bigint[], \(NullableArray(settled.map(\.lastErrorKind?.rawValue)))::text[],
                \(NullableArray(settled.map(\.lastErrorMessage)))::text[], \(settled.map(\.outcomeUnknown)), \(settled.map(\.enqueuedAt)),
                \(NullableArray(settled.map(\.sentAt)))::timestamptz[], \(NullableArray(settled.map(\.responseData)))::text[],
                \(rows.map(\.record.finishedAt)), \(receipts.map { $0 != nil }), \(NullableArray(receipts.map { $0?.comparedFieldsDigest }))::text[]
            ) AS u(id, status, operation, attempts, next_attempt_at, external_id, sent_job_version, last_error_kind, last_error_message,
                   outcome_unknown, enqueued_at, sent_at, response_data, finished_at, has_receipt, digest)
            WHERE s.id = u.id
            """, logger: logger)
    }

    /// Records which remote records are ours, in the transaction that settles the attempts. If
    /// another local entity already claims a remote id, that link is left out (reconciliation
    /// reports the duplicate); an outbox row still records the id it was given.
    func link(_ links: RemoteLinks, connection: PostgresConnection) async throws {
        let all = links.inOrder
        guard !all.isEmpty else { return }
        try await connection.query("""
            INSERT INTO external_refs (organisation_id, entity_kind, local_id, target, remote_id, created_at, updated_at)
            SELECT l.organisation_id, l.kind, l.local_id, l.target, l.remote_id, l.at, l.at
            FROM unnest(\(all.map(\.organisationID.rawValue)), \(all.map(\.kind)), \(all.map(\.localID)), \(all.map(\.target.rawValue)),
                        \(all.map(\.remoteID)), \(all.map(\.at))) AS l(organisation_id, kind, local_id, target, remote_id, at)
            WHERE NOT EXISTS (
                SELECT 1 FROM external_refs AS e
                WHERE e.organisation_id = l.organisation_id AND e.target = l.target AND e.entity_kind = l.kind
                  AND e.remote_id = l.remote_id AND e.local_id <> l.local_id)
            ON CONFLICT (organisation_id, entity_kind, local_id, target) DO UPDATE SET remote_id = excluded.remote_id, updated_at = excluded.updated_at
            """, logger: logger)
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
        try await insertAttempts([.notification(record, leaseLost: !held)], connection: connection)
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

    /// Attempt records in one statement, in order.
    private func insertAttempts(_ rows: [AttemptHistoryEntry.Row], connection: PostgresConnection) async throws {
        guard !rows.isEmpty else { return }
        let entries = rows.map(\.entry)
        try await connection.query("""
            INSERT INTO submission_attempts
                (organisation_id, submission_id, notification_id, attempt_number, operation, worker, started_at, finished_at, outcome,
                 http_status, error_kind, message, duration_ms, request_hash)
            SELECT organisation_id, submission_id, notification_id, attempt_number, operation, worker, started_at, finished_at, outcome,
                   http_status, error_kind, message, duration_ms, request_hash
            FROM unnest(
                \(rows.map(\.organisationID.rawValue)), \(NullableArray(rows.map(\.submissionID)))::bigint[],
                \(NullableArray(rows.map(\.notificationID)))::bigint[], \(entries.map(\.attemptNumber)),
                \(NullableArray(entries.map(\.operation?.rawValue)))::text[], \(entries.map(\.worker)), \(rows.map(\.startedAt)),
                \(rows.map(\.finishedAt)), \(NullableArray(entries.map(\.outcome)))::text[], \(NullableArray(entries.map(\.httpStatus)))::bigint[],
                \(NullableArray(entries.map(\.errorKind?.rawValue)))::text[], \(NullableArray(entries.map(\.message)))::text[],
                \(NullableArray(entries.map { $0.durationMilliseconds.map(Int64.init) }))::bigint[], \(NullableArray(entries.map(\.requestHash)))::text[]
            ) WITH ORDINALITY AS a(organisation_id, submission_id, notification_id, attempt_number, operation, worker, started_at, finished_at,
                                   outcome, http_status, error_kind, message, duration_ms, request_hash, position)
            ORDER BY position
            """, logger: logger)
    }
}

/// The remote records a settlement links, in the order the attempts learned them; a later link
/// of the same local entity replaces an earlier one, and a remote record already linked to
/// another local entity in the same batch is left out — as the links would come out one by one.
struct RemoteLinks {
    struct Link {
        var organisationID: OrganisationID
        var kind: String
        var localID: String
        var target: TargetName
        var remoteID: String
        var at: Date

        var localKey: [String] { [organisationID.rawValue, kind, localID, target.rawValue] }
        var remoteKey: [String] { [organisationID.rawValue, target.rawValue, kind, remoteID] }
    }

    private var links: [Link] = []
    private var positionByLocal: [[String]: Int] = [:]
    private var localByRemote: [[String]: String] = [:]

    mutating func add(_ link: Link) {
        if let holder = localByRemote[link.remoteKey], holder != link.localID { return }
        if let position = positionByLocal[link.localKey] {
            localByRemote[links[position].remoteKey] = nil
            links[position] = link
        } else {
            positionByLocal[link.localKey] = links.count
            links.append(link)
        }
        localByRemote[link.remoteKey] = link.localID
    }

    var inOrder: [Link] { links }
}

extension AttemptHistoryEntry {
    /// An attempt record with the columns the history entry does not carry.
    struct Row {
        var organisationID: OrganisationID
        var submissionID: Int64?
        var notificationID: Int64?
        var startedAt: Date
        var finishedAt: Date
        var entry: AttemptHistoryEntry

        static func submission(_ record: DeliveryRecord, leaseLost: Bool) -> Row {
            Row(
                organisationID: record.organisationID, submissionID: record.entryID, notificationID: nil,
                startedAt: record.startedAt, finishedAt: record.finishedAt,
                entry: .recording(
                    record.outcome, attempt: record.attempt, operation: record.operation, worker: record.leaseOwner,
                    startedAt: record.startedAt, finishedAt: record.finishedAt, leaseLost: leaseLost, requestHash: record.requestHash
                )
            )
        }

        static func notification(_ record: NotificationRecord, leaseLost: Bool) -> Row {
            Row(
                organisationID: record.organisationID, submissionID: nil, notificationID: record.notificationID,
                startedAt: record.startedAt, finishedAt: record.finishedAt,
                entry: .recording(
                    record.outcome, attempt: record.attempt, operation: nil, worker: record.leaseOwner,
                    startedAt: record.startedAt, finishedAt: record.finishedAt, leaseLost: leaseLost, requestHash: nil
                )
            )
        }
    }
}

// MARK: - Target health

extension PostgresStore {
    /// A lane's state: `target_states` for a target's default connection, `connection_states` for an organisation's own.
    func health(of lane: DeliveryLane, locked: Bool, connection: PostgresConnection) async throws -> TargetHealth {
        let lock = locked ? " FOR UPDATE" : ""
        var bindings = PostgresBindings()
        bindings.append(lane.target.rawValue)
        let table = lane.organisationID == nil ? "target_states" : "connection_states"
        var sql = "SELECT * FROM \(table) WHERE target = $1"
        if let organisation = lane.organisationID {
            bindings.append(organisation.rawValue)
            sql += " AND organisation_id = $2"
        }
        return try await connection.query(PostgresQuery(unsafeSQL: sql + lock, binds: bindings), logger: logger)
            .first(table: table, TargetHealth.init(postgres:)) ?? TargetHealth()
    }

    /// Records what finished attempts' requests said about their targets: each target's row is
    /// read under a lock (in name order, so two nodes never wait on each other in a cycle), updated
    /// and written back once.
    func recordHealth(
        of attempts: [(lane: DeliveryLane, requests: RequestTally, startedAt: Date, finishedAt: Date, settings: CircuitBreakerSettings)],
        connection: PostgresConnection
    ) async throws {
        guard !attempts.isEmpty else { return }
        var current: [DeliveryLane: TargetHealth] = [:]
        for lane in Set(attempts.map(\.lane)).sorted() {
            current[lane] = try await health(of: lane, locked: true, connection: connection)
        }
        var updates = TargetHealthUpdates()
        for attempt in attempts {
            updates.record(attempt.requests, startedAt: attempt.startedAt, of: attempt.lane, at: attempt.finishedAt, settings: attempt.settings) { lane in
                current[lane] ?? TargetHealth()
            }
        }
        guard let lastChange = updates.lastChange else { return }
        for (lane, state) in updates.states.sorted(by: { $0.key < $1.key }) {
            try await save(state, of: lane, now: lastChange, connection: connection)
        }
        for entry in updates.auditEntries {
            try await insert(entry, connection: connection)
        }
    }

    func save(_ health: TargetHealth, of lane: DeliveryLane, now: Date, connection: PostgresConnection) async throws {
        let (circuit, until): (String, Date?) = switch health.circuit {
        case .closed: ("closed", nil)
        case .open(let until): ("open", until)
        case .halfOpen(let until): ("half_open", until)
        }
        let target = lane.target
        if let organisation = lane.organisationID {
            try await connection.query("""
                INSERT INTO connection_states
                    (organisation_id, target, circuit, circuit_until, consecutive_failures, paused_until, request_window, openings, probe_successes,
                     probing_since, updated_at)
                VALUES (\(organisation.rawValue), \(target.rawValue), \(circuit), \(until), \(health.consecutiveFailures), \(health.pausedUntil),
                    \(health.window.storedText), \(health.openings), \(health.probeSuccesses), \(health.probingSince), \(now))
                ON CONFLICT (organisation_id, target) DO UPDATE SET circuit = excluded.circuit, circuit_until = excluded.circuit_until,
                    consecutive_failures = excluded.consecutive_failures, paused_until = excluded.paused_until,
                    request_window = excluded.request_window, openings = excluded.openings, probe_successes = excluded.probe_successes,
                    probing_since = excluded.probing_since, updated_at = excluded.updated_at
                """, logger: logger)
            return
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
