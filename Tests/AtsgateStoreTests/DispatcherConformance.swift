import AtsgateCore
import AtsgateTesting
import Foundation
import Logging
import ServiceLifecycleTestKit
import Testing

extension StoreConformance {
    /// The dispatcher on each engine, with a scripted connector and a clock the test moves.
    @Suite("Dispatcher", .timeLimit(.minutes(1)))
    struct Dispatcher {
        let clock = ManualClock()
        let connector = ScriptedConnector(target: Fixtures.loxo, capabilities: .ats)
        let events: AsyncStream<DispatcherEvent>
        let eventSink: AsyncStream<DispatcherEvent>.Continuation

        init() {
            (events, eventSink) = AsyncStream.makeStream(of: DispatcherEvent.self)
        }

        /// - Parameter redos: redos within an attempt; none by default, so a failure goes back to the outbox.
        func catalog(concurrency: Int = 4, threshold: Int = 5, redos: Int = 0) -> TargetCatalog {
            TargetCatalog([TargetConfiguration(
                name: Fixtures.loxo,
                settings: .loxo(.init(agencySlug: "acme", apiKeyEnvironmentVariable: "LOXO_KEY")),
                retry: RetrySettings(maxAttempts: 5, baseDelay: .seconds(5), maxDelay: .seconds(60), maxAge: .seconds(3_600), redosPerAttempt: redos),
                rateLimit: RateLimitSettings(requestsPerSecond: 1_000, burst: 1_000),
                concurrency: concurrency,
                timeout: .seconds(10),
                circuitBreaker: CircuitBreakerSettings(minimumRequests: threshold, initialCoolDown: .seconds(60), coolDown: .seconds(60))
            )])
        }

        func dispatcher(
            _ temporary: StoreFixture, store: (any DispatchStore)? = nil, catalog: TargetCatalog? = nil, untilIdle: Bool = true,
            grace: Duration = .seconds(10)
        ) -> OutboxDispatcher {
            OutboxDispatcher(
                store: store ?? temporary.store,
                catalog: catalog ?? self.catalog(),
                connectors: [Fixtures.loxo: connector],
                configuration: .init(workerID: "worker-1", untilIdle: untilIdle, shutdownGrace: grace, observer: { eventSink.yield($0) }),
                clock: clock,
                jitter: JitterSource(seed: 42),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            )
        }

        func prepared(_ engine: StoreEngine, jobs: [JobID] = ["job-1", "job-2"]) async throws -> StoreFixture {
            let temporary = try await engine.open()
            _ = try await temporary.importSmallDataset()
            for job in jobs { _ = try await temporary.qualify(job, targets: [Fixtures.loxo]) }
            return temporary
        }

        func row(_ temporary: StoreFixture, _ job: JobID) async throws -> OutboxEntry {
            try #require(try await temporary.entries(OutboxFilter(jobID: job)).first)
        }

        /// Waits for the dispatcher to report `matching`: it has nothing to do before time moves.
        func until(_ matching: @Sendable (DispatcherEvent) -> Bool) async {
            for await event in events where matching(event) { return }
        }

        /// The dispatcher has nothing to do until the clock moves, and sleeps on it.
        func untilIdle() async {
            await until { if case .idle = $0 { true } else { false } }
            await clock.untilSomeoneSleeps()
        }

        /// Waits for `runner`, for at most `limit` of real time: past that, records an issue and
        /// cancels it, so a dispatcher that never returns fails the test instead of hanging the run.
        func finishes(_ runner: Task<Void, any Error>, within limit: Duration) async throws {
            let finished = await withTaskGroup(of: Bool.self) { group in
                group.addTask { _ = await runner.result; return true }
                group.addTask { try? await Task.sleep(for: limit); return false }
                let first = await group.next() ?? false
                if !first { runner.cancel() }
                group.cancelAll()
                return first
            }
            #expect(finished, "the dispatcher did not return within \(limit)")
            try await runner.value
        }

