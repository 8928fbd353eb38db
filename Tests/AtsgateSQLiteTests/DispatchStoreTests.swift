import AtsgateCore
import AtsgateSQLite
import AtsgateTesting
import Foundation
import GRDB
import Testing

@Suite("Outbox leases, fencing and settlement on SQLite")
struct DispatchStoreTests {
    let lease: Duration = .seconds(30)

    func claim(_ temporary: TemporaryStore, owner: String, at now: Date, limit: Int = 10, target: TargetName = Fixtures.loxo) async throws -> [ClaimedSubmission] {
        try await temporary.store.claimSubmissions(ClaimRequest(
            owner: owner, now: now, limits: [target: limit], leaseDurations: [target: lease], referencesWanted: [Fixtures.loxo]
        ))
    }

    func record(for claim: ClaimedSubmission, owner: String, _ outcome: AttemptOutcome, at now: Date, notifying: Bool = false) -> DeliveryRecord {
        DeliveryRecord(
            entryID: claim.entry.id, organisationID: claim.entry.organisationID, target: claim.entry.target, leaseOwner: owner,
            attempt: claim.entry.attempts, operation: claim.entry.operation, mappedJobVersion: claim.snapshot.version,
            startedAt: now, finishedAt: now, outcome: outcome, requestHash: "abc", circuitBreaker: CircuitBreakerSettings(minimumRequests: 2, initialCoolDown: .seconds(60)),
            notifiesDecisionMakers: notifying
        )
    }

