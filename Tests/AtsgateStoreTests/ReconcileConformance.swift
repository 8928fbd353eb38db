import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

extension StoreConformance {
    /// Reconcile runs with a scripted listing: findings stored, repairs through the outbox,
    /// idempotent apply, partial listings, one run at a time.
    @Suite("Reconcile runs and findings", .timeLimit(.minutes(1)))
    struct Reconcile {
        static let loxo = Fixtures.loxo
        static let title = ComparableFields(["title": "Backend Engineer"])

        func marker(_ job: JobID) -> JobMarker { JobMarker(organisationID: "org-a", jobID: job) }

        /// job-1 and job-2 qualified and sent to Loxo as R1 and R2.
        func prepared(_ engine: StoreEngine) async throws -> StoreFixture {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1", targets: [Self.loxo])
            _ = try await subject.qualify("job-2", targets: [Self.loxo])
            let claims = try await subject.store.claimSubmissions(ClaimRequest(
                owner: "w", now: Fixtures.now, limits: [DeliveryLane(Self.loxo): 10], leaseDurations: [Self.loxo: .seconds(30)]
            ))
            _ = try await subject.store.settle(claims.map { claim in
                DeliveryRecord(
                    entryID: claim.entry.id, organisationID: claim.entry.organisationID, target: claim.entry.target, leaseOwner: "w",
                    attempt: claim.entry.attempts, operation: .create, mappedJobVersion: claim.snapshot.version,
                    startedAt: Fixtures.now, finishedAt: Fixtures.now,
                    outcome: .delivered(SubmissionReceipt(externalID: claim.entry.jobID == "job-1" ? "R1" : "R2", comparedFieldsDigest: Self.title.digest)),
                    requestHash: "h", circuitBreaker: CircuitBreakerSettings()
                )
            })
            return subject
        }