        @Test("Due rows are delivered and settled: sent, remote id stored, one attempt each", arguments: StoreEngine.allCases)
        func delivers(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine)
            connector.scriptSubmits(.success(SubmissionReceipt(externalID: "L-1")), .success(SubmissionReceipt(externalID: "L-2")))
            try await dispatcher(temporary).run()
            let rows = try await temporary.entries()
            #expect(rows.map(\.status) == [.sent, .sent])
            #expect(Set(rows.compactMap(\.externalID)) == ["L-1", "L-2"])
            #expect(connector.submittedRequests.map(\.operation) == [.create, .create])
            #expect(Set(connector.submittedRequests.map(\.snapshot.job.id)) == ["job-1", "job-2"])
            for row in rows {
                #expect(try await temporary.store.attemptHistory(entryID: row.id).map(\.outcome) == ["sent"])
            }
        }

        @Test("A transient failure is retried after its backoff, not before", arguments: StoreEngine.allCases)
        func transientRetry(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1"])
            connector.scriptSubmits(.failure(.transient("the target answered 503", httpStatus: 503)), .success(SubmissionReceipt(externalID: "L-1")))
            try await dispatcher(temporary).run()
            var row = try await row(temporary, "job-1")
            #expect(row.status == .pending)
            #expect(row.lastErrorKind == .transient)
            let wait = try #require(row.nextAttemptAt).timeIntervalSince(clock.now())
            #expect(wait >= 4 && wait <= 6, "5 s ± 20 %, got \(wait)")

            try await dispatcher(temporary).run()
            #expect(connector.submittedRequests.count == 1, "nothing is due before the backoff ends")
            clock.advance(by: .seconds(6))
            try await dispatcher(temporary).run()
            row = try await self.row(temporary, "job-1")
            #expect(row.status == .sent)
            #expect(try await temporary.store.attemptHistory(entryID: row.id).map(\.outcome) == ["retry", "sent"])
        }

