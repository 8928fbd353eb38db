import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

extension StoreConformance {
    @Suite("Claims, leases, fencing and settlement")
    struct Dispatch {
        static let lease: Duration = .seconds(30)

        func claim(
            _ subject: StoreFixture, owner: String, at now: Date, limit: Int = 10, target: TargetName = Fixtures.loxo
        ) async throws -> [ClaimedSubmission] {
            try await subject.store.claimSubmissions(ClaimRequest(
                owner: owner, now: now, limits: [DeliveryLane(target): limit], leaseDurations: [target: Self.lease], referencesWanted: [Fixtures.loxo]
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

        /// job-1 and job-2 of org-a qualified for Loxo.
        func prepared(_ engine: StoreEngine) async throws -> StoreFixture {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            _ = try await subject.qualify("job-1", targets: [Fixtures.loxo])
            _ = try await subject.qualify("job-2", targets: [Fixtures.loxo])
            return subject
        }

        @Test("A claim leases due rows with the job as it is now; a second worker gets nothing while the lease holds", arguments: StoreEngine.allCases)
        func claimLeases(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let claims = try await claim(subject, owner: "w1", at: Fixtures.now)
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
            #expect(try await claim(subject, owner: "w2", at: Fixtures.now.addingTimeInterval(29)).isEmpty)
        }

        @Test("One claim of jobs from two organisations gives each job its own organisation's company and contacts", arguments: StoreEngine.allCases)
        func batchSnapshotsKeepOrganisationsApart(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            _ = try await subject.qualify("job-1", organisation: "org-b", targets: [Fixtures.loxo])
            let claims = try await claim(subject, owner: "w1", at: Fixtures.now)
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

        @Test("Rows not yet due are not claimed", arguments: StoreEngine.allCases)
        func notDue(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            #expect(try await claim(subject, owner: "w1", at: Fixtures.now.addingTimeInterval(-1)).isEmpty)
        }

        @Test("A lapsed lease is taken by another worker, recorded as lease_lost, and the create's outcome marked unknown", arguments: StoreEngine.allCases)
        func leaseExpiry(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            _ = try await claim(subject, owner: "w1", at: Fixtures.now, limit: 1)
            let later = Fixtures.now.addingTimeInterval(31)
            let reclaimed = try #require(try await claim(subject, owner: "w2", at: later, limit: 1).first)
            #expect(reclaimed.entry.jobID == "job-1")
            #expect(reclaimed.entry.leaseOwner == "w2")
            #expect(reclaimed.entry.attempts == 2)
            #expect(reclaimed.outcomeUnknown)
            #expect(try await subject.store.outcomeUnknown(entryID: reclaimed.entry.id))
            let history = try await subject.store.attemptHistory(entryID: reclaimed.entry.id)
            #expect(history.map(\.outcome) == ["lease_lost"])
            #expect(history.first?.worker == "w1")
        }

        @Test("Fencing: the worker that lost its lease cannot overwrite the row; the new owner's outcome stands", arguments: StoreEngine.allCases)
        func fencing(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let stale = try #require(try await claim(subject, owner: "w1", at: Fixtures.now, limit: 1).first)
            let later = Fixtures.now.addingTimeInterval(31)
            let fresh = try #require(try await claim(subject, owner: "w2", at: later, limit: 1).first)

            let late = try await subject.store.settle([record(for: stale, owner: "w1", .delivered(SubmissionReceipt(externalID: "DUP-1")), at: later)])
            #expect(late == [.leaseLost])
            var row = try #require(try await subject.store.outboxEntry(id: fresh.entry.id))
            #expect(row.status == .inFlight)
            #expect(row.externalID == nil)

            let settled = try await subject.store.settle([record(for: fresh, owner: "w2", .delivered(SubmissionReceipt(externalID: "L-1")), at: later)])
            guard case .settled = settled.first else { return #expect(Bool(false), "the owner's outcome was refused") }
            row = try #require(try await subject.store.outboxEntry(id: fresh.entry.id))
            #expect(row.status == .sent)
            #expect(row.externalID == "L-1")
            #expect(row.leaseOwner == nil)
            let outcomes = try await subject.store.attemptHistory(entryID: fresh.entry.id).map(\.outcome)
            #expect(outcomes == ["lease_lost", "lease_lost", "sent"], "the stale attempt is on record but changed nothing")
        }

        @Test("A row claimed and never attempted goes back as it was: pending, due, its attempt not spent, nothing on record", arguments: StoreEngine.allCases)
        func releaseUnattempted(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let claimed = try await claim(subject, owner: "w1", at: Fixtures.now)
            let later = Fixtures.now.addingTimeInterval(2)
            let released = try await subject.store.releaseUnattempted(claimed.map { UnattemptedLease($0, owner: "w1") }, now: later)
            #expect(released == 2)
            for claim in claimed {
                let row = try #require(try await subject.store.outboxEntry(id: claim.entry.id))
                #expect(row.status == .pending)
                #expect(row.attempts == 0)
                #expect(row.leaseOwner == nil)
                #expect(row.leaseExpiresAt == nil)
                #expect(try await subject.store.attemptHistory(entryID: claim.entry.id).isEmpty)
            }
            let again = try await claim(subject, owner: "w2", at: later)
            #expect(again.map(\.entry.jobID) == ["job-1", "job-2"], "due at once, for any worker")
            #expect(again.allSatisfy { $0.entry.attempts == 1 && !$0.outcomeUnknown })
        }

        @Test("Giving back is fenced: a lease that lapsed and was claimed again, or is named with the wrong attempt, is left alone", arguments: StoreEngine.allCases)
        func releaseIsFenced(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let stale = try #require(try await claim(subject, owner: "w1", at: Fixtures.now, limit: 1).first)
            let later = Fixtures.now.addingTimeInterval(31)
            let fresh = try #require(try await claim(subject, owner: "w2", at: later, limit: 1).first)
            #expect(fresh.entry.id == stale.entry.id)

            #expect(try await subject.store.releaseUnattempted([UnattemptedLease(stale, owner: "w1")], now: later) == 0)
            let wrongAttempt = UnattemptedLease(entryID: fresh.entry.id, owner: "w2", attempt: fresh.entry.attempts - 1)
            #expect(try await subject.store.releaseUnattempted([wrongAttempt], now: later) == 0)
            let row = try #require(try await subject.store.outboxEntry(id: fresh.entry.id))
            #expect(row.status == .inFlight)
            #expect(row.leaseOwner == "w2")
            #expect(row.attempts == 2)

            // The lapsed attempt stays on record, and the create still looks itself up first.
            #expect(try await subject.store.releaseUnattempted([UnattemptedLease(fresh, owner: "w2")], now: later) == 1)
            let released = try #require(try await subject.store.outboxEntry(id: fresh.entry.id))
            #expect(released.status == .pending)
            #expect(released.attempts == 1)
            #expect(try await subject.store.attemptHistory(entryID: fresh.entry.id).map(\.outcome) == ["lease_lost"])
            let third = try #require(try await claim(subject, owner: "w3", at: later, limit: 1).first)
            #expect(third.entry.attempts == 2)
            #expect(third.outcomeUnknown)
        }

        @Test("Storing the remote id and marking the row sent commit together, with the attempt and its request hash", arguments: StoreEngine.allCases)
        func sentWithReference(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let claimed = try #require(try await claim(subject, owner: "w1", at: Fixtures.now, limit: 1).first)
            _ = try await subject.store.settle([
                record(for: claimed, owner: "w1", .delivered(SubmissionReceipt(externalID: "L-77", httpStatus: 201)), at: Fixtures.now),
            ])
            #expect(try await subject.store.remoteLinks() == [
                RemoteLink(organisationID: "org-a", kind: .job, localID: "job-1", target: Fixtures.loxo, remoteID: "L-77"),
            ])
            let attempt = try #require(try await subject.store.attemptHistory(entryID: claimed.entry.id).first)
            #expect(attempt.outcome == "sent")
            #expect(attempt.httpStatus == 201)
            #expect(attempt.requestHash == "abc")
        }

        @Test("Unwell attempts open the target's circuit; an open circuit is not claimed until its cool-down ends", arguments: StoreEngine.allCases)
        func circuit(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let claims = try await claim(subject, owner: "w1", at: Fixtures.now)
            let error = ConnectorError.transient("503", httpStatus: 503)
            // Settled one at a time: the window of requests is kept between settlements.
            for claim in claims {
                _ = try await subject.store.settle([record(for: claim, owner: "w1", .retry(at: Fixtures.now, error: error), at: Fixtures.now)])
            }
            let health = try #require(try await subject.store.targetHealth()[DeliveryLane(Fixtures.loxo)])
            #expect(health.circuit == .open(until: Fixtures.now.addingTimeInterval(60)))
            #expect(health.openings == 1)
            let audit = try await subject.store.auditLog().filter { $0.action == .circuitOpened || $0.action == .circuitClosed }
            #expect(audit.map { "\($0.action.rawValue) \($0.subject)" } == ["circuit_opened target:loxo"])
            #expect(try await claim(subject, owner: "w1", at: Fixtures.now.addingTimeInterval(59)).isEmpty)
            let probe = try await claim(subject, owner: "w1", at: Fixtures.now.addingTimeInterval(60))
            #expect(probe.count == 1, "one probe after the cool-down")
            #expect(try await subject.store.targetHealth()[DeliveryLane(Fixtures.loxo)]?.circuit == .halfOpen(probeUntil: Fixtures.now.addingTimeInterval(90)))
        }

        @Test("An organisation with its own connection is a lane of its own: its rows, its circuit; the default lane takes every other organisation's", arguments: StoreEngine.allCases)
        func lanes(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            _ = try await subject.qualify("job-1", organisation: "org-b", targets: [Fixtures.loxo])
            let own: [TargetName: Set<OrganisationID>] = [Fixtures.loxo: ["org-b"]]
            let ownLane = DeliveryLane(Fixtures.loxo, connectionOf: "org-b")
            let defaultLane = DeliveryLane(Fixtures.loxo)
            func claim(_ lane: DeliveryLane, at now: Date) async throws -> ClaimBatch {
                try await subject.store.claim(ClaimRequest(
                    owner: "w1", now: now, limits: [lane: 10], leaseDurations: [Fixtures.loxo: Self.lease], ownConnections: own
                ))
            }
            let owned = try await claim(ownLane, at: Fixtures.now)
            #expect(owned.submissions.map { "\($0.entry.organisationID)/\($0.entry.jobID)" } == ["org-b/job-1"])
            #expect(owned.submissions.allSatisfy { $0.lane == ownLane })

            // org-b's account refuses: its circuit opens, the default lane's stays closed.
            let refused = ConnectorError.auth("401", httpStatus: 401)
            let failure = RequestTally(failed: 2)
            _ = try await subject.store.settle(owned.submissions.map {
                var record = record(for: $0, owner: "w1", .retry(at: Fixtures.now, error: refused), at: Fixtures.now)
                record.lane = $0.lane
                record.requests = failure
                return record
            })
            let health = try await subject.store.targetHealth()
            #expect(health[ownLane]?.circuit == .open(until: Fixtures.now.addingTimeInterval(60)))
            #expect(health[defaultLane].map { $0.circuit == .closed } ?? true)
            let audit = try await subject.store.auditLog().filter { $0.action == .circuitOpened }
            #expect(audit.map(\.subject) == ["connection:org-b/loxo"])
            #expect(audit.first?.organisationID == "org-b")

            let rest = try await claim(defaultLane, at: Fixtures.now.addingTimeInterval(1))
            #expect(rest.submissions.map { "\($0.entry.organisationID)/\($0.entry.jobID)" } == ["org-a/job-1", "org-a/job-2"])
            #expect(try await claim(ownLane, at: Fixtures.now.addingTimeInterval(1)).submissions.isEmpty, "org-b's circuit is open")
        }

        @Test("Several failed attempts of one target settled in one transaction open its circuit once, with one audit entry", arguments: StoreEngine.allCases)
        func circuitInOneBatch(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            _ = try await subject.qualify("job-1", organisation: "org-b", targets: [Fixtures.loxo])
            let claims = try await claim(subject, owner: "w1", at: Fixtures.now)
            #expect(claims.count == 3)
            let error = ConnectorError.transient("503", httpStatus: 503)
            _ = try await subject.store.settle(claims.map { record(for: $0, owner: "w1", .retry(at: Fixtures.now, error: error), at: Fixtures.now) })
            let health = try #require(try await subject.store.targetHealth()[DeliveryLane(Fixtures.loxo)])
            #expect(health.circuit == .open(until: Fixtures.now.addingTimeInterval(60)))
            #expect(health.openings == 1, "the third failure, after the circuit opened, does not open it again")
            #expect(health.consecutiveFailures == 3)
            #expect(try await subject.store.auditLog().filter { $0.action == .circuitOpened }.count == 1)
        }

        @Test("A claim reports the health it saw: open while cooling down, half-open once it took the probe", arguments: StoreEngine.allCases)
        func claimReportsHealth(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let request = { (now: Date) in
                ClaimRequest(owner: "w1", now: now, limits: [DeliveryLane(Fixtures.loxo): 10], leaseDurations: [Fixtures.loxo: Self.lease])
            }
            let first = try await subject.store.claim(request(Fixtures.now))
            #expect(first.health[DeliveryLane(Fixtures.loxo)] == TargetHealth())
            let error = ConnectorError.transient("503", httpStatus: 503)
            _ = try await subject.store.settle(first.submissions.map { record(for: $0, owner: "w1", .retry(at: Fixtures.now, error: error), at: Fixtures.now) })

            let cooling = try await subject.store.claim(request(Fixtures.now.addingTimeInterval(59)))
            #expect(cooling.submissions.isEmpty)
            let open = try #require(cooling.health[DeliveryLane(Fixtures.loxo)])
            #expect(open.circuit == .open(until: Fixtures.now.addingTimeInterval(60)))
            #expect(open.isWaiting(at: Fixtures.now.addingTimeInterval(59)))
            #expect(!open.isWaiting(at: Fixtures.now.addingTimeInterval(60)))

            let probing = try await subject.store.claim(request(Fixtures.now.addingTimeInterval(60)))
            #expect(probing.submissions.count == 1)
            #expect(probing.health[DeliveryLane(Fixtures.loxo)]?.circuit == .halfOpen(probeUntil: Fixtures.now.addingTimeInterval(90)))
            #expect(probing.health[DeliveryLane(Fixtures.loxo)]?.isWaiting(at: Fixtures.now.addingTimeInterval(60)) == false, "a half-open circuit may close at any moment")
        }

        @Test("Companies and people a connector learned are stored with the sent row and handed to the next claim", arguments: StoreEngine.allCases)
        func learnedReferences(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let first = try #require(try await claim(subject, owner: "w1", at: Fixtures.now, limit: 1).first)
            #expect(first.references.isEmpty)
            let learned = RemoteReferences(companies: ["cmp-1": "C-7"], people: ["per-1": "P-1", "per-3": "P-3"])
            _ = try await subject.store.settle([
                record(for: first, owner: "w1", .delivered(SubmissionReceipt(externalID: "J-1", learnedReferences: learned)), at: Fixtures.now),
            ])

            let second = try #require(try await claim(subject, owner: "w1", at: Fixtures.now, limit: 1).first)
            #expect(second.entry.jobID == "job-2")
            #expect(second.references == learned)
            // A remote id another local company already holds is not linked twice; the new person is.
            _ = try await subject.store.settle([
                record(for: second, owner: "w1", .delivered(SubmissionReceipt(
                    externalID: "J-2", learnedReferences: RemoteReferences(companies: ["cmp-9": "C-7"], people: ["per-2": "P-2"])
                )), at: Fixtures.now),
            ])
            let links = try await subject.store.remoteLinks()
            #expect(links.count == 6) // two jobs, one company, three people
            #expect(links.filter { $0.remoteID == "C-7" }.map(\.localID) == ["cmp-1"])
            #expect(links.contains(RemoteLink(organisationID: "org-a", kind: .person, localID: "per-2", target: Fixtures.loxo, remoteID: "P-2")))
        }

        @Test("A create that failed after making the job keeps its id and what it learned; the next claim hands them on", arguments: StoreEngine.allCases)
        func partialProgress(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let first = try #require(try await claim(subject, owner: "w1", at: Fixtures.now, limit: 1).first)
            let progress = DeliveryProgress(externalID: "J-1", learnedReferences: RemoteReferences(companies: ["cmp-1": "C-7"]))
            let error = ConnectorError.transient("contact attach timed out", mayHaveReachedTarget: true).with(progress: progress)
            _ = try await subject.store.settle([record(for: first, owner: "w1", .retry(at: Fixtures.now, error: error), at: Fixtures.now)])

            let retry = try #require(try await claim(subject, owner: "w1", at: Fixtures.now, limit: 1).first)
            #expect(retry.entry.id == first.entry.id)
            #expect(retry.entry.operation == .create)
            #expect(retry.entry.externalID == "J-1", "the retry finishes job J-1 instead of creating another")
            #expect(retry.references.companies == ["cmp-1": "C-7"])
            #expect(try await subject.store.remoteLinks().contains(
                RemoteLink(organisationID: "org-a", kind: .job, localID: "job-1", target: Fixtures.loxo, remoteID: "J-1")
            ))
        }

        @Test("A row whose attempt still runs in this worker is not claimed again, even with its lease lapsed", arguments: StoreEngine.allCases)
        func runningRowsAreNotClaimed(_ engine: StoreEngine) async throws {
            let subject = try await prepared(engine)
            let claims = try await claim(subject, owner: "w1", at: Fixtures.now)
            let running = try #require(claims.first).entry.id
            let later = Fixtures.now.addingTimeInterval(31)
            let again = try await subject.store.claimSubmissions(ClaimRequest(
                owner: "w1", now: later, limits: [DeliveryLane(Fixtures.loxo): 10], leaseDurations: [Fixtures.loxo: Self.lease], running: [running]
            ))
            #expect(again.map(\.entry.id) == [claims[1].entry.id], "only the other lapsed row")
        }
    }
}