        func runner(_ subject: StoreFixture, _ connector: ScriptedConnector) throws -> ReconcileRunner {
            ReconcileRunner(store: subject.store, connector: connector, target: try #require(Fixtures.catalog[Self.loxo]), organisationID: "org-a")
        }

        func connector(pages: Result<RemoteJobPage, ConnectorError>...) -> ScriptedConnector {
            let connector = ScriptedConnector(target: Self.loxo, capabilities: .ats)
            for page in pages { connector.scriptPages(page) }
            connector.scriptComparableFields { _ in Self.title }
            return connector
        }

        @Test("Findings are stored with the run; --apply queues the repairs; a second --apply adds nothing", arguments: StoreEngine.allCases)
        func applyIsIdempotent(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            // R1 is closed at the target while open here; R2 is gone.
            let listing = RemoteJobPage(jobs: [RemoteJob(remoteID: "R1", marker: marker("job-1"), isOpen: false, fields: Self.title)], next: nil)
            let first = try await runner(subject, connector(pages: .success(listing))).run(.init(apply: true, actor: "ops"))
            #expect(first.run.status == .completed)
            #expect(first.run.findingCounts == [.statusMismatch: 1, .missingRemote: 1])
            #expect(first.repairedRows == 2)
            let rows = try await subject.entries()
            #expect(rows.first { $0.jobID == "job-1" }.map { "\($0.status.rawValue) \($0.operation.rawValue) \($0.externalID ?? "-")" } == "pending update R1")
            #expect(rows.first { $0.jobID == "job-2" }.map { "\($0.status.rawValue) \($0.operation.rawValue) \($0.externalID ?? "-")" } == "pending create -")
            #expect(try await subject.store.auditLog().contains { $0.action == .reconcileRepaired })

            let again = try await runner(subject, connector(pages: .success(listing))).run(.init(apply: true, actor: "ops"))
            #expect(again.run.findingCounts.isEmpty)
            #expect(again.repairedRows == 0)
            #expect(try await subject.entries() == rows)

            let stored = try await subject.store.reconcileFindings(runID: first.run.id)
            #expect(stored.map(\.category).sorted { $0.rawValue < $1.rawValue } == [.missingRemote, .statusMismatch])
            let runs = try await subject.store.reconcileRuns(organisationID: "org-a", target: Self.loxo, limit: 10)
            #expect(runs.map(\.id) == [again.run.id, first.run.id])
            #expect(runs.last?.applied == true)
        }

        @Test("A listing that fails midway is stored as partial and reports nothing missing", arguments: StoreEngine.allCases)
        func partialListing(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let page = RemoteJobPage(jobs: [RemoteJob(remoteID: "R1", marker: marker("job-1"), isOpen: true, fields: Self.title)], next: RemotePageToken("2"))
            let outcome = try await runner(subject, connector(pages: .success(page), .failure(.transient("the target answered 503"))))
                .run(.init(apply: true, actor: "ops"))
            #expect(outcome.run.status == .partial)
            #expect(outcome.run.partialReason?.contains("503") == true)
            #expect(outcome.run.findingCounts.isEmpty, "job-2 was not listed, but the listing was partial")
            #expect(outcome.repairedRows == 0)
        }

        @Test("Drift names the differing fields and queues an update", arguments: StoreEngine.allCases)
        func drift(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let listing = RemoteJobPage(jobs: [
                RemoteJob(remoteID: "R1", marker: marker("job-1"), isOpen: true, fields: ComparableFields(["title": "Backend Engineer II"])),
                RemoteJob(remoteID: "R2", marker: marker("job-2"), isOpen: true, fields: Self.title),
            ], next: nil)
            let outcome = try await runner(subject, connector(pages: .success(listing))).run(.init(apply: true, actor: "ops"))
            #expect(outcome.run.findingCounts == [.drift: 1])
            let finding = try #require(outcome.firstFindings.first)
            #expect(finding.jobID == "job-1")
            #expect(finding.fields == ["title"])
            #expect(finding.detail.contains("Backend Engineer II"))
            #expect(try await subject.entries().first { $0.jobID == "job-1" }?.operation == .update)
        }

        @Test("Never two runs of one target at once; a run whose heartbeat stopped is taken for dead", arguments: StoreEngine.allCases)
        func oneRunAtATime(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let store = subject.store
            let first = try await store.startReconcileRun(organisationID: "org-a", target: Self.loxo, now: Fixtures.now, staleAfter: .seconds(600))
            await #expect(throws: ReconcileRunConflict.self) {
                _ = try await store.startReconcileRun(organisationID: "org-a", target: Self.loxo, now: Fixtures.now.addingTimeInterval(60), staleAfter: .seconds(600))
            }
            // A heartbeat keeps a run alive past its start's staleness.
            try await store.heartbeat(runID: first, now: Fixtures.now.addingTimeInterval(300))
            await #expect(throws: ReconcileRunConflict.self) {
                _ = try await store.startReconcileRun(organisationID: "org-a", target: Self.loxo, now: Fixtures.now.addingTimeInterval(601), staleAfter: .seconds(600))
            }
            // Another target, or another organisation, is not blocked.
            _ = try await store.startReconcileRun(organisationID: "org-a", target: Fixtures.bullhorn, now: Fixtures.now, staleAfter: .seconds(600))
            _ = try await store.startReconcileRun(organisationID: "org-b", target: Self.loxo, now: Fixtures.now, staleAfter: .seconds(600))
            let later = try await store.startReconcileRun(organisationID: "org-a", target: Self.loxo, now: Fixtures.now.addingTimeInterval(901), staleAfter: .seconds(600))
            let runs = try await store.reconcileRuns(organisationID: "org-a", target: Self.loxo, limit: 10)
            #expect(runs.first { $0.id == first }?.status == .failed)
            #expect(runs.first { $0.id == later }?.status == .running)
        }

