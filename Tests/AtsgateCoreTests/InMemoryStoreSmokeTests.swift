import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

/// The in-memory store through the seam: a few cases of the SQLite engine's tests, with the
/// same assertions, until the conformance suite runs every case against both engines.
@Suite("InMemoryStore smoke tests")
struct InMemoryStoreSmokeTests {
    let lease: Duration = .seconds(30)
    var planner: QualificationPlanner { QualificationPlanner(catalog: Fixtures.catalog, now: Fixtures.now) }

    func qualify(
        _ store: InMemoryStore, _ job: JobID, organisation: OrganisationID = "org-a", _ decision: QualificationDecision = .qualify, targets: [TargetName] = []
    ) async throws -> QualificationOutcome {
        try await store.apply(
            QualificationCommand(organisationID: organisation, jobID: job, decision: decision, targets: targets, actor: "maria"), planner: planner
        )
    }

    func claim(_ store: InMemoryStore, owner: String, at now: Date, limit: Int = 10, target: TargetName = Fixtures.loxo) async throws -> [ClaimedSubmission] {
        try await store.claimSubmissions(ClaimRequest(
            owner: owner, now: now, limits: [target: limit], leaseDurations: [target: lease], referencesWanted: [Fixtures.loxo]
        ))
    }

    func record(for claim: ClaimedSubmission, owner: String, _ outcome: AttemptOutcome, at now: Date, notifying: Bool = false) -> DeliveryRecord {
        DeliveryRecord(
            entryID: claim.entry.id, organisationID: claim.entry.organisationID, target: claim.entry.target, leaseOwner: owner,
            attempt: claim.entry.attempts, operation: claim.entry.operation, mappedJobVersion: claim.snapshot.version,
            startedAt: now, finishedAt: now, outcome: outcome, requestHash: "abc",
            circuitBreaker: CircuitBreakerSettings(minimumRequests: 2, initialCoolDown: .seconds(60)), notifiesDecisionMakers: notifying
        )
    }

    /// job-1 and job-2 of org-a imported and qualified for Loxo.
    func prepared() async throws -> InMemoryStore {
        let store = InMemoryStore()
        _ = try await store.importDataset(Fixtures.dataset(), planner: planner, actor: "test")
        _ = try await qualify(store, "job-1", targets: [Fixtures.loxo])
        _ = try await qualify(store, "job-2", targets: [Fixtures.loxo])
        return store
    }

    @Test("Import: inserted counts, a round trip, and a second import that changes nothing")
    func importRoundTrip() async throws {
        let store = InMemoryStore()
        let summary = try await store.importDataset(Fixtures.dataset(), planner: planner, actor: "test")
        #expect([summary.organisations.inserted, summary.companies.inserted, summary.people.inserted, summary.associations.inserted, summary.jobs.inserted] as [Int] == [2, 2, 4, 4, 4])
        let expected = try #require(try Fixtures.dataset().jobs.first { $0.value.id == "job-1" && $0.value.organisationID == "org-a" }).value
        #expect(try await store.job(organisationID: "org-a", jobID: "job-1") == StoredJob(job: expected, version: 1))
        let before = try await store.contents()
        let again = try await store.importDataset(Fixtures.dataset(), planner: planner, actor: "test")
        #expect(!again.changedAnything)
        #expect(again.jobs.unchanged == 4)
        #expect(try await store.contents() == before)
    }

    @Test("Import: a missing reference is refused with its location, and nothing is stored")
    func importMissingReference() async throws {
        let store = InMemoryStore()
        _ = try await store.importDataset(Fixtures.dataset(), planner: planner, actor: "test")
        let before = try await store.contents()
        let json = """
        {"companies": [{"id": "cmp-new", "organisation_id": "org-a", "name": "New Co"}],
         "jobs": [{"id": "job-9", "organisation_id": "org-a", "company_id": "cmp-nope", "title": "T", "status": "open"}]}
        """
        do {
            _ = try await store.importDataset(Fixtures.dataset(fromJSON: json), planner: planner, actor: "test")
            Issue.record("the import was accepted")
        } catch let error as ImportError {
            #expect(error.issues.map(\.description) == ["test.json: jobs[0]: field 'company_id': no company 'cmp-nope' in organisation 'org-a' in this import or the database"])
        }
        #expect(try await store.contents() == before)
    }

