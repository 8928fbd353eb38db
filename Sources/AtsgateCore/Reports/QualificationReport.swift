import Foundation

/// What a decision did, for people and for scripts.
public struct QualificationReport: Encodable, Sendable {
    public struct Submission: Encodable, Sendable {
        public var target: String
        public var change: String
        public var operation: String?
        public var outboxId: Int64?
        public var reason: String?
    }

    public struct Notification: Encodable, Sendable {
        public var personId: String
        public var type: String
        public var status: String
        public var reason: String?
    }

    public var organisationId: String
    public var jobId: String
    public var status: String
    public var qualificationStatus: String
    public var version: Int
    public var submissions: [Submission]
    public var notifications: [Notification]

    public init(_ outcome: QualificationOutcome) {
        let job = outcome.job.job
        organisationId = job.organisationID.rawValue
        jobId = job.id.rawValue
        status = job.status.rawValue
        qualificationStatus = job.qualificationStatus.rawValue
        version = outcome.job.version
        submissions = outcome.submissionChanges.map { change in
            switch change {
            case let .enqueue(target, operation):
                Submission(target: target.rawValue, change: "queued", operation: operation.rawValue)
            case let .requeue(id, target, operation):
                Submission(target: target.rawValue, change: "requeued", operation: operation.rawValue, outboxId: id)
            case let .retarget(id, target, operation):
                Submission(target: target.rawValue, change: "retargeted", operation: operation.rawValue, outboxId: id)
            case let .cancel(id, target):
                Submission(target: target.rawValue, change: "cancelled", outboxId: id)
            case let .unchanged(id, target, reason):
                Submission(target: target.rawValue, change: "unchanged", outboxId: id, reason: reason)
            }
        }
        notifications = outcome.notifications.map {
            Notification(personId: $0.personID.rawValue, type: $0.type.rawValue, status: $0.status.rawValue, reason: $0.reason)
        }
    }

    public var text: String {
        var lines = ["job \(jobId) (\(organisationId)): \(status), \(qualificationStatus), version \(version)"]
        if submissions.isEmpty { lines.append("  no outbox rows") }
        for submission in submissions {
            var line = "  \(submission.target): \(submission.change)"
            if let operation = submission.operation { line += " \(operation)" }
            if let id = submission.outboxId { line += " (outbox #\(id))" }
            if let reason = submission.reason { line += " — \(reason)" }
            lines.append(line)
        }
        let pending = notifications.filter { $0.status == NotificationStatus.pending.rawValue }.count
        let skipped = notifications.filter { $0.status == NotificationStatus.skipped.rawValue }
        if !notifications.isEmpty {
            lines.append("  decision-maker notifications: \(pending) queued, \(skipped.count) skipped")
            for notification in skipped {
                lines.append("    \(notification.personId): skipped — \(notification.reason ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }
}
