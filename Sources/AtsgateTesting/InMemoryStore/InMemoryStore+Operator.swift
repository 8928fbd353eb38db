public import AtsgateCore
public import Foundation

extension InMemoryStore: OutboxReader {
    public func outboxEntries(matching filter: OutboxFilter) async throws -> [OutboxEntry] {
        try read { state in
            state.submissions.values.map(\.entry)
                .filter { entry in
                    (filter.organisationID.map { $0 == entry.organisationID } ?? true)
                        && (filter.status.map { $0 == entry.status } ?? true)
                        && (filter.target.map { $0 == entry.target } ?? true)
                        && (filter.errorKind.map { $0 == entry.lastErrorKind } ?? true)
                        && (filter.jobID.map { $0 == entry.jobID } ?? true)
                        && (filter.afterID.map { entry.id > $0 } ?? true)
                }
                .sorted { $0.id < $1.id }
                .limited(to: filter.limit)
        }
    }
}

extension InMemoryStore: JobReader {
    public func job(organisationID: OrganisationID, jobID: JobID) async throws -> StoredJob? {
        try read { state in state.job(organisationID, jobID) }
    }

    public func jobSnapshot(organisationID: OrganisationID, jobID: JobID) async throws -> JobSnapshot? {
        try read { state in state.snapshot(organisationID, jobID) }
    }

    public func remoteReferences(organisationID: OrganisationID, companyID: CompanyID, target: TargetName) async throws -> RemoteReferences {
        try read { state in state.references(of: companyID, at: target, organisationID: organisationID) }
    }

    public func notifications(organisationID: OrganisationID, jobID: JobID) async throws -> [DecisionMakerNotification] {
        try read { state in
            state.notifications.values.map(\.notification)
                .filter { $0.organisationID == organisationID && $0.jobID == jobID }
                .sorted { $0.id < $1.id }
        }
    }
}

extension InMemoryStore: OutboxOperatorStore {
    public func outboxEntry(id: Int64) async throws -> OutboxEntry? {
        try read { state in state.submissions[id]?.entry }
    }

    public func attemptHistory(entryID: Int64) async throws -> [AttemptHistoryEntry] {
        try read { state in
            state.attempts.filter { $0.value.subject == .submission(entryID) }.sorted { $0.key < $1.key }.map(\.value.history)
        }
    }

    public func replay(_ selection: ReplaySelection, dryRun: Bool, actor: String, now: Date) async throws -> [OutboxEntry] {
        try write(ringingWorkersIf: { !dryRun && !$0.isEmpty }) { state in
            try state.replay(selection, dryRun: dryRun, actor: actor, now: now)
        }
    }

    public func cancel(ids: [Int64], actor: String, now: Date) async throws -> [OutboxEntry] {
        try write { state in try state.cancel(ids: ids, actor: actor, now: now) }
    }

    public func outboxCounts() async throws -> [TargetName: [OutboxStatus: Int]] {
        try read { state in
            var counts: [TargetName: [OutboxStatus: Int]] = [:]
            for row in state.submissions.values {
                counts[row.entry.target, default: [:]][row.entry.status, default: 0] += 1
            }
            return counts
        }
    }

    public func oldestDue(now: Date) async throws -> [TargetName: Date] {
        try read { state in
            var oldest: [TargetName: Date] = [:]
            for row in state.submissions.values where row.entry.status == .pending {
                guard let due = row.entry.nextAttemptAt, due <= now else { continue }
                oldest[row.entry.target] = min(oldest[row.entry.target] ?? due, due)
            }
            return oldest
        }
    }
}

/// Mirrors SQLiteStore+Operator.swift: every change writes an audit entry; a refusal changes nothing.
extension InMemoryState {
    mutating func replay(_ selection: ReplaySelection, dryRun: Bool, actor: String, now: Date) throws -> [OutboxEntry] {
        let rows: [OutboxEntry]
        switch selection {
        case .ids(let ids):
            rows = try entries(ids)
            let refused = rows.filter { $0.status != .failed }
            guard refused.isEmpty else {
                let list = refused.map { "#\($0.id) is \($0.status.rawValue)" }.joined(separator: ", ")
                throw OperatorActionError(.wrongState, "only failed rows can be replayed; nothing was replayed (\(list))")
            }
        case let .failed(target, errorKind, since):
            let since = since.atStoragePrecision
            rows = submissions.values.map(\.entry)
                .filter { entry in
                    entry.status == .failed
                        && (target.map { $0 == entry.target } ?? true)
                        && (errorKind.map { $0 == entry.lastErrorKind } ?? true)
                        && (since.map { entry.updatedAt >= $0 } ?? true)
                }
                .sorted { $0.id < $1.id }
        }
        guard !dryRun else { return rows }
        let now = now.atStoragePrecision
        for row in rows {
            updateSubmission(row.id) { stored in
                guard stored.entry.status == .failed else { return }
                stored.entry.status = .pending
                stored.entry.attempts = 0
                stored.entry.nextAttemptAt = now
                stored.enqueuedAt = now
                stored.entry.lastErrorKind = nil
                stored.entry.lastErrorMessage = nil
                stored.entry.updatedAt = now
            }
            try insert(AuditEntry(
                organisationID: row.organisationID, occurredAt: now, actor: actor, action: .outboxReplayed, subject: "outbox:\(row.id)",
                details: [
                    "job": row.jobID.rawValue, "target": row.target.rawValue, "operation": row.operation.rawValue,
                    "previous_error_kind": row.lastErrorKind?.rawValue ?? "", "previous_attempts": "\(row.attempts)",
                ]
            ))
        }
        return rows
    }

    mutating func cancel(ids: [Int64], actor: String, now: Date) throws -> [OutboxEntry] {
        let rows = try entries(ids)
        let refused = rows.filter { $0.status != .pending && $0.status != .failed }
        guard refused.isEmpty else {
            let list = refused.map { "#\($0.id) is \($0.status.rawValue)" }.joined(separator: ", ")
            throw OperatorActionError(.wrongState, "only pending or failed rows can be cancelled; nothing was cancelled (\(list))")
        }
        let now = now.atStoragePrecision
        for row in rows {
            updateSubmission(row.id) { stored in
                guard stored.entry.status == .pending || stored.entry.status == .failed else { return }
                stored.entry.status = .cancelled
                stored.entry.nextAttemptAt = nil
                stored.entry.updatedAt = now
            }
            try insert(AuditEntry(
                organisationID: row.organisationID, occurredAt: now, actor: actor, action: .outboxCancelled, subject: "outbox:\(row.id)",
                details: ["job": row.jobID.rawValue, "target": row.target.rawValue, "previous_status": row.status.rawValue]
            ))
        }
        return rows
    }
}
