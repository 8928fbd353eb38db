import AtsgateCore
import AtsgateSQLite
import Foundation
import GRDB

/// Writes the planted data set into a database the library has migrated, with GRDB directly:
/// prepared INSERTs in one transaction, `synchronous = OFF` (it is a fixture, not data to keep).
///
/// Rows look like what the outbox leaves behind: a `sent` create row with the remote id, the
/// version sent and the digest of the fields the target was sent (`sent_fields_digest`).
enum DatasetWriter {
    static let timestamp = "2026-11-22 00:00:00.000"
    static let farFuture = "2100-01-01 00:00:00.000"
    /// Bumped whenever what is written changes, so an old database is not reused.
    static let layout = 2

    /// The data set a database holds, if this benchmark wrote it: (jobs, planted, layout).
    static func existingDataset(at path: String) throws -> (jobs: Int, planted: Int, layout: Int)? {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            guard try db.tableExists("benchmark_dataset") else { return nil }
            guard let row = try Row.fetchOne(db, sql: "SELECT jobs, planted, layout FROM benchmark_dataset") else { return nil }
            return (row["jobs"], row["planted"], row["layout"])
        }
    }

    static func write(_ dataset: PlantedDataset, target: TargetName, to path: String) throws {
        // The library creates the schema (and would refuse a database it cannot migrate).
        _ = try SQLiteStore.open(path: path)

        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = OFF; PRAGMA cache_size = -65536")
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.inTransaction { db in
            let organisation = PlantedDataset.organisation.rawValue
            try db.execute(
                sql: "INSERT INTO organisations (id, name, created_at, updated_at) VALUES (?, 'Benchmark', ?, ?)",
                arguments: [organisation, timestamp, timestamp]
            )
            let company = try db.makeStatement(sql: "INSERT INTO companies (organisation_id, id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
            for index in 0..<PlantedDataset.companyCount {
                try company.execute(arguments: [organisation, PlantedDataset.companyID(index), "Company \(index)", timestamp, timestamp])
            }

            let job = try db.makeStatement(sql: """
                INSERT INTO jobs (organisation_id, id, company_id, title, salary_max, salary_currency, status,
                                  qualification_status, qualified_at, qualified_by, version, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, 'EUR', ?, ?, ?, ?, ?, ?, ?)
                """)
            let submission = try db.makeStatement(sql: """
                INSERT INTO job_external_submissions (
                    organisation_id, job_id, external_system, operation, status, attempts, next_attempt_at, lease_owner,
                    lease_expires_at, external_id, job_version, sent_job_version, submitted_by, enqueued_at, created_at,
                    updated_at, sent_at, sent_fields_digest)
                VALUES (?, ?, ?, 'create', ?, 1, ?, ?, ?, ?, 1, ?, 'bench', ?, ?, ?, ?, ?)
                """)
            for index in 0..<dataset.jobs {
                let kind = dataset.kind(of: index)
                let jobID = PlantedDataset.jobID(index)
                let qualified = !(kind == .orphanUnqualified || kind == .unqualifiedClosedThere)
                try job.execute(arguments: [
                    organisation, jobID, PlantedDataset.companyID(index), PlantedDataset.title(index), String(PlantedDataset.salaryMax(index)),
                    kind == .closedHereOpenThere ? "closed" : "open",
                    qualified ? "qualify" : "new", qualified ? timestamp : nil, qualified ? "bench" : nil,
                    kind == .closedHereOpenThere || kind == .newerVersion ? 2 : 1,
                    timestamp, timestamp,
                ])
                guard let row = row(of: index, kind: kind) else { continue }
                try submission.execute(arguments: [
                    organisation, jobID, target.rawValue, row.status, row.nextAttemptAt, row.leaseOwner, row.leaseExpiresAt,
                    row.externalID, row.sentVersion, timestamp, timestamp, timestamp, row.sentAt, row.digest,
                ])
            }
            try db.execute(sql: "CREATE TABLE benchmark_dataset (jobs INTEGER NOT NULL, planted INTEGER NOT NULL, layout INTEGER NOT NULL)")
            try db.execute(sql: "INSERT INTO benchmark_dataset (jobs, planted, layout) VALUES (?, ?, ?)", arguments: [dataset.jobs, dataset.planted, layout])
            return .commit
        }
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "ANALYZE")
            _ = try db.checkpoint(.truncate)
        }
    }

    private struct SubmissionRow {
        var status: String
        var externalID: String?
        var sentVersion: Int?
        var sentAt: String?
        var digest: String?
        var nextAttemptAt: String?
        var leaseOwner: String?
        var leaseExpiresAt: String?
    }

    /// The job's outbox row for the target, as the outbox would have left it.
    private static func row(of index: Int, kind: PlantedDataset.Kind) -> SubmissionRow? {
        switch kind {
        case .unsynced, .orphanUnqualified, .unqualifiedClosedThere:
            return nil
        case .unlinkedPending:
            // The create's answer was lost; its retry waits.
            return SubmissionRow(status: "pending", nextAttemptAt: farFuture)
        case .inFlightCreate:
            return SubmissionRow(status: "in_flight", leaseOwner: "bench-worker", leaseExpiresAt: farFuture)
        case .unlinkedOtherID:
            return SubmissionRow(status: "sent", externalID: "OLD\(index)", sentVersion: 1, sentAt: timestamp, digest: PlantedDataset.sentDigest(index, kind: kind))
        default:
            return SubmissionRow(status: "sent", externalID: PlantedDataset.remoteID(index), sentVersion: 1, sentAt: timestamp, digest: PlantedDataset.sentDigest(index, kind: kind))
        }
    }
}