        @Test("A marker of a job that exists but was never qualified is an orphan only while open; of a job that does not exist, always", arguments: StoreEngine.allCases)
        func orphansOfUnqualifiedJobs(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            // job-3 exists (closed, never qualified); job-77 does not exist.
            let listing = RemoteJobPage(jobs: [
                RemoteJob(remoteID: "R1", marker: marker("job-1"), isOpen: true, fields: Self.title),
                RemoteJob(remoteID: "R2", marker: marker("job-2"), isOpen: true, fields: Self.title),
                RemoteJob(remoteID: "R3", marker: marker("job-3"), isOpen: false),
                RemoteJob(remoteID: "R77", marker: marker("job-77"), isOpen: false),
            ], next: nil)
            let closed = try await runner(subject, connector(pages: .success(listing))).run(.init(actor: "ops"))
            #expect(closed.firstFindings.map { "\($0.category.rawValue) \($0.jobID?.rawValue ?? "-")" } == ["orphan_remote job-77"])
            #expect(closed.firstFindings.first?.detail.contains("does not exist here") == true)

            var reopened = listing
            reopened.jobs[2].isOpen = true
            let open = try await runner(subject, connector(pages: .success(reopened))).run(.init(actor: "ops"))
            let job3 = try #require(open.firstFindings.first { $0.jobID == "job-3" })
            #expect(job3.category == .orphanRemote)
            #expect(job3.detail.contains("not qualified"))
        }

        @Test("Findings of a run that does not exist are refused, and nothing is stored", arguments: StoreEngine.allCases)
        func findingsNeedTheirRun(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let before = try await subject.snapshot()
            let finding = ReconcileFinding(category: .unsynced, jobID: "job-3", remoteID: nil, detail: "planted")
            await #expect(throws: StoreError.self) {
                try await subject.store.recordFindings([finding], runID: 999, organisationID: "org-a")
            }
            #expect(try await subject.snapshot() == before)
        }

        @Test("A second remote job carrying a marker is reported as duplicate_remote and never repaired", arguments: StoreEngine.allCases)
        func duplicateIsReportedOnly(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let before = try await subject.entries()
            let listing = RemoteJobPage(jobs: [
                RemoteJob(remoteID: "R1", marker: marker("job-1"), isOpen: true, fields: Self.title),
                RemoteJob(remoteID: "R2", marker: marker("job-2"), isOpen: true, fields: Self.title),
                RemoteJob(remoteID: "R9", marker: marker("job-1"), isOpen: true, fields: Self.title),
            ], next: nil)
            let outcome = try await runner(subject, connector(pages: .success(listing))).run(.init(apply: true, actor: "ops"))
            #expect(outcome.firstFindings.map(\.category) == [.duplicateRemote], "a second job with job-1's marker is reported only")
            #expect(outcome.repairedRows == 0)
            #expect(try await subject.entries() == before)
        }
    }

    @Suite("Rotated credentials")
    struct Credentials {
        @Test("A credential is replaced only if it is still the one the caller read", arguments: StoreEngine.allCases)
        func compareAndSwap(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            let store = subject.store
            #expect(try await store.credential(named: "refresh_token", target: "bullhorn") == nil)
            #expect(try await store.replaceCredential(named: "refresh_token", target: "bullhorn", expected: nil, with: "r1"))
            #expect(try await !store.replaceCredential(named: "refresh_token", target: "bullhorn", expected: nil, with: "stale"))
            #expect(try await store.replaceCredential(named: "refresh_token", target: "bullhorn", expected: "r1", with: "r2"))
            #expect(try await store.credential(named: "refresh_token", target: "bullhorn") == "r2")
            #expect(try await store.credential(named: "refresh_token", target: "other") == nil)
            #expect(try await store.replaceCredential(named: "refresh_token", target: "bullhorn", expected: "r2", with: nil))
            #expect(try await store.credential(named: "refresh_token", target: "bullhorn") == nil)
        }
    }
}
