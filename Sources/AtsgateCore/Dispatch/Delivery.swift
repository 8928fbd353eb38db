import Foundation
import Logging
import Synchronization

/// One attempt, start to finish: wait for a token, call the connector, decide what follows,
/// settle it durably.
struct Delivery: Sendable {
    let store: any DispatchStore
    let catalog: TargetCatalog
    let connectors: any ConnectorDirectory
    let clock: any GatewayClock
    let redactor: SecretRedactor
    let jitter: JitterSource
    let gates: LaneGates
    let settlements: SettlementQueue
    let workerID: String
    /// Set when the worker shuts down: no delivery is redone after that.
    let stopping: StopFlag
    let logger: Logger

    /// A successful request frees its `slot` before the settlement is written, so the target's
    /// concurrency is spent on requests, not on waiting for our own commits — unless settlements
    /// fall behind (``SettlementQueue/isBehind(forConcurrency:)``): answered rows waiting to be
    /// written must not pile up until their leases lapse and another worker sends them again.
    /// A failed one keeps the slot until it is settled: the circuit breaker must see the failure
    /// before more rows go.
    func deliver(_ claim: ClaimedSubmission, slot: DeliverySlot) async {
        let entry = claim.entry
        guard let target = catalog[entry.target] else { return }
        let request = SubmissionRequest(
            operation: entry.operation, snapshot: claim.snapshot, externalID: entry.externalID,
            outcomeOfEarlierAttemptUnknown: claim.outcomeUnknown, references: claim.references
        )
        let started = clock.now()
        let deadline = entry.leaseExpiresAt.map { $0.adding(.zero - OutboxDispatcher.settleMargin) } ?? started.adding(target.attemptTimeout)
        // What the last try sent, for the attempt's request hash.
        var sent = request
        let (result, tally) = await attempt(target: target, lane: claim.lane, organisation: entry.organisationID, deadline: deadline) { connector throws(ConnectorError) in
            guard connector.capabilities.supports(entry.operation) else {
                throw .unsupported(entry.operation.rawValue, target: target.name)
            }
            return try await submit(request, to: connector, target: target, lane: claim.lane, deadline: deadline, lastSent: &sent)
        }
        if case .success = result, !settlements.isBehind(forConcurrency: target.concurrency) { slot.release() }
        let outcome = await decide(
            result, target: target, organisation: entry.organisationID, attempt: entry.attempts, enqueuedAt: claim.enqueuedAt,
            previousErrorKind: entry.lastErrorKind
        )
        let record = DeliveryRecord(
            entryID: entry.id, organisationID: entry.organisationID, target: entry.target, leaseOwner: workerID,
            attempt: entry.attempts, operation: entry.operation, mappedJobVersion: claim.snapshot.version,
            startedAt: started, finishedAt: clock.now(), outcome: outcome, requests: tally,
            requestHash: RequestFingerprint.of(RequestFingerprint.Sent(sent)),
            circuitBreaker: target.circuitBreaker, notifiesDecisionMakers: target.notifyOnDelivery, lane: claim.lane
        )
        do {
            let settled = try await settlements.settle(record)
            log(outcome, settled: settled, entry: entry)
            GatewayMetrics.recordAttempt(outcome, target: entry.target, leaseLost: settled == .leaseLost, startedAt: record.startedAt, finishedAt: record.finishedAt)
        } catch {
            // The row stays in flight until its lease lapses; another attempt will find out what happened.
            logger.error("could not settle an attempt", metadata: ["outbox_id": "\(entry.id)", "error": "\(error)"])
        }
    }

