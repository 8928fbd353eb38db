import AtsgateCore
import AtsgateTesting

/// An in-memory store with the shared fixtures, for tests of the core (dispatcher, reconciler)
/// that need a store but not a database.
final class MemoryStore: Sendable {
    let store = InMemoryStore()

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
}
