import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

extension StoreConformance {
    @Suite("Operator actions")
    struct Operators {
        let dispatch = Dispatch()

        @Test("Replay moves failed rows back with a fresh budget and keeps history; a sent row is never replayed", arguments: StoreEngine.allCases)
        func replay(_ engine: StoreEngine) async throws {
            let subject = try await dispatch.prepared(engine)
            let claims = try await dispatch.claim(subject, owner: "w1", at: Fixtures.now)
            let rejected = ConnectorError.rejected("title too long", httpStatus: 422)
            _ = try await subject.store.settle([
                dispatch.record(for: claims[0], owner: "w1", .failed(reason: "title too long", error: rejected), at: Fixtures.now),
                dispatch.record(for: claims[1], owner: "w1", .delivered(SubmissionReceipt(externalID: "L-2")), at: Fixtures.now),
            ])
            let failedID = claims[0].entry.id
            let sentID = claims[1].entry.id
            let before = try await subject.snapshot()

            await #expect(throws: OperatorActionError.self) {
                _ = try await subject.store.replay(.ids([failedID, sentID]), dryRun: false, actor: "ops", now: Fixtures.now)
            }
            #expect(try await subject.snapshot() == before, "a refused replay changes nothing")

            let dryRun = try await subject.store.replay(
                .failed(target: Fixtures.loxo, errorKind: .rejected, failedSince: nil), dryRun: true, actor: "ops", now: Fixtures.now
            )
            #expect(dryRun.map(\.id) == [failedID])
            #expect(try await subject.snapshot() == before, "a dry run changes nothing")
            #expect(try await subject.store.replay(
                .failed(target: nil, errorKind: .transient, failedSince: nil), dryRun: true, actor: "ops", now: Fixtures.now
            ).isEmpty)

            let later = Fixtures.now.addingTimeInterval(600)
            let replayed = try await subject.store.replay(.ids([failedID]), dryRun: false, actor: "ops", now: later)
            #expect(replayed.map(\.id) == [failedID])
            let row = try #require(try await subject.store.outboxEntry(id: failedID))
            #expect(row.status == .pending)
            #expect(row.attempts == 0)
            #expect(row.nextAttemptAt == later)
            #expect(try await subject.store.attemptHistory(entryID: failedID).count == 1, "history is kept")
            let audit = try #require(try await subject.store.auditLog().last)
            #expect(audit.action == .outboxReplayed)
            #expect(audit.actor == "ops")
        }

        @Test("A planted failed row is replayed like one the dispatcher failed", arguments: StoreEngine.allCases)
        func replayPlanted(_ engine: StoreEngine) async throws {
            let subject = try await dispatch.prepared(engine)
            let row = try #require(try await subject.entries().first)
            try await subject.store.plantFailed(entryID: row.id, kind: .rejected, message: "title too long")
            let failed = try #require(try await subject.store.outboxEntry(id: row.id))
            #expect(failed.status == .failed)
            #expect(failed.lastErrorKind == .rejected)
            #expect(failed.lastErrorMessage == "title too long")
            let replayed = try await subject.store.replay(
                .failed(target: Fixtures.loxo, errorKind: .rejected, failedSince: nil), dryRun: false, actor: "ops", now: Fixtures.now
            )
            #expect(replayed.map(\.id) == [row.id])
            #expect(try await subject.store.outboxEntry(id: row.id)?.status == .pending)
        }

        @Test("Test support plants only on rows that exist, alike on every engine", arguments: StoreEngine.allCases)
        func plantingNeedsARow(_ engine: StoreEngine) async throws {
            let subject = try await dispatch.prepared(engine)
            let before = try await subject.snapshot()
            await #expect(throws: OperatorActionError.self) { try await subject.store.plantSent(entryID: 999, externalID: "L-9", jobVersion: 1) }
            await #expect(throws: OperatorActionError.self) { try await subject.store.plantFailed(entryID: 999, kind: .rejected, message: "x") }
            #expect(try await subject.snapshot() == before)
        }

        @Test("Cancel takes pending and failed rows; in-flight and sent rows are refused and nothing changes", arguments: StoreEngine.allCases)
        func cancel(_ engine: StoreEngine) async throws {
            let subject = try await dispatch.prepared(engine)
            let inFlight = try #require(try await dispatch.claim(subject, owner: "w1", at: Fixtures.now, limit: 1).first)
            let pendingID = try #require(try await subject.entries().first { $0.status == .pending }?.id)
            let before = try await subject.snapshot()
            await #expect(throws: OperatorActionError.self) {
                _ = try await subject.store.cancel(ids: [pendingID, inFlight.entry.id], actor: "ops", now: Fixtures.now)
            }
            await #expect(throws: OperatorActionError.self) {
                _ = try await subject.store.cancel(ids: [999], actor: "ops", now: Fixtures.now)
            }
            #expect(try await subject.snapshot() == before)
            let cancelled = try await subject.store.cancel(ids: [pendingID], actor: "ops", now: Fixtures.now)
            #expect(cancelled.map(\.status) == [.pending])
            #expect(try await subject.store.outboxEntry(id: pendingID)?.status == .cancelled)
            #expect(try await subject.store.auditLog().last?.action == .outboxCancelled)
        }

        @Test("Counts per target and state", arguments: StoreEngine.allCases)
        func counts(_ engine: StoreEngine) async throws {
            let subject = try await dispatch.prepared(engine)
            _ = try await subject.qualify("job-1")
            _ = try await dispatch.claim(subject, owner: "w1", at: Fixtures.now, limit: 1)
            let counts = try await subject.store.outboxCounts()
            #expect(counts[Fixtures.loxo] == [.inFlight: 1, .pending: 1])
            #expect(counts[Fixtures.bullhorn] == [.pending: 1])
            #expect(counts[Fixtures.email] == [.pending: 1])
        }
    }

    @Suite("Decision-maker notifications")
    struct Notifications {
        let dispatch = Dispatch()

        @Test("A notification this worker is still delivering is not claimed again, even with its lease lapsed", arguments: StoreEngine.allCases)
        func runningNotificationsAreNotClaimed(_ engine: StoreEngine) async throws {
            let subject = try await dispatch.prepared(engine)
            let first = try await subject.store.claimNotifications(owner: "w1", now: Fixtures.now, limit: 10, leaseDuration: Dispatch.lease, running: [])
            try #require(first.count >= 2, "job-1 and job-2 notify their decision makers")
            let running = first[0].request.notificationID
            let again = try await subject.store.claimNotifications(
                owner: "w1", now: Fixtures.now.addingTimeInterval(31), limit: 10, leaseDuration: Dispatch.lease, running: [running]
            )
            #expect(Set(again.map(\.request.notificationID)) == Set(first.dropFirst().map(\.request.notificationID)))
        }

        @Test("notify_on_delivery: a delivered create queues job_submitted once per decision maker, skipped without an email; never twice", arguments: StoreEngine.allCases)
        func submittedNotifications(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1", targets: [Fixtures.loxo, Fixtures.bullhorn])
            let submitted = { () async throws -> [String] in
                try await subject.store.notifications(organisationID: "org-a", jobID: "job-1")
                    .filter { $0.type == .jobSubmitted }.map { "\($0.personID) \($0.status.rawValue)" }.sorted()
            }
            let loxo = try #require(try await dispatch.claim(subject, owner: "w", at: Fixtures.now).first)
            _ = try await subject.store.settle([
                dispatch.record(for: loxo, owner: "w", .retry(at: Fixtures.now, error: .transient("503")), at: Fixtures.now, notifying: true),
            ])
            #expect(try await submitted().isEmpty, "only a delivery notifies")

            let again = try #require(try await dispatch.claim(subject, owner: "w", at: Fixtures.now).first)
            _ = try await subject.store.settle([
                dispatch.record(for: again, owner: "w", .delivered(SubmissionReceipt(externalID: "L-1")), at: Fixtures.now, notifying: true),
            ])
            #expect(try await submitted() == ["per-1 pending", "per-2 skipped"])

            let bullhorn = try #require(try await dispatch.claim(subject, owner: "w", at: Fixtures.now, target: Fixtures.bullhorn).first)
            _ = try await subject.store.settle([
                dispatch.record(for: bullhorn, owner: "w", .delivered(SubmissionReceipt(externalID: "B-1")), at: Fixtures.now, notifying: true),
            ])
            #expect(try await submitted() == ["per-1 pending", "per-2 skipped"], "a second target does not tell anyone twice")
        }

        @Test("A notification delivered is sent; one failing is retried; a lost lease changes nothing", arguments: StoreEngine.allCases)
        func settleNotifications(_ engine: StoreEngine) async throws {
            let subject = try await dispatch.prepared(engine)
            let claimed = try await subject.store.claimNotifications(owner: "w1", now: Fixtures.now, limit: 10, leaseDuration: Dispatch.lease, running: [])
            try #require(claimed.count == 2, "per-1 of job-1 and of job-2 (per-2 has no email)")
            let record = { (claim: ClaimedNotification, owner: String, outcome: AttemptOutcome) in
                NotificationRecord(
                    notificationID: claim.request.notificationID, organisationID: claim.organisationID, target: Fixtures.email,
                    leaseOwner: owner, attempt: claim.attempt, startedAt: Fixtures.now, finishedAt: Fixtures.now, outcome: outcome,
                    circuitBreaker: CircuitBreakerSettings()
                )
            }
            let held = try await subject.store.settleNotifications([
                record(claimed[0], "w1", .delivered(SubmissionReceipt(externalID: "<m1@x>"))),
                record(claimed[1], "w2", .delivered(SubmissionReceipt(externalID: "<m2@x>"))),
            ])
            #expect(held == [true, false], "w2 never held the second one")
            let job1 = try await subject.store.notifications(organisationID: "org-a", jobID: claimed[0].request.snapshot.job.id)
            #expect(job1.first { $0.id == claimed[0].request.notificationID }?.status == .sent)
            let job2 = try await subject.store.notifications(organisationID: "org-a", jobID: claimed[1].request.snapshot.job.id)
            #expect(job2.first { $0.id == claimed[1].request.notificationID }?.status == .inFlight)
        }
    }
}
