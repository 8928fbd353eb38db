import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

@Suite("Settling an attempt")
struct SettlementTests {
    let now = Fixtures.now

    func row(_ operation: SubmissionOperation = .create, status: OutboxStatus = .inFlight, owner: String? = "w1", attempts: Int = 2) -> OutboxEntry {
        OutboxEntry(
            id: 7, organisationID: "org-a", jobID: "job-1", target: Fixtures.loxo, operation: operation, status: status,
            attempts: attempts, leaseOwner: owner, leaseExpiresAt: now.addingTimeInterval(60), jobVersion: 1,
            createdAt: now, updatedAt: now
        )
    }

    func record(_ outcome: AttemptOutcome, operation: SubmissionOperation = .create, owner: String = "w1", attempt: Int = 2, version: Int = 1) -> DeliveryRecord {
        DeliveryRecord(
            entryID: 7, organisationID: "org-a", target: Fixtures.loxo, leaseOwner: owner, attempt: attempt, operation: operation,
            mappedJobVersion: version, startedAt: now, finishedAt: now.addingTimeInterval(1), outcome: outcome,
            requestHash: "h", circuitBreaker: CircuitBreakerSettings()
        )
    }

    func settle(_ record: DeliveryRecord, row: OutboxEntry, jobVersion: Int = 1, jobStatus: JobStatus = .open, unknown: Bool = false) -> Settlement.Result {
        Settlement.settle(
            record, context: SettlementContext(row: row, currentJobVersion: jobVersion, currentJobStatus: jobStatus),
            previousOutcomeUnknown: unknown, enqueuedAt: now
        )
    }

    let delivered = AttemptOutcome.delivered(SubmissionReceipt(externalID: "L-9", httpStatus: 200, summary: "created"))

    @Test("Fencing: a worker that lost its lease cannot overwrite the row", arguments: [
        ("w2", 2, OutboxStatus.inFlight),
        ("w1", 3, OutboxStatus.inFlight),
        ("w1", 2, OutboxStatus.pending),
        ("w1", 2, OutboxStatus.cancelled),
    ])
    func fencing(owner: String, attempts: Int, status: OutboxStatus) {
        #expect(settle(record(delivered), row: row(status: status, owner: status == .inFlight ? owner : nil, attempts: attempts)) == .leaseLost)
    }

    @Test("Delivered: sent, with the remote id and the version the target now holds")
    func sent() throws {
        guard case .settled(let settled) = settle(record(delivered), row: row(), unknown: true) else {
            Issue.record("not settled")
            return
        }
        #expect(settled.status == .sent)
        #expect(settled.externalID == "L-9")
        #expect(settled.sentJobVersion == 1)
        #expect(settled.sentAt == now.addingTimeInterval(1))
        #expect(!settled.outcomeUnknown)
        #expect(settled.nextAttemptAt == nil)
    }

    @Test("Delivered, but the job was edited in flight: one more update, not a lost edit")
    func editedInFlight() {
        guard case .settled(let settled) = settle(record(delivered), row: row(), jobVersion: 2) else { return #expect(Bool(false)) }
        #expect(settled.status == .pending)
        #expect(settled.operation == .update)
        #expect(settled.externalID == "L-9")
        #expect(settled.attempts == 0)
        #expect(settled.nextAttemptAt == now.addingTimeInterval(1))
    }

    @Test("Delivered, but a close arrived in flight: the close follows with the new remote id")
    func retargetedInFlight() {
        guard case .settled(let settled) = settle(record(delivered), row: row(.close), jobVersion: 2, jobStatus: .closed) else { return #expect(Bool(false)) }
        #expect(settled.status == .pending)
        #expect(settled.operation == .close)
        #expect(settled.externalID == "L-9")
    }

    @Test("A close delivered for a job reopened in flight is followed by an update")
    func reopened() {
        let closeRecord = record(.delivered(SubmissionReceipt(externalID: "L-9")), operation: .close)
        guard case .settled(let settled) = settle(closeRecord, row: row(.close), jobVersion: 3, jobStatus: .open) else { return #expect(Bool(false)) }
        #expect(settled.operation == .update)
        #expect(settled.status == .pending)
    }

    @Test("A retry keeps the error and remembers that a create may have landed")
    func retry() {
        let error = ConnectorError.transient("read timeout", mayHaveReachedTarget: true)
        guard case .settled(let settled) = settle(record(.retry(at: now.addingTimeInterval(10), error: error)), row: row()) else { return #expect(Bool(false)) }
        #expect(settled.status == .pending)
        #expect(settled.nextAttemptAt == now.addingTimeInterval(10))
        #expect(settled.lastErrorKind == .transient)
        #expect(settled.outcomeUnknown)
        guard case .settled(let update) = settle(record(.retry(at: now, error: error), operation: .update), row: row(.update)) else { return #expect(Bool(false)) }
        #expect(!update.outcomeUnknown, "repeating an update cannot duplicate a job")
    }

    @Test("A failure records the reason for the operator")
    func failed() {
        let error = ConnectorError.rejected("title is required", httpStatus: 422)
        guard case .settled(let settled) = settle(record(.failed(reason: "title is required", error: error)), row: row()) else { return #expect(Bool(false)) }
        #expect(settled.status == .failed)
        #expect(settled.lastErrorKind == .rejected)
        #expect(settled.lastErrorMessage == "title is required")
        #expect(settled.nextAttemptAt == nil)
    }
}
