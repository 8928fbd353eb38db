import AtsgateCore
import AtsgateSQLite
import AtsgateTesting
import Foundation
import Testing

/// The storage engines the conformance suite runs against; every case of the suite runs once per engine.
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case memory

    var testDescription: String { rawValue }

    /// A fresh, empty store of this engine, removed when the returned value goes away.
    func open() throws -> StoreUnderTest {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-conformance-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let store = try SQLiteStore.open(path: directory.appendingPathComponent("test.sqlite").path)
            return StoreUnderTest(store: store) { try? FileManager.default.removeItem(at: directory) }
        case .memory:
            return StoreUnderTest(store: InMemoryStore())
        }
    }
}

/// A store of one engine with the shared fixtures: what every conformance case starts from.
final class StoreUnderTest: Sendable {
    let store: any StoreTestSupport
    private let cleanUp: @Sendable () -> Void

    init(store: any StoreTestSupport, cleanUp: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.cleanUp = cleanUp
    }

    deinit { cleanUp() }

    var planner: QualificationPlanner { QualificationPlanner(catalog: Fixtures.catalog, now: Fixtures.now) }

    func importSmallDataset() async throws -> ImportSummary {
        try await store.importDataset(Fixtures.dataset(), planner: planner, actor: "test")
    }

    func snapshot() async throws -> StoreContents {
        try await store.contents()
    }

    func qualify(
        _ job: JobID, organisation: OrganisationID = "org-a", _ decision: QualificationDecision = .qualify, targets: [TargetName] = []
    ) async throws -> QualificationOutcome {
        try await store.apply(
            QualificationCommand(organisationID: organisation, jobID: job, decision: decision, targets: targets, actor: "maria"),
            planner: planner
        )
    }

    func entries(_ filter: OutboxFilter = OutboxFilter()) async throws -> [OutboxEntry] {
        try await store.outboxEntries(matching: filter)
    }

    /// Plants `sent` on every row of `target` (all rows when `nil`), as delivered at `jobVersion`.
    func plantSent(target: TargetName? = nil, externalID: String = "L-1", jobVersion: Int = 1) async throws {
        for row in try await entries(OutboxFilter(target: target)) {
            try await store.plantSent(entryID: row.id, externalID: externalID, jobVersion: jobVersion)
        }
    }
}

/// The root of the conformance suite: `swift test --filter StoreConformance` runs all of it.
@Suite("StoreConformance")
struct StoreConformance {}
