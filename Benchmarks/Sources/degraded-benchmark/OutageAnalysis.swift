import Foundation

/// Phase 3 split at the target's return: what the outbox spent while the target was down, and
/// how long it took to catch up once it was back.
struct OutageAnalysis {
    var returnedAt: Date
    var firstOpening: Date?
    var attemptsDuringOutage: Int
    var rowsAttemptedDuringOutage: Int
    var attemptsBeforeFirstOpening: Int
    var rowsBeforeFirstOpening: Int
    /// Attempts started after the circuit first opened, before the return, while it was cooling
    /// down: rows the dispatcher already had in hand when the circuit opened.
    var attemptsDuringCoolDowns: Int
    /// Attempts started after the circuit first opened, before the return, once a cool-down was over.
    var probesDuringOutage: Int
    /// Attempts of one row during the outage, probes left out.
    var maxAttemptsPerRowBesideProbes: Int
    var openingsDuringOutage: Int
    /// Openings whose cool-down ended before the return: each allows one probe.
    var coolDownsEndedDuringOutage: Int
    var requestsDuringOutage: Int
    var firstAttemptAfterReturn: Date?
    var closedAfterReturn: Date?
    var attemptsAfterReturn: Int
    var requestsAfterReturn: Int
    var recoverySeconds: Double?

    init?(_ result: PhaseResult) {
        guard let window = result.outage else { return nil }
        let returnedAt = window.returnedAt
        self.returnedAt = returnedAt
        let openings = result.circuitEvents.filter(\.opened)
        firstOpening = openings.first?.occurredAt

        let during = result.attempts.filter { $0.startedAt < returnedAt }
        attemptsDuringOutage = during.count
        rowsAttemptedDuringOutage = Set(during.map(\.submissionID)).count
        let cut = firstOpening ?? returnedAt
        let beforeOpening = during.filter { $0.startedAt < cut }
        attemptsBeforeFirstOpening = beforeOpening.count
        rowsBeforeFirstOpening = Set(beforeOpening.map(\.submissionID)).count
        let openingsDuring = openings.filter { $0.occurredAt < returnedAt }
        // `until` is stored to the whole second, rounded down: an attempt before it was surely
        // made while the circuit was open, and a probe (which waits for the real end) never is.
        let coolingDown = { (attempt: AttemptRecord) in
            openingsDuring.contains { $0.occurredAt <= attempt.startedAt && attempt.startedAt < ($0.until ?? .distantFuture) }
        }
        let afterOpening = during.filter { $0.startedAt >= cut }
        let probes = afterOpening.filter { !coolingDown($0) }
        attemptsDuringCoolDowns = afterOpening.count - probes.count
        probesDuringOutage = probes.count
        let probeIDs = Set(probes.map(\.id))
        let besideProbes = Dictionary(grouping: during.filter { !probeIDs.contains($0.id) }, by: \.submissionID).mapValues(\.count)
        maxAttemptsPerRowBesideProbes = besideProbes.values.max() ?? 0

        openingsDuringOutage = openingsDuring.count
        coolDownsEndedDuringOutage = openingsDuring.filter { ($0.until ?? .distantFuture) <= returnedAt }.count
        requestsDuringOutage = window.requestsBeforeReturn

        let after = result.attempts.filter { $0.startedAt >= returnedAt }
        firstAttemptAfterReturn = after.map(\.startedAt).min()
        closedAfterReturn = result.circuitEvents.first { !$0.opened && $0.occurredAt >= returnedAt }?.occurredAt
        attemptsAfterReturn = after.count
        requestsAfterReturn = result.fake.requests - window.requestsBeforeReturn
        recoverySeconds = result.allSentAt.map { $0.timeIntervalSince(returnedAt) }
    }
}
