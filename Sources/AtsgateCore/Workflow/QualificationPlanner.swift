public import Foundation

/// Decides what a qualification command or a job edit does to a job, its outbox rows and its
/// notifications. Pure: no I/O, no clock of its own, so every rule is testable on values.
public struct QualificationPlanner: Sendable {
    public var catalog: TargetCatalog
    public var now: Date

    public init(catalog: TargetCatalog, now: Date) {
        self.catalog = catalog
        self.now = now
    }

    /// Checks the command against the configuration, before any database work.
    /// - Returns: the targets a `qualify` sends to (empty for skip and close).
    public func resolveTargets(for command: QualificationCommand) throws(WorkflowError) -> [TargetName] {
        guard command.decision == .qualify else { return [] }
        guard !command.targets.isEmpty else {
            let enabled = catalog.enabledTargets
            guard !enabled.isEmpty else { throw .noEnabledTargets }
            return enabled
        }
        var resolved: [TargetName] = []
        for name in command.targets where !resolved.contains(name) {
            guard let target = catalog[name] else { throw .unknownTarget(name.rawValue, configured: catalog.allNames) }
            guard target.isEnabled else { throw .targetDisabled(name) }
            resolved.append(name)
        }
        return resolved
    }

    public func plan(_ command: QualificationCommand, context: QualificationContext) throws(WorkflowError) -> QualificationPlan {
        let targets = try resolveTargets(for: command)
        var job = context.job
        let changes: [SubmissionChange]
        var notifications: [NotificationDraft] = []
        let action: AuditAction

        switch command.decision {
        case .qualify:
            guard job.job.status == .open else { throw .jobNotOpen(job.job.id, status: job.job.status) }
            if job.job.qualificationStatus != .qualify {
                job.job.qualificationStatus = .qualify
                job.job.qualifiedAt = now
                job.job.qualifiedBy = command.actor
            }
            changes = qualifyChanges(job: job, targets: targets, submissions: context.submissions)
            notifications = NotificationRecipients.drafts(.jobQualified, for: context.decisionMakers, alreadyNotified: context.alreadyNotified)
            action = .jobQualified
        case .skip:
            job.job.qualificationStatus = .skip
            job.job.qualifiedAt = nil
            job.job.qualifiedBy = nil
            changes = context.submissions.sorted(by: Self.byTarget).map(skipChange)
            action = .jobSkipped
        case .close:
            if job.job.status == .open {
                job.job.status = .closed
                job.version += 1
            }
            changes = context.submissions.sorted(by: Self.byTarget).map { closeChange($0, version: job.version) }
            action = .jobClosed
        }

        var details = ["targets": changes.map(\.target.rawValue).joined(separator: ",")]
        if let note = command.note { details["note"] = note }
        let audit = AuditEntry(
            organisationID: command.organisationID,
            occurredAt: now,
            actor: command.actor,
            action: action,
            subject: "job:\(command.jobID)",
            details: details
        )
        return QualificationPlan(job: job, submissionChanges: changes, notifications: notifications, audit: audit)
    }

    /// What an edit of a job's content (an import) does to its rows: targets already holding the job
    /// get an update, or a close if the edit closed it. Rows still waiting need nothing: their payload
    /// is mapped at send time.
    public func changesAfterEdit(of job: StoredJob, submissions: [OutboxEntry]) -> [SubmissionChange] {
        submissions.sorted(by: Self.byTarget).compactMap { entry in
            guard entry.status == .sent, let sentVersion = entry.sentJobVersion, sentVersion < job.version else { return nil }
            if job.job.status.isTerminal {
                return entry.operation == .close ? nil : .requeue(entryID: entry.id, target: entry.target, operation: .close)
            }
            // A reopened job, or an edited one, is brought up to date with an update.
            return .requeue(entryID: entry.id, target: entry.target, operation: .update)
        }
    }

    // MARK: - Rules per decision

    private func qualifyChanges(job: StoredJob, targets: [TargetName], submissions: [OutboxEntry]) -> [SubmissionChange] {
        targets.map { target in
            guard let entry = submissions.first(where: { $0.target == target }) else {
                return .enqueue(target: target, operation: .create)
            }
            switch entry.status {
            case .pending, .inFlight:
                return .unchanged(entryID: entry.id, target: target, reason: "already queued")
            case .sent:
                if let sentVersion = entry.sentJobVersion, sentVersion >= job.version, entry.operation != .close {
                    return .unchanged(entryID: entry.id, target: target, reason: "already sent, up to date")
                }
                return .requeue(entryID: entry.id, target: target, operation: .update)
            case .failed, .cancelled:
                // Re-qualifying is an explicit decision to try again; the row keeps its history.
                return .requeue(entryID: entry.id, target: target, operation: entry.externalID == nil ? .create : .update)
            }
        }
    }

    private func skipChange(_ entry: OutboxEntry) -> SubmissionChange {
        if entry.status == .pending, entry.operation == .create, let remoteID = entry.externalID {
            // An earlier attempt made the job there and stopped before finishing it.
            return .unchanged(entryID: entry.id, target: entry.target, reason: "already created at the target (\(remoteID)); close the job to withdraw it")
        }
        if entry.status == .pending, entry.operation == .create {
            return .cancel(entryID: entry.id, target: entry.target)
        }
        let reason = entry.status == .inFlight ? "in flight; cannot be withdrawn" : "\(entry.status.rawValue); skip only withdraws pending creates"
        return .unchanged(entryID: entry.id, target: entry.target, reason: reason)
    }

    private func closeChange(_ entry: OutboxEntry, version: Int) -> SubmissionChange {
        let neverDelivered = entry.externalID == nil && entry.operation == .create
        switch entry.status {
        case .pending where neverDelivered, .failed where neverDelivered:
            return .cancel(entryID: entry.id, target: entry.target)
        case .pending, .inFlight:
            // An in-flight create may still land; the worker sees the new operation when it settles the row.
            return entry.operation == .close
                ? .unchanged(entryID: entry.id, target: entry.target, reason: "close already queued")
                : .retarget(entryID: entry.id, target: entry.target, operation: .close)
        case .sent where entry.operation == .close && (entry.sentJobVersion ?? 0) >= version:
            return .unchanged(entryID: entry.id, target: entry.target, reason: "already closed at the target")
        case .sent, .failed:
            return .requeue(entryID: entry.id, target: entry.target, operation: .close)
        case .cancelled:
            return entry.externalID == nil
                ? .unchanged(entryID: entry.id, target: entry.target, reason: "cancelled, never delivered")
                : .requeue(entryID: entry.id, target: entry.target, operation: .close)
        }
    }

    private static func byTarget(_ lhs: OutboxEntry, _ rhs: OutboxEntry) -> Bool { lhs.target < rhs.target }
}
