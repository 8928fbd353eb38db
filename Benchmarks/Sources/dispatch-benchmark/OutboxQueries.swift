import AtsgateSQLite
import GRDB

/// Read-only SQL over the outbox, to check and time what the dispatcher did.
enum OutboxQueries {
    /// Rows of `job_external_submissions` per status.
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

    /// Attempts recorded, and how many were not deliveries (retries, failures, lost leases).
    static func attemptCounts(_ store: SQLiteStore) async throws -> (total: Int, notDelivered: Int) {
        try await store.reader.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM submission_attempts") ?? 0
            let other = try Int.fetchOne(db, sql: "SELECT count(*) FROM submission_attempts WHERE outcome <> 'sent'") ?? 0
            return (total, other)
        }
    }

    /// Distinct remote ids among sent rows: equal to the sent count when no two rows share a remote job.
    static func distinctExternalIDs(_ store: SQLiteStore) async throws -> Int {
        try await store.reader.read { db in
            try Int.fetchOne(db, sql: "SELECT count(DISTINCT external_id) FROM job_external_submissions WHERE status = 'sent'") ?? 0
        }
    }

    /// sent_at − created_at of every sent row, in milliseconds, ascending. Dates are stored as
    /// "yyyy-MM-dd HH:mm:ss.SSS" UTC text, which julianday() reads.
    static func sendLatenciesMilliseconds(_ store: SQLiteStore) async throws -> [Double] {
        try await store.reader.read { db in
            try Double.fetchAll(
                db,
                sql: """
                SELECT (julianday(sent_at) - julianday(created_at)) * 86400000.0 AS ms
                FROM job_external_submissions WHERE status = 'sent' ORDER BY ms
                """
            )
        }
    }
}
