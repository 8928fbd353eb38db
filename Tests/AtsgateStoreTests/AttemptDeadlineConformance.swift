import AtsgateCore
import AtsgateTesting
import Foundation
import Logging
import Testing

extension StoreConformance {
    /// Slow and interrupted multi-step deliveries on a clock the scripted connector moves: an attempt
    /// never outlives its lease, and a retry goes on from where the last attempt stopped.
    @Suite("Attempt deadlines and partial deliveries", .timeLimit(.minutes(1)))
    struct AttemptDeadlines {
        let clock = ManualClock()
        let connector = ScriptedConnector(target: Fixtures.loxo, capabilities: .ats)
        let timeout: Duration = .seconds(10)

        func catalog(attemptTimeout: Duration = .seconds(30), rateLimit: RateLimitSettings = RateLimitSettings(requestsPerSecond: 1_000, burst: 1_000)) -> TargetCatalog {
            TargetCatalog([TargetConfiguration(
                name: Fixtures.loxo,
                settings: .loxo(.init(agencySlug: "acme", apiKeyEnvironmentVariable: "LOXO_KEY")),
                retry: RetrySettings(maxAttempts: 5, baseDelay: .seconds(5), maxDelay: .seconds(60), maxAge: .seconds(3_600)),
                rateLimit: rateLimit,
                concurrency: 1,
                timeout: timeout,
                attemptTimeout: attemptTimeout
            )])
        }

        /// Runs a worker until nothing is due now (retries scheduled later do not count).
        func deliverDue(_ temporary: StoreFixture, catalog: TargetCatalog, pollInterval: Duration = .seconds(1)) async throws {
            try await OutboxDispatcher(
                store: temporary.store, catalog: catalog, connectors: [Fixtures.loxo: connector],
                configuration: .init(workerID: "worker-1", pollInterval: pollInterval, untilIdle: true), clock: clock, jitter: JitterSource(seed: 7),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            ).run()
        }

        func prepared(_ engine: StoreEngine) async throws -> StoreFixture {
            let temporary = try await engine.open()
            _ = try await temporary.importSmallDataset()
            _ = try await temporary.qualify("job-1", targets: [Fixtures.loxo])
            return temporary
        }

        func row(_ temporary: StoreFixture) async throws -> OutboxEntry {
            try #require(try await temporary.entries(OutboxFilter(jobID: "job-1")).first)
        }

        func attempts(_ temporary: StoreFixture, of id: Int64) async throws -> [AttemptHistoryEntry] {
            try await temporary.store.attemptHistory(entryID: id)
        }

        /// A Loxo-like create: look the company up, create it, create the job, attach a contact.
        func steps(contact: ConnectorError? = nil, each: Duration) -> [ScriptedStep] {
            [
                ScriptedStep("GET /companies", isWrite: false, takes: each),
                ScriptedStep("POST /companies", isWrite: true, takes: each),
                ScriptedStep("POST /jobs", isWrite: true, takes: each, createsJob: "L-1"),
                ScriptedStep("POST /jobs/L-1/contacts", isWrite: true, takes: each, failure: contact),
            ]
        }

        @Test("Steps of nearly the timeout each: the write that could outlive the deadline is not sent; the retry finishes the job, never creating a second", arguments: StoreEngine.allCases)
        func slowSteps(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine)
            let delivery = ScriptedDelivery(steps(each: .seconds(9)), clock: clock, timeout: timeout)
            connector.scriptDeliveries(delivery, delivery)

            try await deliverDue(temporary, catalog: catalog())
            // 0 s GET, 9 s POST company, 18 s POST job (done by 28 s, before the 30 s deadline); at 27 s the
            // contact's POST could run until 37 s, past the deadline: it is not sent.
            #expect(connector.sentSteps == ["GET /companies", "POST /companies", "POST /jobs"])
            let stopped = try await row(temporary)
            #expect(stopped.status == .pending)
            #expect(stopped.externalID == "L-1", "the created job's id is kept for the next attempt")
            let first = try #require(try await attempts(temporary, of: stopped.id).first)
            #expect(first.errorKind == .transient)
            #expect(first.message?.contains("stopped before POST /jobs/L-1/contacts") == true)
            #expect(first.message?.contains("left before the attempt's deadline") == true)
            let lease = OutboxDispatcher.leaseDuration(for: try #require(catalog()[Fixtures.loxo]))
            #expect(lease == .seconds(35), "the lease outlasts the attempt's deadline by the settle margin")

            clock.advance(by: .seconds(60))
            try await deliverDue(temporary, catalog: catalog())
            #expect(connector.sentSteps == ["GET /companies", "POST /companies", "POST /jobs", "POST /jobs/L-1/contacts"])
            #expect(connector.sentSteps.filter { $0 == "POST /jobs" }.count == 1, "never a second create")
            let sent = try await row(temporary)
            #expect(sent.status == .sent)
            #expect(sent.externalID == "L-1")
            #expect(connector.submittedRequests.last?.externalID == "L-1", "the retry was told the job exists")
        }

        @Test("A 429 between steps: the attempt ends rate limited, the job's id kept; the next attempt only attaches the contact", arguments: StoreEngine.allCases)
        func rateLimitedBetweenSteps(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine)
            let limited = ConnectorError.rateLimited("slow down", retryAfter: .seconds(20))
            connector.scriptDeliveries(
                ScriptedDelivery(steps(contact: limited, each: .seconds(1)), clock: clock, timeout: timeout),
                ScriptedDelivery(steps(each: .seconds(1)), clock: clock, timeout: timeout)
            )
            try await deliverDue(temporary, catalog: catalog())
            let waiting = try await row(temporary)
            #expect(waiting.status == .pending)
            #expect(waiting.lastErrorKind == .rateLimited)
            #expect(waiting.externalID == "L-1")
            let health = try #require(try await temporary.store.targetHealth()[DeliveryLane(Fixtures.loxo)])
            #expect(health.pausedUntil == Fixtures.now.addingTimeInterval(24), "paused until the 429's Retry-After")
            #expect(health.circuit == .closed, "three answered requests and a 429 say nothing against the target")