    @Test("Import: an edit raises the version and queues an update where the job was delivered")
    func importEdit() async throws {
        let store = InMemoryStore()
        _ = try await store.importDataset(Fixtures.dataset(), planner: planner, actor: "test")
        _ = try await qualify(store, "job-1")
        let loxoRow = try #require(try await store.outboxEntries(matching: OutboxFilter(target: Fixtures.loxo)).first)
        try await store.plantSent(entryID: loxoRow.id, externalID: "L-1", jobVersion: 1)
        let edited = Fixtures.smallDatasetJSON.replacingOccurrences(of: "\"Backend Engineer\"", with: "\"Senior Backend Engineer\"")
        let summary = try await store.importDataset(Fixtures.dataset(fromJSON: edited), planner: planner, actor: "test")
        #expect(summary.jobs.updated == 1)
        #expect(summary.queuedSubmissions == 1)
        let job = try #require(try await store.job(organisationID: "org-a", jobID: "job-1"))
        #expect(job.job.qualificationStatus == .qualify)
        #expect(job.version == 2)
        let rows = try await store.outboxEntries(matching: OutboxFilter(jobID: "job-1"))
        #expect(rows.map { "\($0.target):\($0.operation.rawValue):\($0.status.rawValue):\($0.jobVersion)" } == [
            "bullhorn:create:pending:1", "email:create:pending:1", "loxo:update:pending:2",
        ])
    }

    @Test("Planted failures roll a whole import or qualification back")
    func plantedFailures() async throws {
        let store = InMemoryStore()
        _ = try await store.importDataset(Fixtures.dataset(), planner: planner, actor: "test")
        try await store.plantFailure(.storingJob("job-boom"))
        let before = try await store.contents()
        let json = """
        {"companies": [{"id": "cmp-new", "organisation_id": "org-a", "name": "New Co"}],
         "jobs": [{"id": "job-ok", "organisation_id": "org-a", "company_id": "cmp-new", "title": "T", "status": "open"},
                  {"id": "job-boom", "organisation_id": "org-a", "company_id": "cmp-new", "title": "T", "status": "open"}]}
        """
        await #expect(throws: StoreError(.unavailable, "planted failure")) {
            _ = try await store.importDataset(Fixtures.dataset(fromJSON: json), planner: planner, actor: "test")
        }
        #expect(try await store.contents() == before)

        try await store.plantFailure(.storingAuditEntry)
        await #expect(throws: StoreError.self) { _ = try await qualify(store, "job-1") }
        #expect(try await store.contents() == before)
    }

    @Test("Qualify: the status, one row per enabled target, notifications, an audit entry; tenants stay apart")
    func qualification() async throws {
        let store = InMemoryStore()
        _ = try await store.importDataset(Fixtures.dataset(), planner: planner, actor: "test")
        _ = try await qualify(store, "job-1")
        let job = try #require(try await store.job(organisationID: "org-a", jobID: "job-1"))
        #expect(job.job.qualificationStatus == .qualify)
        #expect(job.job.qualifiedAt == Fixtures.now)
        let rows = try await store.outboxEntries(matching: OutboxFilter())
        #expect(rows.map { "\($0.id) \($0.target):\($0.operation.rawValue):\($0.status.rawValue)" } == [
            "1 bullhorn:create:pending", "2 email:create:pending", "3 loxo:create:pending",
        ])
        let notifications = try await store.notifications(organisationID: "org-a", jobID: "job-1")
        #expect(notifications.map { "\($0.personID):\($0.status.rawValue):\($0.error ?? "")" } == ["per-1:pending:", "per-2:skipped:person has no email address"])
        #expect(try await store.auditLog().last.map { "\($0.action.rawValue) \($0.subject)" } == "job_qualified job:job-1")
        let audit = try await store.contents().tables["audit_log"] ?? []
        #expect(audit.last?.contains("job_qualified") == true)

        let before = try await store.contents()
        await #expect(throws: WorkflowError.jobNotFound("job-2", organisation: "org-b")) { _ = try await qualify(store, "job-2", organisation: "org-b") }
        let nope = try #require(TargetName(rawValue: "nope"))
        await #expect(throws: WorkflowError.self) { _ = try await qualify(store, "job-2", targets: [Fixtures.loxo, nope]) }
        #expect(try await store.contents() == before)
    }

    @Test("Claim leases due rows with the job as it is now; a lapsed lease is recorded as lease_lost; fencing holds")
    func claimAndFencing() async throws {
        let store = try await prepared()
        #expect(try await claim(store, owner: "w1", at: Fixtures.now.addingTimeInterval(-1)).isEmpty)
        let stale = try #require(try await claim(store, owner: "w1", at: Fixtures.now, limit: 1).first)
        #expect(stale.entry.jobID == "job-1")
        #expect(stale.entry.status == .inFlight)
        #expect(stale.entry.attempts == 1)
        #expect(stale.entry.leaseExpiresAt == Fixtures.now.addingTimeInterval(30))
        #expect(stale.snapshot.company.name == "Halcyon Robotics")
        #expect(stale.snapshot.decisionMakers.map(\.id) == ["per-1", "per-2"])
        #expect(stale.snapshot.hiringManagers.map(\.id) == ["per-3"])
        #expect(!stale.outcomeUnknown)

        let later = Fixtures.now.addingTimeInterval(31)
        let fresh = try #require(try await claim(store, owner: "w2", at: later, limit: 1).first)
        #expect(fresh.entry.id == stale.entry.id)
        #expect(fresh.entry.attempts == 2)
        #expect(fresh.outcomeUnknown)
        #expect(try await store.outcomeUnknown(entryID: fresh.entry.id))

        let late = try await store.settle([record(for: stale, owner: "w1", .delivered(SubmissionReceipt(externalID: "DUP-1")), at: later)])
        #expect(late == [.leaseLost])
        #expect(try await store.outboxEntry(id: fresh.entry.id)?.status == .inFlight)

        let settled = try await store.settle([record(for: fresh, owner: "w2", .delivered(SubmissionReceipt(externalID: "L-1", httpStatus: 201)), at: later)])
        guard case .settled = settled.first else { return #expect(Bool(false), "the owner's outcome was refused") }
        let row = try #require(try await store.outboxEntry(id: fresh.entry.id))
        #expect(row.status == .sent)
        #expect(row.externalID == "L-1")
        #expect(row.leaseOwner == nil)
        let history = try await store.attemptHistory(entryID: fresh.entry.id)
        #expect(history.map(\.outcome) == ["lease_lost", "lease_lost", "sent"])
        #expect(history.first?.worker == "w1")
        #expect(history.last?.httpStatus == 201)
        #expect(try await store.remoteLinks().map(\.description) == ["job job-1 → loxo L-1"])
        let references = try #require(try await store.contents().tables["external_refs"])
        #expect(references.first?.contains("remote_id:\"L-1\"") == true)
    }

    @Test("Rows given back are pending and due again with their attempt unspent; a stale lease is left alone")
    func releaseUnattempted() async throws {
        let store = try await prepared()
        let claimed = try await claim(store, owner: "w1", at: Fixtures.now)
        #expect(try await store.releaseUnattempted([UnattemptedLease(entryID: claimed[0].entry.id, owner: "w9", attempt: 1)], now: Fixtures.now) == 0)
        let later = Fixtures.now.addingTimeInterval(2)
        #expect(try await store.releaseUnattempted(claimed.map { UnattemptedLease($0, owner: "w1") }, now: later) == 2)
        for claim in claimed {
            let row = try #require(try await store.outboxEntry(id: claim.entry.id))
            #expect(row.status == .pending)
            #expect(row.attempts == 0)
            #expect(row.leaseExpiresAt == nil)
        }
        let again = try await claim(store, owner: "w2", at: later)
        #expect(again.map(\.entry.jobID) == ["job-1", "job-2"])
    }

    @Test("Learned references are linked once per remote id and handed to the next claim")
    func learnedReferences() async throws {
        let store = try await prepared()
        let first = try #require(try await claim(store, owner: "w1", at: Fixtures.now, limit: 1).first)
        let learned = RemoteReferences(companies: ["cmp-1": "C-7"], people: ["per-1": "P-1", "per-3": "P-3"])
        _ = try await store.settle([record(for: first, owner: "w1", .delivered(SubmissionReceipt(externalID: "J-1", learnedReferences: learned)), at: Fixtures.now)])
        let second = try #require(try await claim(store, owner: "w1", at: Fixtures.now, limit: 1).first)
        #expect(second.references == learned)
        _ = try await store.settle([
            record(for: second, owner: "w1", .delivered(SubmissionReceipt(
                externalID: "J-2", learnedReferences: RemoteReferences(companies: ["cmp-9": "C-7"], people: ["per-2": "P-2"])
            )), at: Fixtures.now),
        ])
        let links = try await store.remoteLinks()
        #expect(links.count == 6)
        #expect(links.filter { $0.remoteID == "C-7" }.count == 1)
    }

    @Test("Unwell attempts open the circuit once, audited; one probe after the cool-down")
    func circuit() async throws {
        let store = try await prepared()
        _ = try await qualify(store, "job-1", organisation: "org-b", targets: [Fixtures.loxo])
        let claims = try await claim(store, owner: "w1", at: Fixtures.now)
        #expect(claims.count == 3)
        let error = ConnectorError.transient("503", httpStatus: 503)
        _ = try await store.settle(claims.map { record(for: $0, owner: "w1", .retry(at: Fixtures.now, error: error), at: Fixtures.now) })
        let health = try #require(try await store.targetHealth()[Fixtures.loxo])
        #expect(health.circuit == .open(until: Fixtures.now.addingTimeInterval(60)))
        #expect(health.openings == 1)
        #expect(health.consecutiveFailures == 3)
        #expect(try await store.auditLog().filter { $0.action == .circuitOpened }.map(\.subject) == ["target:loxo"])

        let request = { (now: Date) in ClaimRequest(owner: "w1", now: now, limits: [Fixtures.loxo: 10], leaseDurations: [Fixtures.loxo: self.lease]) }
        let cooling = try await store.claim(request(Fixtures.now.addingTimeInterval(59)))
        #expect(cooling.submissions.isEmpty)
        #expect(cooling.health[Fixtures.loxo]?.isWaiting(at: Fixtures.now.addingTimeInterval(59)) == true)
        let probing = try await store.claim(request(Fixtures.now.addingTimeInterval(60)))
        #expect(probing.submissions.count == 1)
        #expect(probing.health[Fixtures.loxo]?.circuit == .halfOpen(probeUntil: Fixtures.now.addingTimeInterval(90)))
        #expect(try await store.targetHealth()[Fixtures.loxo]?.circuit == .halfOpen(probeUntil: Fixtures.now.addingTimeInterval(90)))
    }

    @Test("Replay moves failed rows back with a fresh budget; a refused replay or a dry run changes nothing")
    func replay() async throws {
        let store = try await prepared()
        let wakeups = store.wakeupListener()
        defer { wakeups.close() }
        let claims = try await claim(store, owner: "w1", at: Fixtures.now)
        _ = try await store.settle([
            record(for: claims[0], owner: "w1", .failed(reason: "title too long", error: .rejected("title too long", httpStatus: 422)), at: Fixtures.now),
            record(for: claims[1], owner: "w1", .delivered(SubmissionReceipt(externalID: "L-2")), at: Fixtures.now),
        ])
        let failedID = claims[0].entry.id
        let before = try await store.contents()
        await #expect(throws: OperatorActionError.self) {
            _ = try await store.replay(.ids([failedID, claims[1].entry.id]), dryRun: false, actor: "ops", now: Fixtures.now)
        }
        let dryRun = try await store.replay(.failed(target: Fixtures.loxo, errorKind: .rejected, failedSince: nil), dryRun: true, actor: "ops", now: Fixtures.now)
        #expect(dryRun.map(\.id) == [failedID])
        #expect(try await store.contents() == before)

        let later = Fixtures.now.addingTimeInterval(600)
        #expect(try await store.replay(.ids([failedID]), dryRun: false, actor: "ops", now: later).map(\.id) == [failedID])
        let row = try #require(try await store.outboxEntry(id: failedID))
        #expect(row.status == .pending)
        #expect(row.attempts == 0)
        #expect(row.nextAttemptAt == later)
        #expect(try await store.attemptHistory(entryID: failedID).count == 1)
        #expect(try await store.auditLog().last.map { "\($0.action.rawValue) \($0.actor)" } == "outbox_replayed ops")
        var iterator = wakeups.wakeups().makeAsyncIterator()
        #expect(await iterator.next() != nil, "the replay rang the workers")
    }

    @Test("Reconcile: findings stored with the run, repairs queued, a second --apply adds nothing, one run at a time")
    func reconcile() async throws {
        let store = try await prepared()
        let title = ComparableFields(["title": "Backend Engineer"])
        let claims = try await claim(store, owner: "w", at: Fixtures.now)
        _ = try await store.settle(claims.map { claim in
            record(for: claim, owner: "w", .delivered(SubmissionReceipt(externalID: claim.entry.jobID == "job-1" ? "R1" : "R2", comparedFieldsDigest: title.digest)), at: Fixtures.now)
        })
        let listing = RemoteJobPage(jobs: [
            RemoteJob(remoteID: "R1", marker: JobMarker(organisationID: "org-a", jobID: "job-1"), isOpen: false, fields: title),
        ], next: nil)
        let runner = { () -> ReconcileRunner in
            let connector = ScriptedConnector(target: Fixtures.loxo, capabilities: .ats)
            connector.scriptPages(.success(listing))
            connector.scriptComparableFields { _ in title }
            return ReconcileRunner(store: store, connector: connector, target: try #require(Fixtures.catalog[Fixtures.loxo]), organisationID: "org-a")
        }
        let first = try await runner().run(.init(apply: true, actor: "ops"))
        #expect(first.run.status == .completed)
        #expect(first.run.findingCounts == [.statusMismatch: 1, .missingRemote: 1])
        #expect(first.repairedRows == 2)
        let rows = try await store.outboxEntries(matching: OutboxFilter())
        #expect(rows.map { "\($0.jobID) \($0.status.rawValue) \($0.operation.rawValue) \($0.externalID ?? "-")" } == [
            "job-1 pending update R1", "job-2 pending create -",
        ])
        let again = try await runner().run(.init(apply: true, actor: "ops"))
        #expect(again.repairedRows == 0)
        #expect(try await store.outboxEntries(matching: OutboxFilter()) == rows)
        let stored = try await store.reconcileFindings(runID: first.run.id)
        #expect(Set(stored.map(\.category)) == [.missingRemote, .statusMismatch])
        #expect(try await store.reconcileRuns(organisationID: "org-a", target: Fixtures.loxo, limit: 10).map(\.id) == [again.run.id, first.run.id])

        let start = Fixtures.now.addingTimeInterval(86_400 * 365)
        let run = try await store.startReconcileRun(organisationID: "org-a", target: Fixtures.loxo, now: start, staleAfter: .seconds(600))
        await #expect(throws: ReconcileRunConflict(runID: run, startedAt: start)) {
            _ = try await store.startReconcileRun(organisationID: "org-a", target: Fixtures.loxo, now: start.addingTimeInterval(60), staleAfter: .seconds(600))
        }
        let next = try await store.startReconcileRun(organisationID: "org-a", target: Fixtures.loxo, now: start.addingTimeInterval(601), staleAfter: .seconds(600))
        let runs = try await store.reconcileRuns(organisationID: "org-a", target: Fixtures.loxo, limit: 10)
        #expect(runs.first { $0.id == run }?.status == .failed)
        #expect(runs.first { $0.id == next }?.status == .running)
    }

    @Test("Credentials are replaced only when the stored one is still the expected one")
    func credentials() async throws {
        let store = InMemoryStore()
        #expect(try await store.replaceCredential(named: "refresh", target: Fixtures.bullhorn, expected: nil, with: "t1"))
        #expect(try await !store.replaceCredential(named: "refresh", target: Fixtures.bullhorn, expected: nil, with: "t2"))
        #expect(try await store.credential(named: "refresh", target: Fixtures.bullhorn) == "t1")
        #expect(try await store.replaceCredential(named: "refresh", target: Fixtures.bullhorn, expected: "t1", with: nil))
        #expect(try await store.credential(named: "refresh", target: Fixtures.bullhorn) == nil)
        #expect(try await store.describe().engine == "in-memory")
    }
}