    func prepared() async throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1", targets: [Fixtures.loxo])
        _ = try await temporary.qualify("job-2", targets: [Fixtures.loxo])
        return temporary
    }

    @Test("A claim leases due rows with the job as it is now; a second worker gets nothing while the lease holds")
    func claimLeases() async throws {
        let temporary = try await prepared()
        let claims = try await claim(temporary, owner: "w1", at: Fixtures.now)
        #expect(claims.map(\.entry.jobID) == ["job-1", "job-2"])
        let first = try #require(claims.first)
        #expect(first.entry.status == .inFlight)
        #expect(first.entry.attempts == 1)
        #expect(first.entry.leaseOwner == "w1")
        #expect(first.entry.leaseExpiresAt == Fixtures.now.addingTimeInterval(30))
        #expect(first.snapshot.company.name == "Halcyon Robotics")
        #expect(first.snapshot.decisionMakers.map(\.id) == ["per-1", "per-2"])
        #expect(first.snapshot.hiringManagers.map(\.id) == ["per-3"])
        #expect(!first.outcomeUnknown)
        #expect(try await claim(temporary, owner: "w2", at: Fixtures.now.addingTimeInterval(29)).isEmpty)
    }

    @Test("One claim of jobs from two organisations gives each job its own organisation's company and contacts")
    func batchSnapshotsKeepOrganisationsApart() async throws {
        let temporary = try await prepared()
        _ = try await temporary.qualify("job-1", organisation: "org-b", targets: [Fixtures.loxo])
        let claims = try await claim(temporary, owner: "w1", at: Fixtures.now)
        let byOrganisation = Dictionary(grouping: claims, by: \.entry.organisationID)
        #expect(byOrganisation["org-a"]?.map(\.entry.jobID) == ["job-1", "job-2"])
        for claim in byOrganisation["org-a"] ?? [] {
            #expect(claim.snapshot.company.name == "Halcyon Robotics")
            #expect(claim.snapshot.decisionMakers.map(\.id) == ["per-1", "per-2"])
            #expect(claim.snapshot.hiringManagers.map(\.id) == ["per-3"])
        }
        let bramble = try #require(byOrganisation["org-b"]?.first)
        #expect(bramble.snapshot.job.title == "Driver")
        #expect(bramble.snapshot.company.name == "Bramble Logistics")
        #expect(bramble.snapshot.decisionMakers.map(\.id) == ["per-9"])
        #expect(bramble.snapshot.hiringManagers.isEmpty)
    }

    @Test("Rows not yet due are not claimed")
    func notDue() async throws {
        let temporary = try await prepared()
        #expect(try await claim(temporary, owner: "w1", at: Fixtures.now.addingTimeInterval(-1)).isEmpty)
    }

    @Test("A lapsed lease is taken by another worker, recorded as lease_lost, and the create's outcome marked unknown")
    func leaseExpiry() async throws {
        let temporary = try await prepared()
        _ = try await claim(temporary, owner: "w1", at: Fixtures.now, limit: 1)
        let later = Fixtures.now.addingTimeInterval(31)
        let reclaimed = try #require(try await claim(temporary, owner: "w2", at: later, limit: 1).first)
        #expect(reclaimed.entry.jobID == "job-1")
        #expect(reclaimed.entry.leaseOwner == "w2")
        #expect(reclaimed.entry.attempts == 2)
        #expect(reclaimed.outcomeUnknown)
        let history = try await temporary.store.attemptHistory(entryID: reclaimed.entry.id)
        #expect(history.map(\.outcome) == ["lease_lost"])
        #expect(history.first?.worker == "w1")
    }

    @Test("Fencing: the worker that lost its lease cannot overwrite the row; the new owner's outcome stands")
    func fencing() async throws {
        let temporary = try await prepared()
        let stale = try #require(try await claim(temporary, owner: "w1", at: Fixtures.now, limit: 1).first)
        let later = Fixtures.now.addingTimeInterval(31)
        let fresh = try #require(try await claim(temporary, owner: "w2", at: later, limit: 1).first)

        let late = try await temporary.store.settle([record(for: stale, owner: "w1", .delivered(SubmissionReceipt(externalID: "DUP-1")), at: later)])
        #expect(late == [.leaseLost])
        var row = try #require(try await temporary.store.outboxEntry(id: fresh.entry.id))
        #expect(row.status == .inFlight)
        #expect(row.externalID == nil)

        let settled = try await temporary.store.settle([record(for: fresh, owner: "w2", .delivered(SubmissionReceipt(externalID: "L-1")), at: later)])
        guard case .settled = settled.first else { return #expect(Bool(false), "the owner's outcome was refused") }
        row = try #require(try await temporary.store.outboxEntry(id: fresh.entry.id))
        #expect(row.status == .sent)
        #expect(row.externalID == "L-1")
        #expect(row.leaseOwner == nil)
        let outcomes = try await temporary.store.attemptHistory(entryID: fresh.entry.id).map(\.outcome)
        #expect(outcomes == ["lease_lost", "lease_lost", "sent"], "the stale attempt is on record but changed nothing")
    }

    @Test("A row claimed and never attempted goes back as it was: pending, due, its attempt not spent, nothing on record")
    func releaseUnattempted() async throws {
        let temporary = try await prepared()
        let claimed = try await claim(temporary, owner: "w1", at: Fixtures.now)
        let later = Fixtures.now.addingTimeInterval(2)
        let released = try await temporary.store.releaseUnattempted(claimed.map { UnattemptedLease($0, owner: "w1") }, now: later)
        #expect(released == 2)
        for claim in claimed {
            let row = try #require(try await temporary.store.outboxEntry(id: claim.entry.id))
            #expect(row.status == .pending)
            #expect(row.attempts == 0)
            #expect(row.leaseOwner == nil)
            #expect(row.leaseExpiresAt == nil)
            #expect(try await temporary.store.attemptHistory(entryID: claim.entry.id).isEmpty)
        }
        let again = try await claim(temporary, owner: "w2", at: later)
        #expect(again.map(\.entry.jobID) == ["job-1", "job-2"], "due at once, for any worker")
        #expect(again.allSatisfy { $0.entry.attempts == 1 && !$0.outcomeUnknown })
    }

    @Test("Giving back is fenced: a lease that lapsed and was claimed again, or is named with the wrong attempt, is left alone")
    func releaseIsFenced() async throws {
        let temporary = try await prepared()
        let stale = try #require(try await claim(temporary, owner: "w1", at: Fixtures.now, limit: 1).first)
        let later = Fixtures.now.addingTimeInterval(31)
        let fresh = try #require(try await claim(temporary, owner: "w2", at: later, limit: 1).first)
        #expect(fresh.entry.id == stale.entry.id)

        #expect(try await temporary.store.releaseUnattempted([UnattemptedLease(stale, owner: "w1")], now: later) == 0)
        let wrongAttempt = UnattemptedLease(entryID: fresh.entry.id, owner: "w2", attempt: fresh.entry.attempts - 1)
        #expect(try await temporary.store.releaseUnattempted([wrongAttempt], now: later) == 0)
        let row = try #require(try await temporary.store.outboxEntry(id: fresh.entry.id))
        #expect(row.status == .inFlight)
        #expect(row.leaseOwner == "w2")
        #expect(row.attempts == 2)

        // The lapsed attempt stays on record, and the create still looks itself up first.
        #expect(try await temporary.store.releaseUnattempted([UnattemptedLease(fresh, owner: "w2")], now: later) == 1)
        let released = try #require(try await temporary.store.outboxEntry(id: fresh.entry.id))
        #expect(released.status == .pending)
        #expect(released.attempts == 1)
        #expect(try await temporary.store.attemptHistory(entryID: fresh.entry.id).map(\.outcome) == ["lease_lost"])
        let third = try #require(try await claim(temporary, owner: "w3", at: later, limit: 1).first)
        #expect(third.entry.attempts == 2)
        #expect(third.outcomeUnknown)
    }

    @Test("Storing the remote id and marking the row sent commit together, with the attempt and its request hash")
    func sentWithReference() async throws {
        let temporary = try await prepared()
        let claimed = try #require(try await claim(temporary, owner: "w1", at: Fixtures.now, limit: 1).first)
        _ = try await temporary.store.settle([record(for: claimed, owner: "w1", .delivered(SubmissionReceipt(externalID: "L-77", httpStatus: 201)), at: Fixtures.now)])
        let contents = try await temporary.snapshot()
        #expect(contents.tables["external_refs"]?.count == 1)
        #expect(contents.tables["external_refs"]?.first?.contains("L-77") == true)
        let attempt = try #require(try await temporary.store.attemptHistory(entryID: claimed.entry.id).first)
        #expect(attempt.outcome == "sent")
        #expect(attempt.httpStatus == 201)
        #expect(attempt.requestHash == "abc")
    }

    @Test("Unwell attempts open the target's circuit; an open circuit is not claimed until its cool-down ends")
    func circuit() async throws {
        let temporary = try await prepared()
        let claims = try await claim(temporary, owner: "w1", at: Fixtures.now)
        let error = ConnectorError.transient("503", httpStatus: 503)
        // Settled one at a time: the window of requests is kept between settlements.
        for claim in claims {
            _ = try await temporary.store.settle([record(for: claim, owner: "w1", .retry(at: Fixtures.now, error: error), at: Fixtures.now)])
        }
        let health = try #require(try await temporary.store.targetHealth()[Fixtures.loxo])
        #expect(health.circuit == .open(until: Fixtures.now.addingTimeInterval(60)))
        #expect(health.openings == 1)
        let audit = try await temporary.store.reader.read { db in
            try Row.fetchAll(db, sql: "SELECT action, subject FROM audit_log WHERE action LIKE 'circuit%'").map { "\($0["action"] as String) \($0["subject"] as String)" }
        }
        #expect(audit == ["circuit_opened target:loxo"])
        #expect(try await claim(temporary, owner: "w1", at: Fixtures.now.addingTimeInterval(59)).isEmpty)
        let probe = try await claim(temporary, owner: "w1", at: Fixtures.now.addingTimeInterval(60))
        #expect(probe.count == 1, "one probe after the cool-down")
        #expect(try await temporary.store.targetHealth()[Fixtures.loxo]?.circuit == .halfOpen(probeUntil: Fixtures.now.addingTimeInterval(90)))
    }

    @Test("Several failed attempts of one target settled in one transaction open its circuit once, with one audit entry")
    func circuitInOneBatch() async throws {
        let temporary = try await prepared()
        _ = try await temporary.qualify("job-1", organisation: "org-b", targets: [Fixtures.loxo])
        let claims = try await claim(temporary, owner: "w1", at: Fixtures.now)
        #expect(claims.count == 3)
        let error = ConnectorError.transient("503", httpStatus: 503)
        _ = try await temporary.store.settle(claims.map { record(for: $0, owner: "w1", .retry(at: Fixtures.now, error: error), at: Fixtures.now) })
        let health = try #require(try await temporary.store.targetHealth()[Fixtures.loxo])
        #expect(health.circuit == .open(until: Fixtures.now.addingTimeInterval(60)))
        #expect(health.openings == 1, "the third failure, after the circuit opened, does not open it again")
        #expect(health.consecutiveFailures == 3)
        let audit = try await temporary.store.reader.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_log WHERE action = 'circuit_opened'")
        }
        #expect(audit == 1)
    }

    @Test("A claim reports the health it saw: open while cooling down, half-open once it took the probe")
    func claimReportsHealth() async throws {
        let temporary = try await prepared()
        let request = { (now: Date) in
            ClaimRequest(owner: "w1", now: now, limits: [Fixtures.loxo: 10], leaseDurations: [Fixtures.loxo: self.lease])
        }
        let first = try await temporary.store.claim(request(Fixtures.now))
        #expect(first.health[Fixtures.loxo] == TargetHealth())
        let error = ConnectorError.transient("503", httpStatus: 503)
        _ = try await temporary.store.settle(first.submissions.map { record(for: $0, owner: "w1", .retry(at: Fixtures.now, error: error), at: Fixtures.now) })

        let cooling = try await temporary.store.claim(request(Fixtures.now.addingTimeInterval(59)))
        #expect(cooling.submissions.isEmpty)
        let open = try #require(cooling.health[Fixtures.loxo])
        #expect(open.circuit == .open(until: Fixtures.now.addingTimeInterval(60)))
        #expect(open.isWaiting(at: Fixtures.now.addingTimeInterval(59)))
        #expect(!open.isWaiting(at: Fixtures.now.addingTimeInterval(60)))

        let probing = try await temporary.store.claim(request(Fixtures.now.addingTimeInterval(60)))
        #expect(probing.submissions.count == 1)
        #expect(probing.health[Fixtures.loxo]?.circuit == .halfOpen(probeUntil: Fixtures.now.addingTimeInterval(90)))
        #expect(probing.health[Fixtures.loxo]?.isWaiting(at: Fixtures.now.addingTimeInterval(60)) == false, "a half-open circuit may close at any moment")
    }

    @Test("Replay moves failed rows back with a fresh budget and keeps history; a sent row is never replayed")
    func replay() async throws {
        let temporary = try await prepared()
        let claims = try await claim(temporary, owner: "w1", at: Fixtures.now)
        let rejected = ConnectorError.rejected("title too long", httpStatus: 422)
        _ = try await temporary.store.settle([
            record(for: claims[0], owner: "w1", .failed(reason: "title too long", error: rejected), at: Fixtures.now),
            record(for: claims[1], owner: "w1", .delivered(SubmissionReceipt(externalID: "L-2")), at: Fixtures.now),
        ])
        let failedID = claims[0].entry.id
        let sentID = claims[1].entry.id
        let before = try await temporary.snapshot()

        await #expect(throws: OperatorActionError.self) {
            _ = try await temporary.store.replay(.ids([failedID, sentID]), dryRun: false, actor: "ops", now: Fixtures.now)
        }
        #expect(try await temporary.snapshot() == before, "a refused replay changes nothing")

        let dryRun = try await temporary.store.replay(.failed(target: Fixtures.loxo, errorKind: .rejected, failedSince: nil), dryRun: true, actor: "ops", now: Fixtures.now)
        #expect(dryRun.map(\.id) == [failedID])
        #expect(try await temporary.snapshot() == before, "a dry run changes nothing")
        #expect(try await temporary.store.replay(.failed(target: nil, errorKind: .transient, failedSince: nil), dryRun: true, actor: "ops", now: Fixtures.now).isEmpty)

        let later = Fixtures.now.addingTimeInterval(600)
        let replayed = try await temporary.store.replay(.ids([failedID]), dryRun: false, actor: "ops", now: later)
        #expect(replayed.map(\.id) == [failedID])
        let row = try #require(try await temporary.store.outboxEntry(id: failedID))
        #expect(row.status == .pending)
        #expect(row.attempts == 0)
        #expect(row.nextAttemptAt == later)
        #expect(try await temporary.store.attemptHistory(entryID: failedID).count == 1, "history is kept")
        let audit = try await temporary.snapshot().tables["audit_log"] ?? []
        #expect(audit.last?.contains("outbox_replayed") == true)
        #expect(audit.last?.contains("ops") == true)
    }

    @Test("Cancel takes pending and failed rows; in-flight and sent rows are refused and nothing changes")
    func cancel() async throws {
        let temporary = try await prepared()
        let inFlight = try #require(try await claim(temporary, owner: "w1", at: Fixtures.now, limit: 1).first)
        let pendingID = try #require(try await temporary.entries().first { $0.status == .pending }?.id)
        let before = try await temporary.snapshot()
        await #expect(throws: OperatorActionError.self) {
            _ = try await temporary.store.cancel(ids: [pendingID, inFlight.entry.id], actor: "ops", now: Fixtures.now)
        }
        await #expect(throws: OperatorActionError.self) {
            _ = try await temporary.store.cancel(ids: [999], actor: "ops", now: Fixtures.now)
        }
        #expect(try await temporary.snapshot() == before)
        let cancelled = try await temporary.store.cancel(ids: [pendingID], actor: "ops", now: Fixtures.now)
        #expect(cancelled.map(\.status) == [.pending])
        #expect(try await temporary.store.outboxEntry(id: pendingID)?.status == .cancelled)
    }

    @Test("Companies and people a connector learned are stored with the sent row and handed to the next claim")
    func learnedReferences() async throws {
        let temporary = try await prepared()
        let first = try #require(try await claim(temporary, owner: "w1", at: Fixtures.now, limit: 1).first)
        #expect(first.references.isEmpty)
        let learned = RemoteReferences(companies: ["cmp-1": "C-7"], people: ["per-1": "P-1", "per-3": "P-3"])
        _ = try await temporary.store.settle([
            record(for: first, owner: "w1", .delivered(SubmissionReceipt(externalID: "J-1", learnedReferences: learned)), at: Fixtures.now),
        ])

        let second = try #require(try await claim(temporary, owner: "w1", at: Fixtures.now, limit: 1).first)
        #expect(second.entry.jobID == "job-2")
        #expect(second.references == learned)
        // A remote id another local company already holds is not linked twice; the new person is.
        _ = try await temporary.store.settle([
            record(for: second, owner: "w1", .delivered(SubmissionReceipt(
                externalID: "J-2", learnedReferences: RemoteReferences(companies: ["cmp-9": "C-7"], people: ["per-2": "P-2"])
            )), at: Fixtures.now),
        ])
        let references = try #require(try await temporary.snapshot().tables["external_refs"])
        #expect(references.count == 6) // two jobs, one company, three people
        #expect(references.filter { $0.contains("remote_id:\"C-7\"") }.count == 1)
        #expect(references.contains { $0.contains("local_id:\"per-2\"") && $0.contains("remote_id:\"P-2\"") })
    }

    @Test("A create that failed after making the job keeps its id and what it learned; the next claim hands them on")
    func partialProgress() async throws {
        let temporary = try await prepared()
        let first = try #require(try await claim(temporary, owner: "w1", at: Fixtures.now, limit: 1).first)
        let progress = DeliveryProgress(externalID: "J-1", learnedReferences: RemoteReferences(companies: ["cmp-1": "C-7"]))
        let error = ConnectorError.transient("contact attach timed out", mayHaveReachedTarget: true).with(progress: progress)
        _ = try await temporary.store.settle([record(for: first, owner: "w1", .retry(at: Fixtures.now, error: error), at: Fixtures.now)])

        let retry = try #require(try await claim(temporary, owner: "w1", at: Fixtures.now, limit: 1).first)
        #expect(retry.entry.id == first.entry.id)
        #expect(retry.entry.operation == .create)
        #expect(retry.entry.externalID == "J-1", "the retry finishes job J-1 instead of creating another")
        #expect(retry.references.companies == ["cmp-1": "C-7"])
        let references = try #require(try await temporary.snapshot().tables["external_refs"])
        #expect(references.contains { $0.contains("entity_kind:\"job\"") && $0.contains("remote_id:\"J-1\"") })
    }

    @Test("A row whose attempt still runs in this worker is not claimed again, even with its lease lapsed")
    func runningRowsAreNotClaimed() async throws {
        let temporary = try await prepared()
        let claims = try await claim(temporary, owner: "w1", at: Fixtures.now)
        let running = try #require(claims.first).entry.id
        let later = Fixtures.now.addingTimeInterval(31)
        let again = try await temporary.store.claimSubmissions(ClaimRequest(
            owner: "w1", now: later, limits: [Fixtures.loxo: 10], leaseDurations: [Fixtures.loxo: lease], running: [running]
        ))
        #expect(again.map(\.entry.id) == [claims[1].entry.id], "only the other lapsed row")
    }

    @Test("A notification this worker is still delivering is not claimed again, even with its lease lapsed")
    func runningNotificationsAreNotClaimed() async throws {
        let temporary = try await prepared()
        let first = try await temporary.store.claimNotifications(owner: "w1", now: Fixtures.now, limit: 10, leaseDuration: lease, running: [])
        try #require(first.count >= 2, "job-1 and job-2 notify their decision makers")
        let running = first[0].request.notificationID
        let again = try await temporary.store.claimNotifications(
            owner: "w1", now: Fixtures.now.addingTimeInterval(31), limit: 10, leaseDuration: lease, running: [running]
        )
        #expect(Set(again.map(\.request.notificationID)) == Set(first.dropFirst().map(\.request.notificationID)))
    }

    @Test("notify_on_delivery: a delivered create queues job_submitted once per decision maker, skipped without an email; never twice")
    func submittedNotifications() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        _ = try await temporary.qualify("job-1", targets: [Fixtures.loxo, Fixtures.bullhorn])
        let submitted = { () async throws -> [String] in
            try await temporary.store.notifications(organisationID: "org-a", jobID: "job-1")
                .filter { $0.type == .jobSubmitted }.map { "\($0.personID) \($0.status.rawValue)" }.sorted()
        }
        let loxo = try #require(try await claim(temporary, owner: "w", at: Fixtures.now).first)
        _ = try await temporary.store.settle([record(for: loxo, owner: "w", .retry(at: Fixtures.now, error: .transient("503")), at: Fixtures.now, notifying: true)])
        #expect(try await submitted().isEmpty, "only a delivery notifies")

        let again = try #require(try await claim(temporary, owner: "w", at: Fixtures.now).first)
        _ = try await temporary.store.settle([record(for: again, owner: "w", .delivered(SubmissionReceipt(externalID: "L-1")), at: Fixtures.now, notifying: true)])
        #expect(try await submitted() == ["per-1 pending", "per-2 skipped"])

        let bullhorn = try #require(try await claim(temporary, owner: "w", at: Fixtures.now, target: Fixtures.bullhorn).first)
        _ = try await temporary.store.settle([record(for: bullhorn, owner: "w", .delivered(SubmissionReceipt(externalID: "B-1")), at: Fixtures.now, notifying: true)])
        #expect(try await submitted() == ["per-1 pending", "per-2 skipped"], "a second target does not tell anyone twice")
    }
}
