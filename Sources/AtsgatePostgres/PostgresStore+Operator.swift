public import AtsgateCore
public import Foundation
import PostgresNIO

extension PostgresStore: OutboxOperatorStore {
    public func outboxEntry(id: Int64) async throws -> OutboxEntry? {
        try await read { connection in
            try await connection.query("SELECT * FROM job_external_submissions WHERE id = \(id)", logger: logger)
                .first(table: "job_external_submissions", OutboxEntry.init(postgres:))
        }
    }

    public func attemptHistory(entryID: Int64) async throws -> [AttemptHistoryEntry] {
        try await read { connection in
            try await connection.query("SELECT * FROM submission_attempts WHERE submission_id = \(entryID) ORDER BY id", logger: logger)
                .collect(table: "submission_attempts") { row in
                    AttemptHistoryEntry(
                        attemptNumber: try row.required("attempt_number"),
                        operation: try row.optionalEnumValue("operation"),
                        worker: try row.required("worker"),
                        startedAt: try row.required("started_at"),
                        finishedAt: try row.optional("finished_at"),
                        outcome: try row.optional("outcome"),
                        httpStatus: try row.optional("http_status"),
                        errorKind: try row.optionalEnumValue("error_kind"),
                        message: try row.optional("message"),
                        durationMilliseconds: try row.optional("duration_ms"),
                        requestHash: try row.optional("request_hash")
                    )
                }
        }
    }

    public func replay(_ selection: ReplaySelection, dryRun: Bool, actor: String, now: Date) async throws -> [OutboxEntry] {
        try await write(ringingWorkersIf: { !dryRun && !$0.isEmpty }) { connection in
            // A dry run changes nothing, so it locks nothing either.
            let rows: [OutboxEntry]
            switch selection {
            case .ids(let ids):
                rows = try await entries(ids, locking: !dryRun, connection: connection)
                let refused = rows.filter { $0.status != .failed }
                guard refused.isEmpty else {
                    let list = refused.map { "#\($0.id) is \($0.status.rawValue)" }.joined(separator: ", ")
                    throw OperatorActionError(.wrongState, "only failed rows can be replayed; nothing was replayed (\(list))")
                }
            case let .failed(target, errorKind, since):
                var filters = PostgresConditions()
                filters.add("status", OutboxStatus.failed.rawValue)
                filters.add("external_system", target?.rawValue)
                filters.add("last_error_kind", errorKind?.rawValue)
                filters.add("updated_at", since, comparison: ">=")
                rows = try await connection.query(
                    filters.query("SELECT * FROM job_external_submissions", dryRun ? "ORDER BY id" : "ORDER BY id FOR UPDATE"), logger: logger
                ).collect(table: "job_external_submissions", OutboxEntry.init(postgres:))
            }
            guard !dryRun, !rows.isEmpty else { return rows }
            try await connection.query("""
                UPDATE job_external_submissions
                SET status = 'pending', attempts = 0, next_attempt_at = \(now), enqueued_at = \(now), last_error_kind = NULL,
                    last_error_message = NULL, updated_at = \(now)
                WHERE id = ANY(\(rows.map(\.id))) AND status = 'failed'
                """, logger: logger)
            try await insert(rows.map { row in
                AuditEntry(
                    organisationID: row.organisationID, occurredAt: now, actor: actor, action: .outboxReplayed, subject: "outbox:\(row.id)",
                    details: [
                        "job": row.jobID.rawValue, "target": row.target.rawValue, "operation": row.operation.rawValue,
                        "previous_error_kind": row.lastErrorKind?.rawValue ?? "", "previous_attempts": "\(row.attempts)",
                    ]
                )
            }, connection: connection)
            return rows
        }
    }

    public func cancel(ids: [Int64], actor: String, now: Date) async throws -> [OutboxEntry] {
        try await write { connection in
            let rows = try await entries(ids, locking: true, connection: connection)
            let refused = rows.filter { $0.status != .pending && $0.status != .failed }
            guard refused.isEmpty else {
                let list = refused.map { "#\($0.id) is \($0.status.rawValue)" }.joined(separator: ", ")
                throw OperatorActionError(.wrongState, "only pending or failed rows can be cancelled; nothing was cancelled (\(list))")
            }
            guard !rows.isEmpty else { return rows }
            try await connection.query("""
                UPDATE job_external_submissions SET status = 'cancelled', next_attempt_at = NULL, updated_at = \(now)
                WHERE id = ANY(\(rows.map(\.id))) AND status IN ('pending', 'failed')
                """, logger: logger)
            try await insert(rows.map { row in
                AuditEntry(
                    organisationID: row.organisationID, occurredAt: now, actor: actor, action: .outboxCancelled, subject: "outbox:\(row.id)",
                    details: ["job": row.jobID.rawValue, "target": row.target.rawValue, "previous_status": row.status.rawValue]
                )
            }, connection: connection)
            return rows
        }
    }

    public func outboxCounts() async throws -> [TargetName: [OutboxStatus: Int]] {
        try await read { connection in
            let table = "job_external_submissions"
            let rows = try await connection.query("SELECT external_system, status, count(*) AS n FROM job_external_submissions GROUP BY 1, 2", logger: logger)
                .collect(table: table) { row in
                    (target: try row.targetName("external_system"), status: try row.enumValue("status", as: OutboxStatus.self), count: try row.required("n", as: Int.self))
                }
            var counts: [TargetName: [OutboxStatus: Int]] = [:]
            for (target, status, count) in rows {
                counts[target, default: [:]][status] = count
            }
            return counts
        }
    }

    public func oldestDue(now: Date) async throws -> [TargetName: Date] {
        try await read { connection in
            let rows = try await connection.query("""
                SELECT external_system, min(next_attempt_at) AS due FROM job_external_submissions
                WHERE status = 'pending' AND next_attempt_at <= \(now) GROUP BY 1
                """, logger: logger).collect(table: "job_external_submissions") { row in
                    (try row.targetName("external_system"), try row.required("due", as: Date.self))
                }
            return Dictionary(rows, uniquingKeysWith: min)
        }
    }

    /// The rows with these ids, in the given order; an unknown id refuses the whole action. With
    /// `locking`, the rows stay locked until the action commits: a worker on another node cannot
    /// claim or settle one between the check and the change.
    private func entries(_ ids: [Int64], locking: Bool, connection: PostgresConnection) async throws -> [OutboxEntry] {
        var seen = Set<Int64>()
        let unique = ids.filter { seen.insert($0).inserted }
        let found = try await connection.query(
            "SELECT * FROM job_external_submissions WHERE id = ANY(\(unique)) ORDER BY id\(unescaped: locking ? " FOR UPDATE" : "")", logger: logger
        ).collect(table: "job_external_submissions", OutboxEntry.init(postgres:))
        let byID = Dictionary(found.map { ($0.id, $0) }) { first, _ in first }
        return try unique.map { id in
            guard let row = byID[id] else { throw OperatorActionError(.notFound, "no outbox row #\(id); nothing was changed") }
            return row
        }
    }
}
