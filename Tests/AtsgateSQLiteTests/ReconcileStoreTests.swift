import AtsgateCore
import AtsgateSQLite
import AtsgateTesting
import Foundation
import Testing

/// Reconcile runs on SQLite with a scripted listing: findings stored, repairs through the
/// outbox, idempotent apply, partial listings, one run at a time.
@Suite("Reconcile runs on SQLite", .timeLimit(.minutes(1)))
struct ReconcileStoreTests {
    static let loxo = Fixtures.loxo
    static let title = ComparableFields(["title": "Backend Engineer"])

    func marker(_ job: JobID) -> JobMarker { JobMarker(organisationID: "org-a", jobID: job) }

    /// job-1 and job-2 qualified and sent to Loxo as R1 and R2.
    func prepared() async throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1", targets: [Self.loxo])
        _ = try await temporary.qualify("job-2", targets: [Self.loxo])
        let claims = try await temporary.store.claimSubmissions(ClaimRequest(
            owner: "w", now: Fixtures.now, limits: [Self.loxo: 10], leaseDurations: [Self.loxo: .seconds(30)]
        ))
        _ = try await temporary.store.settle(claims.map { claim in
            DeliveryRecord(
                entryID: claim.entry.id, organisationID: claim.entry.organisationID, target: claim.entry.target, leaseOwner: "w",
                attempt: claim.entry.attempts, operation: .create, mappedJobVersion: claim.snapshot.version,
                startedAt: Fixtures.now, finishedAt: Fixtures.now,
                outcome: .delivered(SubmissionReceipt(externalID: claim.entry.jobID == "job-1" ? "R1" : "R2", comparedFieldsDigest: Self.title.digest)),
                requestHash: "h", circuitBreaker: CircuitBreakerSettings()
            )
        })
        return temporary
    }

    func runner(_ temporary: TemporaryStore, _ connector: ScriptedConnector) -> ReconcileRunner {
        ReconcileRunner(store: temporary.store, connector: connector, target: Fixtures.catalog[Self.loxo]!, organisationID: "org-a")
    }

    func connector(pages: Result<RemoteJobPage, ConnectorError>...) -> ScriptedConnector {
        let connector = ScriptedConnector(target: Self.loxo, capabilities: .ats)
        for page in pages { connector.scriptPages(page) }
        connector.scriptComparableFields { _ in Self.title }
        return connector
    }

    @Test("Findings are stored with the run; --apply queues the repairs; a second --apply adds nothing")
    func applyIsIdempotent() async throws {
        let temporary = try await prepared()
        // R1 is closed at the target while open here; R2 is gone.
        let listing = RemoteJobPage(jobs: [RemoteJob(remoteID: "R1", marker: marker("job-1"), isOpen: false, fields: Self.title)], next: nil)
        let first = try await runner(temporary, connector(pages: .success(listing))).run(.init(apply: true, actor: "ops"))
        #expect(first.run.status == .completed)
        #expect(first.run.findingCounts == [.statusMismatch: 1, .missingRemote: 1])
        #expect(first.repairedRows == 2)
        let rows = try await temporary.entries()
        #expect(rows.first { $0.jobID == "job-1" }.map { "\($0.status.rawValue) \($0.operation.rawValue) \($0.externalID ?? "-")" } == "pending update R1")
        #expect(rows.first { $0.jobID == "job-2" }.map { "\($0.status.rawValue) \($0.operation.rawValue) \($0.externalID ?? "-")" } == "pending create -")

        let again = try await runner(temporary, connector(pages: .success(listing))).run(.init(apply: true, actor: "ops"))
        #expect(again.run.findingCounts.isEmpty)
        #expect(again.repairedRows == 0)
        #expect(try await temporary.entries() == rows)

        let stored = try await temporary.store.reconcileFindings(runID: first.run.id)
        #expect(stored.map(\.category).sorted { $0.rawValue < $1.rawValue } == [.missingRemote, .statusMismatch])
        let runs = try await temporary.store.reconcileRuns(organisationID: "org-a", target: Self.loxo, limit: 10)
        #expect(runs.map(\.id) == [again.run.id, first.run.id])
        #expect(runs.last?.applied == true)
    }

    @Test("A listing that fails midway is stored as partial and reports nothing missing")
    func partialListing() async throws {
        let temporary = try await prepared()
        let page = RemoteJobPage(jobs: [RemoteJob(remoteID: "R1", marker: marker("job-1"), isOpen: true, fields: Self.title)], next: RemotePageToken("2"))
        let outcome = try await runner(temporary, connector(pages: .success(page), .failure(.transient("the target answered 503")))).run(.init(apply: true, actor: "ops"))
        #expect(outcome.run.status == .partial)
        #expect(outcome.run.partialReason?.contains("503") == true)
        #expect(outcome.run.findingCounts.isEmpty, "job-2 was not listed, but the listing was partial")
        #expect(outcome.repairedRows == 0)
    }

    @Test("Drift names the differing fields and queues an update")
    func drift() async throws {
        let temporary = try await prepared()
        let listing = RemoteJobPage(jobs: [
            RemoteJob(remoteID: "R1", marker: marker("job-1"), isOpen: true, fields: ComparableFields(["title": "Backend Engineer II"])),
            RemoteJob(remoteID: "R2", marker: marker("job-2"), isOpen: true, fields: Self.title),
        ], next: nil)
        let outcome = try await runner(temporary, connector(pages: .success(listing))).run(.init(apply: true, actor: "ops"))
        #expect(outcome.run.findingCounts == [.drift: 1])
        let finding = try #require(outcome.firstFindings.first)
        #expect(finding.jobID == "job-1")
        #expect(finding.fields == ["title"])
        #expect(finding.detail.contains("Backend Engineer II"))
        #expect(try await temporary.entries().first { $0.jobID == "job-1" }?.operation == .update)
    }

    @Test("Never two runs of one target at once; a run whose heartbeat stopped is taken for dead")
    func oneRunAtATime() async throws {
        let temporary = try await prepared()
        let first = try await temporary.store.startReconcileRun(organisationID: "org-a", target: Self.loxo, now: Fixtures.now, staleAfter: .seconds(600))
        await #expect(throws: ReconcileRunConflict.self) {
            _ = try await temporary.store.startReconcileRun(organisationID: "org-a", target: Self.loxo, now: Fixtures.now.addingTimeInterval(60), staleAfter: .seconds(600))
        }
        // Another target, or another organisation, is not blocked.
        _ = try await temporary.store.startReconcileRun(organisationID: "org-a", target: Fixtures.bullhorn, now: Fixtures.now, staleAfter: .seconds(600))
        let later = try await temporary.store.startReconcileRun(organisationID: "org-a", target: Self.loxo, now: Fixtures.now.addingTimeInterval(601), staleAfter: .seconds(600))
        let runs = try await temporary.store.reconcileRuns(organisationID: "org-a", target: Self.loxo, limit: 10)
        #expect(runs.first { $0.id == first }?.status == .failed)
        #expect(runs.first { $0.id == later }?.status == .running)
    }

    @Test("A marker of a job that exists but was never qualified is an orphan only while open; of a job that does not exist, always")
    func orphansOfUnqualifiedJobs() async throws {
        let temporary = try await prepared()
        // job-3 exists (closed, never qualified); job-77 does not exist.
        let listing = RemoteJobPage(jobs: [
            RemoteJob(remoteID: "R1", marker: marker("job-1"), isOpen: true, fields: Self.title),
            RemoteJob(remoteID: "R2", marker: marker("job-2"), isOpen: true, fields: Self.title),
            RemoteJob(remoteID: "R3", marker: marker("job-3"), isOpen: false),
            RemoteJob(remoteID: "R77", marker: marker("job-77"), isOpen: false),
        ], next: nil)
        let closed = try await runner(temporary, connector(pages: .success(listing))).run(.init(actor: "ops"))
        #expect(closed.firstFindings.map { "\($0.category.rawValue) \($0.jobID?.rawValue ?? "-")" } == ["orphan_remote job-77"])
        #expect(closed.firstFindings.first?.detail.contains("does not exist here") == true)

        var reopened = listing
        reopened.jobs[2].isOpen = true
        let open = try await runner(temporary, connector(pages: .success(reopened))).run(.init(actor: "ops"))
        let job3 = try #require(open.firstFindings.first { $0.jobID == "job-3" })
        #expect(job3.category == .orphanRemote)
        #expect(job3.detail.contains("not qualified"))
    }
}
