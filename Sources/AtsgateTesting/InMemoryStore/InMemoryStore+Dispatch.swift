public import AtsgateCore
public import Foundation

extension InMemoryStore: DispatchStore {
    public func claim(_ request: ClaimRequest) async throws -> ClaimBatch {
        try write { state in try state.claim(request) }
    }

    public func settle(_ records: [DeliveryRecord]) async throws -> [Settlement.Result] {
        try write { state in try state.settle(records) }
    }

    public func releaseUnattempted(_ leases: [UnattemptedLease], now: Date) async throws -> Int {
        guard !leases.isEmpty else { return 0 }
        return try write(ringingWorkersIf: { $0 > 0 }) { state in state.releaseUnattempted(leases, now: now) }
    }

    public func claimNotifications(owner: String, now: Date, limit: Int, leaseDuration: Duration, running: Set<Int64>) async throws -> [ClaimedNotification] {
        try write { state in
            try state.claimNotifications(owner: owner, now: now, limit: limit, leaseDuration: leaseDuration, running: running)
        }
    }

    public func settleNotifications(_ records: [NotificationRecord]) async throws -> [Bool] {
        try write { state in try state.settleNotifications(records) }
    }

    public func nextDueDate(targets: [TargetName], includeNotifications: Bool) async throws -> Date? {
        try read { state in
            let wanted = Set(targets)
            var candidates: [Date?] = []
            for row in state.submissions.values where wanted.contains(row.entry.target) {
                candidates.append(row.isPending ? row.entry.nextAttemptAt : nil)
                candidates.append(row.isInFlight ? row.entry.leaseExpiresAt : nil)
            }
            if includeNotifications {
                for row in state.notifications.values {
                    candidates.append(row.isPending ? row.nextAttemptAt : nil)
                    candidates.append(row.isInFlight ? row.leaseExpiresAt : nil)
                }
            }
            return candidates.compactMap { $0 }.min()
        }
    }

    public func hasDueOrInFlightWork(now: Date, targets: [TargetName], includeNotifications: Bool) async throws -> Bool {
        let now = now.atStoragePrecision
        return try read { state in
            let wanted = Set(targets)
            func isWork(_ row: some LeasedRow) -> Bool {
                row.isInFlight || (row.isPending && (row.nextAttemptAt.map { $0 <= now } ?? false))
            }
            return state.submissions.values.contains { wanted.contains($0.entry.target) && isWork($0) }
                || (includeNotifications && state.notifications.values.contains { isWork($0) })
        }
    }

    public func targetHealth() async throws -> [DeliveryLane: TargetHealth] {
        try read { state in state.targetStates.mapValues(\.health) }
    }
}

/// Mirrors SQLiteStore+Dispatch.swift.
extension InMemoryState {
    mutating func claim(_ request: ClaimRequest) throws -> ClaimBatch {
        var leased: [SubmissionRow] = []
        var healthSeen: [DeliveryLane: TargetHealth] = [:]
        var lanes: [Int64: DeliveryLane] = [:]
        for (lane, wanted) in request.limits.sorted(by: { $0.key < $1.key }) {
            var health = health(of: lane)
            healthSeen[lane] = health
            let limit = health.claimLimit(wanted: wanted, now: request.now)
            guard limit > 0 else { continue }
            let leaseUntil = request.now.adding(request.leaseDurations[lane.target] ?? .seconds(60))
            let rows = claimRows(
                \.submissions,
                where: { DeliveryLane.of($0.entry.organisationID, to: $0.entry.target, ownConnections: request.ownConnections) == lane },
                limit: limit, owner: request.owner, now: request.now, leaseUntil: leaseUntil, running: request.running
            )
            guard !rows.isEmpty else { continue }
            let before = health
            health.recordClaim(now: request.now, probeDeadline: leaseUntil)
            if health != before { save(health, of: lane, now: request.now) }
            healthSeen[lane] = health
            leased += rows
            for row in rows { lanes[row.entry.id] = lane }
        }
        let submissions = try leased.map { row in
            let entry = row.entry
            guard let snapshot = snapshot(entry.organisationID, entry.jobID) else {
                throw StoreError(.corruptRow, "outbox row \(entry.id) points at a job that does not exist")
            }
            return ClaimedSubmission(
                entry: entry, snapshot: snapshot, outcomeUnknown: row.outcomeUnknown, enqueuedAt: row.enqueuedAt,
                references: request.referencesWanted.contains(entry.target)
                    ? references(of: snapshot.company.id, at: entry.target, organisationID: entry.organisationID)
                    : RemoteReferences(),
                lane: lanes[entry.id]
            )
        }
        return ClaimBatch(submissions: submissions, health: healthSeen)
    }