    func deliver(_ claim: ClaimedNotification, through targetName: TargetName, slot: DeliverySlot) async {
        guard let target = catalog[targetName] else { return }
        let started = clock.now()
        let (result, tally) = await attempt(
            target: target, lane: DeliveryLane(targetName), organisation: claim.organisationID, deadline: claim.claimedAt.adding(target.attemptTimeout)
        ) { connector throws(ConnectorError) in
            try await connector.notify(claim.request)
        }
        if case .success = result { slot.release() }
        let outcome = await decide(
            result, target: target, organisation: claim.organisationID, attempt: claim.attempt, enqueuedAt: claim.enqueuedAt,
            previousErrorKind: claim.lastErrorKind
        )
        let record = NotificationRecord(
            notificationID: claim.request.notificationID, organisationID: claim.organisationID, target: targetName,
            leaseOwner: workerID, attempt: claim.attempt, startedAt: started, finishedAt: clock.now(),
            outcome: outcome, requests: tally, circuitBreaker: target.circuitBreaker
        )
        do {
            _ = try await settlements.settle(record)
        } catch {
            logger.error("could not settle a notification attempt", metadata: ["notification_id": "\(claim.request.notificationID)", "error": "\(error)"])
        }
    }

    /// Submits `request`, and redoes it within the attempt after a failure ``AttemptRedo`` allows,
    /// going on from what the failed try got done. The failure that ends the attempt carries
    /// everything every try got done, and says it may have reached the target if any try may have.
    /// - Parameter lastSent: the request of the last try.
    private func submit(
        _ request: SubmissionRequest, to connector: any Connector, target: TargetConfiguration, lane: DeliveryLane, deadline: Date,
        lastSent: inout SubmissionRequest
    ) async throws(ConnectorError) -> SubmissionReceipt {
        var request = request
        var progress = DeliveryProgress()
        var mayHaveReachedTarget = false
        var redone: [ConnectorError] = []
        while true {
            lastSent = request
            do throws(ConnectorError) {
                var receipt = try await connector.submit(request)
                receipt.learnedReferences = progress.learnedReferences.merging(receipt.learnedReferences)
                if let last = redone.last {
                    receipt.summary = [receipt.summary, "after \(AttemptRedo.describe(count: redone.count)) (last: \(redactor.redact(last.message)))"]
                        .compactMap { $0 }.joined(separator: ", ")
                }
                return receipt
            } catch {
                progress = progress.merging(error.progress)
                mayHaveReachedTarget = mayHaveReachedTarget || error.mayHaveReachedTarget
                guard !Task.isCancelled, !stopping.isSet, AttemptBudget.current?.isSpent != true,
                      let pause = AttemptRedo.pause(
                        after: error, of: request, redo: redone.count + 1, maximumRedos: target.retry.redosPerAttempt, capabilities: connector.capabilities,
                        searchWait: RetryPolicy(settings: target.retry).delay(afterAttempt: 1, jitter: jitter.next()),
                        timeLeft: Duration(timeInterval: deadline.timeIntervalSince(clock.now())),
                        requestTimeout: target.timeout, jitter: jitter.next()
                      ),
                      gates[lane]?.retryBudget.withdraw() == true
                else {
                    var last = error
                    last.progress = progress.isEmpty ? nil : progress
                    last.mayHaveReachedTarget = mayHaveReachedTarget
                    if !redone.isEmpty {
                        last.message = "\(last.message) (after \(AttemptRedo.describe(count: redone.count)))"
                    }
                    throw last
                }
                redone.append(error)
                logger.notice("redoing the delivery within its attempt", metadata: [
                    "target": "\(target.name)", "job_id": "\(request.snapshot.job.id)", "error_kind": "\(error.kind.rawValue)",
                    "pause": "\(DurationText.format(pause))",
                ])
                do {
                    try await clock.sleep(for: pause)
                } catch {
                    throw ConnectorError.transient("the worker shut down before the delivery was redone", mayHaveReachedTarget: mayHaveReachedTarget)
                        .with(progress: progress)
                }
                request = AttemptRedo.request(after: request, progress: progress, mayHaveReachedTarget: mayHaveReachedTarget)
            }
        }
    }

