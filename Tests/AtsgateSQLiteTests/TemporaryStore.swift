@testable import AtsgateSQLite
import AtsgateCore
import AtsgateTesting
import Foundation
import GRDB

/// A store on a throwaway file, removed when the test ends.
final class TemporaryStore: Sendable {
    let directory: URL
    let path: String
    let store: SQLiteStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("test.sqlite").path
        store = try SQLiteStore.open(path: path)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    var planner: QualificationPlanner { QualificationPlanner(catalog: Fixtures.catalog, now: Fixtures.now) }

    func importSmallDataset() async throws -> ImportSummary {
        try await store.importDataset(Fixtures.dataset(), planner: planner, actor: "test")
    }

    func snapshot() async throws -> StoreContents {
        StoreContents(tables: try await store.dumpTables())
    }

    /// Runs raw SQL, for planting states and faults the public API cannot produce.
    func execute(_ sql: String, _ arguments: StatementArguments = []) async throws {
        try await store.writer.write { db in try db.execute(sql: sql, arguments: arguments) }
    }

    func qualify(_ job: JobID, organisation: OrganisationID = "org-a", _ decision: QualificationDecision = .qualify, targets: [TargetName] = []) async throws -> QualificationOutcome {
        try await store.apply(
            QualificationCommand(organisationID: organisation, jobID: job, decision: decision, targets: targets, actor: "maria"),
            planner: planner
        )
    }

    func entries(_ filter: OutboxFilter = OutboxFilter()) async throws -> [OutboxEntry] {
        try await store.outboxEntries(matching: filter)
    }
}
