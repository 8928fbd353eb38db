import AtsgateCore
import Foundation

/// Writes the workflow, the import, the dispatcher and the reconciler share, each mirroring the
/// SQLite engine's statement named in its comment.
extension InMemoryState {
    /// Mirrors `SQLiteStore.apply(_:job:actor:now:db:)`.
    mutating func apply(_ change: SubmissionChange, job: StoredJob, actor: String, now: Date) {
        let now = now.atStoragePrecision
        switch change {
        case let .enqueue(target, operation):
            let id = nextID(.submissions)
            submissions[id] = SubmissionRow(
                entry: OutboxEntry(
                    id: id, organisationID: job.job.organisationID, jobID: job.job.id, target: target, operation: operation,
                    status: .pending, attempts: 0, nextAttemptAt: now, jobVersion: job.version, submittedBy: actor,
                    createdAt: now, updatedAt: now
                ),
                enqueuedAt: now
            )
        case let .requeue(entryID, _, operation):
            updateSubmission(entryID) { row in
                row.entry.operation = operation
                row.entry.status = .pending
                row.entry.attempts = 0
                row.entry.nextAttemptAt = now
                row.entry.jobVersion = job.version
                row.entry.leaseOwner = nil
                row.entry.leaseExpiresAt = nil
                row.entry.submittedBy = actor
                row.enqueuedAt = now
                row.entry.updatedAt = now
            }
        case let .retarget(entryID, _, operation):
            updateSubmission(entryID) { row in
                row.entry.operation = operation
                row.entry.jobVersion = job.version
                row.entry.updatedAt = now
            }
        case let .cancel(entryID, _):
            updateSubmission(entryID) { row in
                row.entry.status = .cancelled
                row.entry.nextAttemptAt = nil
                row.entry.leaseOwner = nil
                row.entry.leaseExpiresAt = nil
                row.entry.updatedAt = now
            }
        case .unchanged:
            break
        }
    }

    /// An UPDATE … WHERE id = ?: a missing row is left alone.
    mutating func updateSubmission(_ id: Int64, _ change: (inout SubmissionRow) -> Void) {
        guard var row = submissions[id] else { return }
        change(&row)
        submissions[id] = row
    }

    /// Mirrors `SQLiteStore.insert(_:job:now:db:)` for a notification: the (job, person, type)
    /// key makes a second insert a no-op (`ON CONFLICT … DO NOTHING`).
    mutating func insert(_ draft: NotificationDraft, job: Job, now: Date) {
        let now = now.atStoragePrecision
        let exists = notifications.values.contains { row in
            row.notification.organisationID == job.organisationID && row.notification.jobID == job.id
                && row.notification.personID == draft.personID && row.notification.type == draft.type
        }
        guard !exists else { return }
        let id = nextID(.notifications)
        notifications[id] = NotificationRow(
            notification: DecisionMakerNotification(
                id: id, organisationID: job.organisationID, jobID: job.id, personID: draft.personID, companyID: job.companyID,
                type: draft.type, channel: .email, status: draft.status, attempts: 0, error: draft.reason, createdAt: now
            ),
            nextAttemptAt: draft.status == .pending ? now : nil,
            updatedAt: now
        )
    }

    /// Appends to the audit log; a planted `.storingAuditEntry` failure fails here.
    mutating func insert(_ audit: AuditEntry) throws(StoreError) {
        if plantedFailures.contains(.storingAuditEntry) { throw StoreError(.unavailable, "planted failure") }
        var stored = audit
        stored.occurredAt = audit.occurredAt.atStoragePrecision
        auditLog[nextID(.auditLog)] = stored
    }

    /// Mirrors `SQLiteStore.link`: records which remote record is ours, unless another local
    /// entity already holds that remote id (reconciliation reports the duplicate).
    mutating func link(_ kind: RemoteLink.Kind, localID: String, remoteID: String, organisationID: OrganisationID, target: TargetName, now: Date) {
        let now = now.atStoragePrecision
        let takenByAnother = externalRefs.contains { key, link in
            key.organisationID == organisationID && key.target == target && key.kind == kind && link.value == remoteID && key.localID != localID
        }
        guard !takenByAnother else { return }
        let key = RemoteLinkKey(organisationID: organisationID, kind: kind, localID: localID, target: target)
        if var existing = externalRefs[key] {
            existing.value = remoteID
            existing.updatedAt = now
            externalRefs[key] = existing
        } else {
            externalRefs[key] = Timestamped(value: remoteID, createdAt: now, updatedAt: now)
        }
    }

    /// Mirrors `SQLiteStore.insertAttempt`: one finished attempt of a submission or notification.
    mutating func insertAttempt(
        _ subject: AttemptRow.Subject, organisationID: OrganisationID, attempt: Int, operation: SubmissionOperation?,
        worker: String, startedAt: Date, finishedAt: Date, outcome: AttemptOutcome, leaseLost: Bool, requestHash: String?
    ) {
        var history = AttemptHistoryEntry.recording(
            outcome, attempt: attempt, operation: operation, worker: worker, startedAt: startedAt, finishedAt: finishedAt,
            leaseLost: leaseLost, requestHash: requestHash
        )
        history.startedAt = startedAt.atStoragePrecision
        history.finishedAt = finishedAt.atStoragePrecision
        attempts[nextID(.attempts)] = AttemptRow(organisationID: organisationID, subject: subject, history: history)
    }

    /// Mirrors `SQLiteStore.save(_:of:now:db:)`.
    mutating func save(_ health: TargetHealth, of lane: DeliveryLane, now: Date) {
        var stored = health
        stored.pausedUntil = health.pausedUntil.atStoragePrecision
        stored.probingSince = health.probingSince.atStoragePrecision
        // The window is kept as its stored text, as the SQLite engine keeps it.
        stored.window = RequestWindow(storedText: health.window.storedText) ?? health.window
        stored.circuit = switch health.circuit {
        case .closed: .closed
        case .open(let until): .open(until: until.atStoragePrecision)
        case .halfOpen(let until): .halfOpen(probeUntil: until.atStoragePrecision)
        }
        targetStates[lane] = TargetStateRow(health: stored, updatedAt: now.atStoragePrecision)
    }

    /// Mirrors `SQLiteStore.save(_ health: TargetHealthUpdates, db:)`: each target once, then the audit entries.
    mutating func save(_ updates: TargetHealthUpdates) throws(StoreError) {
        guard let lastChange = updates.lastChange else { return }
        for (lane, state) in updates.states {
            save(state, of: lane, now: lastChange)
        }
        for entry in updates.auditEntries {
            try insert(entry)
        }
    }
}
