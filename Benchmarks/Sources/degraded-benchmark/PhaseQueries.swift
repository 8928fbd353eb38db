import AtsgateSQLite
import Foundation
import GRDB

/// Read-only SQL over a phase's database: the outbox, its attempts and the circuit's audit trail.
enum PhaseQueries {
    static func statusCounts(_ store: SQLiteStore) async throws -> [String: Int] {
        try await store.reader.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM job_external_submissions GROUP BY status")
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["status"] as String? ?? "NULL", $0["n"] as Int? ?? 0) })
        }
    }

    static func sentCount(_ store: SQLiteStore) async throws -> Int {
        try await store.reader.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM job_external_submissions WHERE status = 'sent'") ?? 0
        }
    }

    /// The last `sent_at`, once no row is in any other state.
    static func allSentAt(_ store: SQLiteStore) async throws -> Date? {
        try await store.reader.read { db in
            let unsent = try Int.fetchOne(db, sql: "SELECT count(*) FROM job_external_submissions WHERE status <> 'sent'") ?? 0
            guard unsent == 0 else { return nil }
            return try Date.fetchOne(db, sql: "SELECT max(sent_at) FROM job_external_submissions")
        }
    }

    static func attempts(_ store: SQLiteStore) async throws -> [AttemptRecord] {
        try await store.reader.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, submission_id, started_at, outcome, error_kind, http_status
                FROM submission_attempts WHERE submission_id IS NOT NULL ORDER BY started_at, id
                """
            )
            .compactMap { row in
                guard let id = row["id"] as Int64?, let submission = row["submission_id"] as Int64?, let started = row["started_at"] as Date? else {
                    return nil
                }
                return AttemptRecord(
                    id: id, submissionID: submission, startedAt: started, outcome: row["outcome"] as String? ?? "none",
                    errorKind: row["error_kind"], httpStatus: row["http_status"]
                )
            }
        }
    }

    /// Every opening (with its `until`) and closing of a circuit, in order.
    static func circuitEvents(_ store: SQLiteStore) async throws -> [CircuitEvent] {
        let rows = try await store.reader.read { db in
            try Row.fetchAll(db, sql: """
                SELECT occurred_at, action, json_extract(details, '$.until') AS until, json_extract(details, '$.reason') AS reason
                FROM audit_log WHERE action IN ('circuit_opened', 'circuit_closed') ORDER BY id
                """
            )
            .map { row in (occurredAt: row["occurred_at"] as Date?, action: row["action"] as String?, until: row["until"] as String?, reason: row["reason"] as String?) }
        }
        // `until` is written with milliseconds (`…T21:47:18.170Z`); older entries without.
        let precise = ISO8601DateFormatter()
        precise.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        let parse = { (text: String) in precise.date(from: text) ?? plain.date(from: text) }
        return rows.compactMap { row in
            guard let occurred = row.occurredAt else { return nil }
            return CircuitEvent(occurredAt: occurred, opened: row.action == "circuit_opened", until: row.until.flatMap(parse), reason: row.reason)
        }
    }

    /// The circuit as `target_states` holds it now, for progress lines.
    static func circuit(_ store: SQLiteStore, target: String) async throws -> String {
        try await store.reader.read { db in
            try String.fetchOne(db, sql: "SELECT circuit FROM target_states WHERE target = ?", arguments: [target]) ?? "closed"
        }
    }
}