    /// Calls the connector within an ``AttemptBudget`` ending at `deadline`: its requests take
    /// tokens from the target's bucket and report what the target answered. A cancelled worker's
    /// attempt is reported as a transient failure that may have reached the target.
    /// - Returns: the result, and what the attempt's requests said about the target.
    private func attempt(
        target: TargetConfiguration,
        lane: DeliveryLane,
        organisation: OrganisationID,
        deadline: Date,
        _ call: (any Connector) async throws(ConnectorError) -> SubmissionReceipt
    ) async -> (Result<SubmissionReceipt, ConnectorError>, RequestTally) {
        let connector: any Connector
        do throws(ConnectorError) {
            connector = try await connectors.connector(for: target.name, organisation: organisation)
        } catch {
            // No usable connection: nothing was sent, and the target was not asked.
            return (.failure(connectors.redact(redactor.redact(error))), RequestTally())
        }
        let budget = AttemptBudget(deadline: deadline, clock: clock, gate: gates[lane])
        var result: Result<SubmissionReceipt, ConnectorError> = await AttemptBudget.$current.withValue(budget) {
            do throws(ConnectorError) {
                return .success(try await call(connector))
            } catch {
                return .failure(connectors.redact(redactor.redact(error)))
            }
        }
        if Task.isCancelled, case .failure(let cut) = result {
            var shutDown = ConnectorError.transient("the worker shut down before the attempt finished", mayHaveReachedTarget: true)
            shutDown.progress = cut.progress
            result = .failure(shutDown)
            // Cut short by our own shutdown: that says nothing about the target.
            return (result, budget.tally ?? RequestTally())
        }
        let tally = budget.tally ?? RequestTally.of(result.failureValue, now: clock.now())
        return (result, tally)
    }

    private func decide(
        _ result: Result<SubmissionReceipt, ConnectorError>,
        target: TargetConfiguration,
        organisation: OrganisationID,
        attempt: Int,
        enqueuedAt: Date,
        previousErrorKind: ErrorKind?
    ) async -> AttemptOutcome {
        switch result {
        case .success(let receipt):
            return .delivered(receipt)
        case .failure(let error):
            let now = clock.now()
            if Task.isCancelled { return .retry(at: now, error: error) }
            let decision = RetryPolicy(settings: target.retry).decide(
                after: error, attempt: attempt, enqueuedAt: enqueuedAt, now: now,
                previousErrorKind: previousErrorKind, jitter: jitter.next()
            )
            switch decision {
            case .retry(let at):
                return .retry(at: at, error: error)
            case .fail(let reason):
                return .failed(reason: reason, error: error)
            case .refreshCredentialsAndRetry:
                do {
                    try await connectors.connector(for: target.name, organisation: organisation).refreshCredentials()
                    return .retry(at: clock.now(), error: error)
                } catch {
                    return .failed(reason: "credential refresh failed: \(redactor.redact(error.message))", error: error)
                }
            }
        }
    }

    private func log(_ outcome: AttemptOutcome, settled: Settlement.Result, entry: OutboxEntry) {
        var metadata: Logger.Metadata = [
            "outbox_id": "\(entry.id)", "target": "\(entry.target)", "job_id": "\(entry.jobID)",
            "operation": "\(entry.operation.rawValue)", "attempt": "\(entry.attempts)",
        ]
        if case .leaseLost = settled {
            logger.warning("lease lost before the attempt was settled; its outcome was not applied", metadata: metadata)
            return
        }
        switch outcome {
        case .delivered(let receipt):
            metadata["external_id"] = "\(receipt.externalID)"
            logger.info("delivered", metadata: metadata)
        case let .retry(at, error):
            metadata["error_kind"] = "\(error.kind.rawValue)"
            metadata["next_attempt_at"] = "\(at)"
            logger.notice("attempt failed; will retry", metadata: metadata)
        case let .failed(reason, error):
            metadata["error_kind"] = "\(error.kind.rawValue)"
            metadata["reason"] = "\(reason)"
            logger.warning("failed; an operator must act", metadata: metadata)
        }
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}

/// Each lane's rate limit (``TargetGate``, with its target's settings), made on first use.
final class LaneGates: Sendable {
    private let catalog: TargetCatalog
    private let clock: any GatewayClock
    private let gates = Mutex<[DeliveryLane: TargetGate]>([:])

    init(catalog: TargetCatalog, clock: any GatewayClock) {
        self.catalog = catalog
        self.clock = clock
    }

    subscript(lane: DeliveryLane) -> TargetGate? {
        guard let target = catalog[lane.target] else { return nil }
        return gates.withLock { gates in
            if let gate = gates[lane] { return gate }
            let gate = TargetGate(settings: target.rateLimit, clock: clock)
            gates[lane] = gate
            return gate
        }
    }
}