    mutating func settle(_ records: [DeliveryRecord]) throws -> [Settlement.Result] {
        var health = TargetHealthUpdates()
        let results = records.map { record in
            let result = settle(record)
            // A lost lease changes nothing of the row, but its requests still say how the target is.
            health.record(record.requests, startedAt: record.startedAt, of: record.lane, at: record.finishedAt, settings: record.circuitBreaker) { lane in
                self.health(of: lane)
            }
            return result
        }
        try save(health)
        return results
    }

    /// One record: a row (or its job) that no longer exists is a lost lease, with nothing on record.
    private mutating func settle(_ record: DeliveryRecord) -> Settlement.Result {
        guard let stored = submissions[record.entryID], let job = job(stored.entry.organisationID, stored.entry.jobID) else { return .leaseLost }
        let entry = stored.entry
        let result = Settlement.settle(
            record,
            context: SettlementContext(row: entry, currentJobVersion: job.version, currentJobStatus: job.job.status),
            previousOutcomeUnknown: stored.outcomeUnknown, enqueuedAt: stored.enqueuedAt
        )
        insertAttempt(
            .submission(record.entryID), organisationID: record.organisationID, attempt: record.attempt, operation: record.operation,
            worker: record.leaseOwner, startedAt: record.startedAt, finishedAt: record.finishedAt, outcome: record.outcome,
            leaseLost: result == .leaseLost, requestHash: record.requestHash
        )
        guard case .settled(let settled) = result else { return result }
        updateSubmission(record.entryID) { row in
            row.entry.status = settled.status
            row.entry.operation = settled.operation
            row.entry.attempts = settled.attempts
            row.entry.nextAttemptAt = settled.nextAttemptAt.atStoragePrecision
            row.entry.leaseOwner = nil
            row.entry.leaseExpiresAt = nil
            row.entry.externalID = settled.externalID
            row.entry.sentJobVersion = settled.sentJobVersion
            row.entry.lastErrorKind = settled.lastErrorKind
            row.entry.lastErrorMessage = settled.lastErrorMessage
            row.outcomeUnknown = settled.outcomeUnknown
            row.enqueuedAt = settled.enqueuedAt.atStoragePrecision
            row.entry.sentAt = settled.sentAt.atStoragePrecision
            row.responseData = settled.responseData ?? row.responseData
            row.entry.updatedAt = record.finishedAt.atStoragePrecision
            if let receipt = record.outcome.receipt { row.sentFieldsDigest = receipt.comparedFieldsDigest }
        }
        // What the target holds now, whether the attempt finished or got part of the way.
        let (jobID, learned): (String?, RemoteReferences) = switch record.outcome {
        case .delivered(let receipt): (receipt.externalID, receipt.learnedReferences)
        case .retry(_, let error), .failed(_, let error): (error.progress?.externalID, error.progress?.learnedReferences ?? RemoteReferences())
        }
        let link = { (state: inout InMemoryState, kind: RemoteLink.Kind, localID: String, remoteID: String) in
            state.link(kind, localID: localID, remoteID: remoteID, organisationID: entry.organisationID, target: entry.target, now: record.finishedAt)
        }
        if let jobID { link(&self, .job, entry.jobID.rawValue, jobID) }
        for (company, remoteID) in learned.companies { link(&self, .company, company.rawValue, remoteID) }
        for (person, remoteID) in learned.people { link(&self, .person, person.rawValue, remoteID) }
        let drafts = Settlement.notifications(after: record) {
            (contacts(of: job.job.companyID, job.job.organisationID, label: .decisionMaker), notifiedPeople(job.job, type: .jobSubmitted))
        }
        for draft in drafts { insert(draft, job: job.job, now: record.finishedAt) }
        return result
    }