            clock.advance(by: .seconds(30))
            try await deliverDue(temporary, catalog: catalog())
            #expect(connector.sentSteps.filter { $0 == "POST /jobs" }.count == 1)
            #expect(connector.sentSteps.suffix(1) == ["POST /jobs/L-1/contacts"])
            #expect(try await row(temporary).status == .sent)
        }

        @Test("A token-bucket wait that would end too near the deadline: the write is not started, and no write went out", arguments: StoreEngine.allCases)
        func tokenWaitNearTheDeadline(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine)
            // One request every 10 s; the create's second request would get its token at 10 s and
            // could run until 20 s, past the 15 s deadline.
            let slow = catalog(attemptTimeout: .seconds(15), rateLimit: RateLimitSettings(requestsPerSecond: 0.1, burst: 1))
            connector.scriptDeliveries(ScriptedDelivery(
                [ScriptedStep("GET /jobs?query=marker", isWrite: false, takes: .seconds(1)), ScriptedStep("POST /jobs", isWrite: true, takes: .seconds(1), createsJob: "L-9")],
                clock: clock, timeout: timeout
            ))
            try await deliverDue(temporary, catalog: slow)
            #expect(connector.sentSteps == ["GET /jobs?query=marker"])
            #expect(clock.now() == Fixtures.now.addingTimeInterval(1), "it did not wait for a token it could not use")
            let stopped = try await row(temporary)
            #expect(stopped.status == .pending)
            #expect(stopped.externalID == nil)
            let attempt = try #require(try await attempts(temporary, of: stopped.id).first)
            #expect(attempt.message?.contains("send rate") == true)
            let unknown = try await temporary.store.outcomeUnknown(entryID: stopped.id)
            #expect(unknown == false, "nothing was written, so the next attempt need not look the job up first")
        }

        // MARK: - Redos within an attempt, on the same clock and scripted steps

        /// Runs a worker (redos are on by default) that polls only hourly; each time a delivery
        /// pauses before a redo (at most 2 s), moves the clock past the pause.
        func deliverDueRedoing(_ temporary: StoreFixture, pauses: Int) async throws {
            let runner = Task { try await deliverDue(temporary, catalog: catalog(), pollInterval: .seconds(3_600)) }
            for _ in 0..<pauses {
                await clock.untilSomeoneSleeps(endingWithin: .seconds(2))
                clock.advance(by: .seconds(2))
            }
            try await runner.value
        }

        @Test("A 503 on the contact's attach: the delivery is redone within its attempt from the job it created; one attempt, one create", arguments: StoreEngine.allCases)
        func redoneFromWhereItStopped(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine)
            let unavailable = ConnectorError.transient("Loxo answered POST /jobs/L-1/contacts with 503", httpStatus: 503, mayHaveReachedTarget: true)
            connector.scriptDeliveries(
                ScriptedDelivery(steps(contact: unavailable, each: .seconds(1)), clock: clock, timeout: timeout),
                ScriptedDelivery(steps(each: .seconds(1)), clock: clock, timeout: timeout)
            )
            try await deliverDueRedoing(temporary, pauses: 1)
            #expect(connector.sentSteps == ["GET /companies", "POST /companies", "POST /jobs", "POST /jobs/L-1/contacts", "POST /jobs/L-1/contacts"])
            let sent = try await row(temporary)
            #expect(sent.status == .sent)
            #expect(sent.externalID == "L-1")
            #expect(sent.attempts == 1, "redone within the attempt, not sent back to the outbox")
            #expect(try await attempts(temporary, of: sent.id).map(\.outcome) == ["sent"])
            let redo = try #require(connector.submittedRequests.last)
            #expect(connector.submittedRequests.count == 2)
            #expect(redo.externalID == "L-1", "the redo was told the job exists")
            #expect(redo.outcomeOfEarlierAttemptUnknown)
        }

        @Test("Failing on every redo: the attempt ends with the last failure, keeps the job's id and says how often it was redone", arguments: StoreEngine.allCases)
        func redosRunOut(_ engine: StoreEngine) async throws {
            let temporary = try await prepared(engine)
            let unavailable = ConnectorError.transient("Loxo answered POST /jobs/L-1/contacts with 503", httpStatus: 503, mayHaveReachedTarget: true)
            let failing = ScriptedDelivery(steps(contact: unavailable, each: .seconds(1)), clock: clock, timeout: timeout)
            connector.scriptDeliveries(failing, failing, failing, failing)
            try await deliverDueRedoing(temporary, pauses: 3)
            #expect(connector.sentSteps.filter { $0 == "POST /jobs" }.count == 1, "never a second create")
            #expect(connector.submittedRequests.count == 4, "the first try and three redos")
            let waiting = try await row(temporary)
            #expect(waiting.status == .pending)
            #expect(waiting.attempts == 1)
            #expect(waiting.externalID == "L-1")
            #expect(waiting.lastErrorMessage?.hasSuffix("(after 3 redos within the attempt)") == true, "\(waiting.lastErrorMessage ?? "-")")
            let unknown = try await temporary.store.outcomeUnknown(entryID: waiting.id)
            #expect(unknown == true)
        }
    }
}
