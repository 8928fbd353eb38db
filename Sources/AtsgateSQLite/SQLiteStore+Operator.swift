public import AtsgateCore
public import Foundation
import GRDB

extension SQLiteStore: OutboxOperatorStore {
    public func outboxEntry(id: Int64) async throws -> OutboxEntry? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM job_external_submissions WHERE id = ?", arguments: [id]).map(OutboxEntry.init(row:))
        }
    }

    public func attemptHistory(entryID: Int64) async throws -> [AttemptHistoryEntry] {
        try await read { db in
            let table = "submission_attempts"
            return try Row.fetchAll(db, sql: "SELECT * FROM \(table) WHERE submission_id = ? ORDER BY id", arguments: [entryID]).map { row in
                AttemptHistoryEntry(
                    attemptNumber: try row.required("attempt_number", in: table),
                    operation: try row.optionalEnumValue("operation", in: table),
                    worker: try row.required("worker", in: table),
                    startedAt: try row.required("started_at", in: table),
                    finishedAt: row["finished_at"],
                    outcome: row["outcome"],
                    httpStatus: row["http_status"],
                    errorKind: try row.optionalEnumValue("error_kind", in: table),
                    message: row["message"],
                    durationMilliseconds: row["duration_ms"],
                    requestHash: row["request_hash"]
                )
            }
        }
    }

    public func replay(_ selection: ReplaySelection, dryRun: Bool, actor: String, now: Date) async throws -> [OutboxEntry] {
        try await write(ringingWorkersIf: { !dryRun && !$0.isEmpty }) { db in
            let rows: [OutboxEntry]
            switch selection {
            case .ids(let ids):
                rows = try Self.entries(ids, db: db)
                let refused = rows.filter { $0.status != .failed }
                guard refused.isEmpty else {
                    let list = refused.map { "#\($0.id) is \($0.status.rawValue)" }.joined(separator: ", ")
                    throw OperatorActionError(.wrongState, "only failed rows can be replayed; nothing was replayed (\(list))")
                }
            case let .failed(target, errorKind, since):
                var filters = SQLConditions()
                filters.add("status = ?", OutboxStatus.failed.rawValue)
                filters.add("external_system = ?", target?.rawValue)
                filters.add("last_error_kind = ?", errorKind?.rawValue)
                filters.add("updated_at >= ?", since)
                rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM job_external_submissions\(filters.whereClause) ORDER BY id", arguments: filters.arguments
                ).map(OutboxEntry.init(row:))
            }
            guard !dryRun else { return rows }
            for row in rows {
                try db.execute(
                    sql: """
                    UPDATE job_external_submissions
                    SET status = 'pending', attempts = 0, next_attempt_at = ?, enqueued_at = ?, last_error_kind = NULL,
                        last_error_message = NULL, updated_at = ?
                    WHERE id = ? AND status = 'failed'
                    """,
                    arguments: [now, now, now, row.id]
                )
                try Self.insert(AuditEntry(
                    organisationID: row.organisationID, occurredAt: now, actor: actor, action: .outboxReplayed,
                    subject: "outbox:\(row.id)",
                    details: [
                        "job": row.jobID.rawValue, "target": row.target.rawValue, "operation": row.operation.rawValue,
                        "previous_error_kind": row.lastErrorKind?.rawValue ?? "", "previous_attempts": "\(row.attempts)",
                    ]
                ), db: db)
            }
            return rows
        }
    }

    public func cancel(ids: [Int64], actor: String, now: Date) async throws -> [OutboxEntry] {
        try await write { db in
            let rows = try Self.entries(ids, db: db)
            let refused = rows.filter { $0.status != .pending && $0.status != .failed }
            guard refused.isEmpty else {
                let list = refused.map { "#\($0.id) is \($0.status.rawValue)" }.joined(separator: ", ")
                throw OperatorActionError(.wrongState, "only pending or failed rows can be cancelled; nothing was cancelled (\(list))")
            }
            for row in rows {
                try db.execute(
                    sql: """
                    UPDATE job_external_submissions SET status = 'cancelled', next_attempt_at = NULL, updated_at = ?
                    WHERE id = ? AND status IN ('pending', 'failed')
                    """,
                    arguments: [now, row.id]
                )
                try Self.insert(AuditEntry(
                    organisationID: row.organisationID, occurredAt: now, actor: actor, action: .outboxCancelled,
                    subject: "outbox:\(row.id)",
                    details: ["job": row.jobID.rawValue, "target": row.target.rawValue, "previous_status": row.status.rawValue]
                ), db: db)
            }
            return rows
        }
    }

    public func outboxCounts() async throws -> [TargetName: [OutboxStatus: Int]] {
        try await read { db in
            var counts: [TargetName: [OutboxStatus: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT external_system, status, count(*) AS n FROM job_external_submissions GROUP BY 1, 2") {
                let target = try row.targetName("external_system", in: "job_external_submissions")
                let status: OutboxStatus = try row.enumValue("status", in: "job_external_submissions")
                counts[target, default: [:]][status] = row["n"]
            }
            return counts
        }
    }

    public func oldestDue(now: Date) async throws -> [TargetName: Date] {
        try await read { db in
            var oldest: [TargetName: Date] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT external_system, min(next_attempt_at) AS due FROM job_external_submissions
                WHERE status = 'pending' AND next_attempt_at <= ? GROUP BY 1
                """, arguments: [now.storageText]) {
                oldest[try row.targetName("external_system", in: "job_external_submissions")] = row["due"]
            }
            return oldest
        }
    }

    /// The rows with these ids, in the given order; an unknown id refuses the whole action.
    private static func entries(_ ids: [Int64], db: Database) throws -> [OutboxEntry] {
        var seen = Set<Int64>()
        return try ids.filter { seen.insert($0).inserted }.map { id in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM job_external_submissions WHERE id = ?", arguments: [id]) else {
                throw OperatorActionError(.notFound, "no outbox row #\(id); nothing was changed")
            }
            return try OutboxEntry(row: row)
        }
    }
}