    /// Mirrors `SQLiteStore.releaseUnattempted`: only a lease still held as described goes back.
    mutating func releaseUnattempted(_ leases: [UnattemptedLease], now: Date) -> Int {
        var released = 0
        for lease in leases {
            guard let row = submissions[lease.entryID], row.entry.status == .inFlight,
                  row.entry.leaseOwner == lease.owner, row.entry.attempts == lease.attempt
            else { continue }
            // A lapsed-lease attempt and `outcome_unknown` that the claim wrote stay: both are still true.
            updateSubmission(lease.entryID) { row in
                row.entry.status = .pending
                row.entry.leaseOwner = nil
                row.entry.leaseExpiresAt = nil
                row.entry.attempts -= 1
                row.entry.updatedAt = now.atStoragePrecision
            }
            released += 1
        }
        return released
    }

    mutating func claimNotifications(owner: String, now: Date, limit: Int, leaseDuration: Duration, running: Set<Int64>) throws -> [ClaimedNotification] {
        let rows = claimRows(\.notifications, where: { _ in true }, limit: limit, owner: owner, now: now, leaseUntil: now.adding(leaseDuration), running: running)
        return try rows.map { row in
            let notification = row.notification
            guard let snapshot = snapshot(notification.organisationID, notification.jobID),
                  let recipient = people[Scoped(notification.organisationID, notification.personID)]?.value
            else { throw StoreError(.corruptRow, "notification \(notification.id) points at a missing job or person") }
            return ClaimedNotification(
                request: NotificationRequest(notificationID: notification.id, type: notification.type, recipient: recipient, snapshot: snapshot),
                organisationID: notification.organisationID,
                attempt: notification.attempts,
                enqueuedAt: notification.createdAt,
                lastErrorKind: row.errorKind,
                claimedAt: now
            )
        }
    }

    mutating func settleNotifications(_ records: [NotificationRecord]) throws -> [Bool] {
        var health = TargetHealthUpdates()
        let results = records.map { record in
            let held = settle(record)
            health.record(record.requests, startedAt: record.startedAt, of: DeliveryLane(record.target), at: record.finishedAt, settings: record.circuitBreaker) { lane in
                self.health(of: lane)
            }
            return held
        }
        try save(health)
        return results
    }

    /// One notification record; returns whether its lease still held.
    private mutating func settle(_ record: NotificationRecord) -> Bool {
        guard let stored = notifications[record.notificationID] else { return false }
        let held = stored.notification.status == .inFlight && stored.leaseOwner == record.leaseOwner && stored.notification.attempts == record.attempt
        insertAttempt(
            .notification(record.notificationID), organisationID: record.organisationID, attempt: record.attempt, operation: nil,
            worker: record.leaseOwner, startedAt: record.startedAt, finishedAt: record.finishedAt, outcome: record.outcome,
            leaseLost: !held, requestHash: nil
        )
        guard held else { return false }
        let (status, nextAttempt, errorKind, error, externalID, sentAt): (NotificationStatus, Date?, ErrorKind?, String?, String?, Date?) =
            switch record.outcome {
            case .delivered(let receipt): (.sent, nil, nil, nil, receipt.externalID, record.finishedAt)
            case let .retry(at, error): (.pending, at, error.kind, error.message, nil, nil)
            case let .failed(reason, error): (.failed, nil, error.kind, reason, nil, nil)
            }
        guard var row = notifications[record.notificationID] else { return false }
        row.notification.status = status
        row.nextAttemptAt = nextAttempt.atStoragePrecision
        row.leaseOwner = nil
        row.leaseExpiresAt = nil
        row.errorKind = errorKind
        row.notification.error = error
        row.externalID = externalID ?? row.externalID
        row.notification.sentAt = sentAt.atStoragePrecision ?? row.notification.sentAt
        row.updatedAt = record.finishedAt.atStoragePrecision
        notifications[record.notificationID] = row
        return true
    }
}
