public import AtsgateCore

/// A store of any engine with the shared fixtures (`Fixtures.dataset()`, `Fixtures.catalog`,
/// `Fixtures.now`): what store and dispatcher tests start from.
public final class StoreFixture: Sendable {
    public let store: any StoreTestSupport
    private let cleanUp: @Sendable () -> Void

    /// - Parameter cleanUp: runs when the fixture goes away (removes a database file).
    public init(store: any StoreTestSupport, cleanUp: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.cleanUp = cleanUp
    }

    /// A fresh in-memory store.
    public convenience init() {
        self.init(store: InMemoryStore())
    }

    deinit { cleanUp() }

    public var planner: QualificationPlanner { QualificationPlanner(catalog: Fixtures.catalog, now: Fixtures.now) }

    public func importSmallDataset() async throws -> ImportSummary {
        try await store.importDataset(Fixtures.dataset(), planner: planner, actor: "test")
    }

    public func snapshot() async throws -> StoreContents {
        try await store.contents()
    }

    public func qualify(
        _ job: JobID, organisation: OrganisationID = "org-a", _ decision: QualificationDecision = .qualify, targets: [TargetName] = []
    ) async throws -> QualificationOutcome {
        try await store.apply(
            QualificationCommand(organisationID: organisation, jobID: job, decision: decision, targets: targets, actor: "maria"),
            planner: planner
        )
    }

    public func entries(_ filter: OutboxFilter = OutboxFilter()) async throws -> [OutboxEntry] {
        try await store.outboxEntries(matching: filter)
    }

    /// Plants `sent` on every row of `target` (all rows when `nil`), as delivered at `jobVersion`.
    public func plantSent(target: TargetName? = nil, externalID: String = "L-1", jobVersion: Int = 1) async throws {
        for row in try await entries(OutboxFilter(target: target)) {
            try await store.plantSent(entryID: row.id, externalID: externalID, jobVersion: jobVersion)
        }
    }
}