        @Test("rejected fails at once with the target's reason; mapping and config too", arguments: StoreEngine.allCases)
        func rejected(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine)
            connector.scriptSubmits(
                .failure(.rejected("the target refused the request (422): title is required", httpStatus: 422)),
                .failure(.mapping(field: "clientContact", job: "job-2", reason: "no decision maker"))
            )
            try await dispatcher(temporary, catalog: catalog(concurrency: 1)).run()
            let rows = try await temporary.entries()
            #expect(rows.map(\.status) == [.failed, .failed])
            #expect(rows.map(\.lastErrorKind) == [.rejected, .mapping])
            #expect(rows.first?.lastErrorMessage == "the target refused the request (422): title is required")
            #expect(rows.map(\.attempts) == [1, 1])
        }

        @Test("auth: credentials are refreshed once and the row retried at once; a second auth failure fails it", arguments: StoreEngine.allCases)
        func auth(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1"])
            connector.scriptSubmits(.failure(.auth("token expired", httpStatus: 401)), .failure(.auth("token expired", httpStatus: 401)))
            try await dispatcher(temporary).run()
            let row = try await row(temporary, "job-1")
            #expect(connector.credentialRefreshes == 1)
            #expect(connector.submittedRequests.count == 2)
            #expect(row.status == .failed)
            #expect(row.lastErrorMessage == "authentication failed again after a credential refresh: token expired")
        }

        @Test("rate_limited: the row waits for Retry-After and the whole target pauses", arguments: StoreEngine.allCases)
        func rateLimited(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1"])
            connector.scriptSubmits(.failure(.rateLimited("slow down", retryAfter: .seconds(30))), .success(SubmissionReceipt(externalID: "L-1")))
            try await dispatcher(temporary).run()
            let row = try await row(temporary, "job-1")
            #expect(row.nextAttemptAt == clock.now().addingTimeInterval(30))
            let health = try #require(try await temporary.store.targetHealth()[DeliveryLane(Fixtures.loxo)])
            #expect(health.pausedUntil == clock.now().addingTimeInterval(30))

            _ = try await temporary.qualify("job-2", targets: [Fixtures.loxo])
            let runner = Task { try await dispatcher(temporary).run() }
            await untilIdle()
            #expect(connector.submittedRequests.count == 1, "job-2 is due but the target is paused")
            connector.scriptSubmits(.success(SubmissionReceipt(externalID: "L-2")))
            clock.advance(by: .seconds(30))
            try await runner.value
            #expect(try await temporary.entries().map(\.status) == [.sent, .sent])
        }

        @Test("The circuit opens after repeated failures, so the remaining rows keep their attempts; a probe closes it", arguments: StoreEngine.allCases)
        func circuitBreaker(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1", "job-2"])
            _ = try await temporary.qualify("job-1", organisation: "org-b", targets: [Fixtures.loxo])
            connector.scriptSubmits(.failure(.transient("503", httpStatus: 503)), .failure(.transient("503", httpStatus: 503)))
            let runner = Task { try await dispatcher(temporary, catalog: catalog(concurrency: 1, threshold: 2)).run() }
            await untilIdle()
            #expect(connector.submittedRequests.count == 2)
            let health = try #require(try await temporary.store.targetHealth()[DeliveryLane(Fixtures.loxo)])
            #expect(health.circuit == .open(until: clock.now().addingTimeInterval(60)))
            let untouched = try await temporary.entries().filter { $0.attempts == 0 }
            #expect(untouched.count == 1, "the third row was not burned while the target was down")

            connector.scriptSubmits(
                .success(SubmissionReceipt(externalID: "L-1")), .success(SubmissionReceipt(externalID: "L-2")), .success(SubmissionReceipt(externalID: "L-3"))
            )
            clock.advance(by: .seconds(60))
            try await runner.value
            #expect(try await temporary.entries().allSatisfy { $0.status == .sent })
            #expect(try await temporary.store.targetHealth()[DeliveryLane(Fixtures.loxo)]?.circuit == .closed)
        }

        @Test("Edits while a row waits coalesce into one request with the latest version", arguments: StoreEngine.allCases)
        func coalesces(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1"])
            for title in ["Backend Engineer II", "Backend Engineer III"] {
                let json = Fixtures.smallDatasetJSON.replacingOccurrences(of: "\"Backend Engineer\"", with: "\"\(title)\"")
                _ = try await temporary.store.importDataset(Fixtures.dataset(fromJSON: json), planner: temporary.planner, actor: "test")
            }
            connector.scriptSubmits(.success(SubmissionReceipt(externalID: "L-1")))
            try await dispatcher(temporary).run()
            #expect(connector.submittedRequests.map(\.snapshot.job.title) == ["Backend Engineer III"])
            #expect(connector.submittedRequests.map(\.snapshot.version) == [3])
            #expect(try await row(temporary, "job-1").sentJobVersion == 3)
        }

        @Test("An edit during the create is not lost: the create settles, then one update follows", arguments: StoreEngine.allCases)
        func editInFlight(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1"])
            connector.scriptSubmits(.success(SubmissionReceipt(externalID: "L-1")), .success(SubmissionReceipt(externalID: "L-1")))
            connector.holdSubmits(true)
            let runner = Task { try await dispatcher(temporary).run() }
            await connector.waitForSubmits(1)
            let json = Fixtures.smallDatasetJSON.replacingOccurrences(of: "\"Backend Engineer\"", with: "\"Staff Engineer\"")
            _ = try await temporary.store.importDataset(Fixtures.dataset(fromJSON: json), planner: temporary.planner, actor: "test")
            connector.holdSubmits(false)
            connector.releaseHeld()
            try await runner.value
            #expect(connector.submittedRequests.map(\.operation) == [.create, .update])
            #expect(connector.submittedRequests.last?.externalID == "L-1")
            #expect(connector.submittedRequests.last?.snapshot.job.title == "Staff Engineer")
            let row = try await row(temporary, "job-1")
            #expect(row.status == .sent)
            #expect(row.sentJobVersion == 2)
        }

        @Test("A close that arrives while the create is in flight follows it, with the new remote id", arguments: StoreEngine.allCases)
        func closeInFlight(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1"])
            connector.scriptSubmits(.success(SubmissionReceipt(externalID: "L-1")), .success(SubmissionReceipt(externalID: "L-1")))
            connector.holdSubmits(true)
            let runner = Task { try await dispatcher(temporary).run() }
            await connector.waitForSubmits(1)
            _ = try await temporary.qualify("job-1", .close)
            connector.holdSubmits(false)
            connector.releaseHeld()
            try await runner.value
            #expect(connector.submittedRequests.map(\.operation) == [.create, .close])
            #expect(connector.submittedRequests.last?.externalID == "L-1")
            #expect(try await row(temporary, "job-1").status == .sent)
        }

        @Test("Graceful shutdown: the in-flight attempt finishes and is settled; nothing is left in flight", arguments: StoreEngine.allCases)
        func gracefulShutdown(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1"])
            connector.scriptSubmits(.success(SubmissionReceipt(externalID: "L-1")))
            connector.holdSubmits(true)
            let dispatcher = dispatcher(temporary, untilIdle: false)
            try await testGracefulShutdown { trigger in
                let runner = Task { try await dispatcher.run() }
                await connector.waitForSubmits(1)
                trigger.triggerGracefulShutdown()
                connector.releaseHeld()
                try await runner.value
            }
            let row = try await row(temporary, "job-1")
            #expect(row.status == .sent)
            #expect(row.leaseOwner == nil)
        }

        @Test("Draining waits for the last settlement, not only the last answer: shutdown ends once it is stored", arguments: StoreEngine.allCases)
        func drainingWaitsForSettlement(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1"])
            connector.scriptSubmits(.success(SubmissionReceipt(externalID: "L-1")))
            let gated = GatedDispatchStore(temporary.store)
            let dispatcher = dispatcher(temporary, store: gated, untilIdle: false)
            try await testGracefulShutdown { trigger in
                let runner = Task { try await dispatcher.run() }
                await gated.untilSettling()
                trigger.triggerGracefulShutdown()
                // The answer already freed the target's slot; the loop drains, asleep on a clock that never moves.
                await until { $0 == .drainingInFlight(1) }
                await clock.untilSomeoneSleeps()
                gated.openGate()
                try await finishes(runner, within: .seconds(10))
            }
            let row = try await row(temporary, "job-1")
            #expect(row.status == .sent)
            #expect(row.leaseOwner == nil)
        }

        @Test("Graceful shutdown past its grace: the cut-short attempt releases its lease, and its create is marked for lookup", arguments: StoreEngine.allCases)
        func shutdownGraceOver(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1"])
            connector.holdSubmits(true)
            let dispatcher = dispatcher(temporary, untilIdle: false, grace: .seconds(5))
            try await testGracefulShutdown { trigger in
                let runner = Task { try await dispatcher.run() }
                await connector.waitForSubmits(1)
                trigger.triggerGracefulShutdown()
                await until { $0 == .drainingInFlight(1) }
                await clock.untilSomeoneSleeps()
                clock.advance(by: .seconds(5))
                try await runner.value
            }
            let row = try await row(temporary, "job-1")
            #expect(row.status == .pending)
            #expect(row.leaseOwner == nil)
            #expect(row.lastErrorKind == .transient)
            let claimed = try await temporary.store.claimSubmissions(ClaimRequest(
                owner: "w2", now: clock.now(), limits: [DeliveryLane(Fixtures.loxo): 1], leaseDurations: [Fixtures.loxo: .seconds(30)]
            ))
            #expect(claimed.first?.outcomeUnknown == true)
        }

        @Test("A worker cancelled mid-delivery ends, and the cut-short attempt is settled: nothing waits for a queue that stopped", arguments: StoreEngine.allCases)
        func cancelledMidDelivery(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1"])
            connector.holdSubmits(true)
            let dispatcher = dispatcher(temporary, untilIdle: false)
            let runner = Task { try await dispatcher.run() }
            await connector.waitForSubmits(1)
            runner.cancel()
            await #expect(throws: CancellationError.self) { try await finishes(runner, within: .seconds(10)) }
            let row = try await row(temporary, "job-1")
            #expect(row.status == .pending)
            #expect(row.leaseOwner == nil)
            #expect(row.lastErrorKind == .transient)
            #expect(try await temporary.store.attemptHistory(entryID: row.id).count == 1)
        }

        @Test("Rows claimed ahead of a free slot go back untouched at shutdown: pending, no attempt spent, nothing on record", arguments: StoreEngine.allCases)
        func claimedAheadGoBackAtShutdown(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1", "job-2"])
            _ = try await temporary.qualify("job-1", organisation: "org-b", targets: [Fixtures.loxo])
            connector.scriptSubmits(.success(SubmissionReceipt(externalID: "L-1")), .success(SubmissionReceipt(externalID: "L-2")))
            connector.holdSubmits(true)
            let gated = GatedDispatchStore(temporary.store)
            gated.openGate()
            let dispatcher = dispatcher(temporary, store: gated, catalog: catalog(concurrency: 1), untilIdle: false)
            try await testGracefulShutdown { trigger in
                let runner = Task { try await dispatcher.run() }
                await connector.waitForSubmits(1)
                // The first answer frees the one slot while nothing is in hand: the next claim takes a row ahead.
                connector.releaseHeld()
                await connector.waitForSubmits(2)
                trigger.triggerGracefulShutdown()
                connector.releaseHeld()
                try await finishes(runner, within: .seconds(10))
            }
            #expect(connector.submittedRequests.count == 2)
            let rows = try await temporary.entries()
            let ahead = try #require(rows.first { $0.organisationID == "org-b" })
            #expect(gated.givenBack.map(\.entryID) == [ahead.id])
            #expect(ahead.status == .pending)
            #expect(ahead.attempts == 0)
            #expect(ahead.leaseOwner == nil)
            #expect(try await temporary.store.attemptHistory(entryID: ahead.id).isEmpty)
            #expect(rows.filter { $0.organisationID == "org-a" }.map(\.status) == [.sent, .sent])
        }

        @Test("Decision-maker notifications go through the same machinery, to the notification target", arguments: StoreEngine.allCases)
        func notifications(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine, jobs: ["job-1"])
            let mailbox = ScriptedConnector(target: Fixtures.email, capabilities: .mailbox)
            var targets = Array(catalog().targets.values)
            targets.append(TargetConfiguration(
                name: Fixtures.email,
                settings: .email(.init(smtpURL: "smtp://127.0.0.1:2525", from: "gw@agency.example", to: ["desk@agency.example"])),
                rateLimit: RateLimitSettings(requestsPerSecond: 1_000, burst: 1_000)
            ))
            connector.scriptSubmits(.success(SubmissionReceipt(externalID: "L-1")))
            let dispatcher = OutboxDispatcher(
                store: temporary.store, catalog: TargetCatalog(targets),
                connectors: [Fixtures.loxo: connector, Fixtures.email: mailbox],
                configuration: .init(workerID: "worker-1", untilIdle: true, notificationTarget: Fixtures.email),
                clock: clock, jitter: JitterSource(seed: 1),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            try await dispatcher.run()
            #expect(mailbox.notificationRequests.map(\.recipient.id) == ["per-1"])
            #expect(mailbox.notificationRequests.first?.snapshot.job.id == "job-1")
            let stored = try await temporary.store.notifications(organisationID: "org-a", jobID: "job-1")
            #expect(stored.map { "\($0.personID):\($0.status.rawValue)" } == ["per-1:sent", "per-2:skipped"])
            let attempts = try await temporary.snapshot().tables["submission_attempts"] ?? []
            #expect(attempts.count == 2, "one attempt for the row, one for the notification")
        }
    }
}
