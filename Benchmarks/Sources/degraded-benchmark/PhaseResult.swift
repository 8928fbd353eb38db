import ArgumentParser
import Foundation

/// The three bad days the benchmark plays, each on fresh jobs, a fresh database and a fresh fake.
enum PhaseKind: String, CaseIterable, ExpressibleByArgument, Sendable {
    case faultFree = "fault-free"
    case writeErrors = "write-errors"
    case outage

    var title: String {
        switch self {
        case .faultFree: "1. fault-free"
        case .writeErrors: "2. 20 % of writes answered 503"
        case .outage: "3. target down, then back"
        }
    }
}

/// What one phase measured.
struct PhaseResult: Sendable {
    var kind: PhaseKind
    var rows: Int
    /// When the dispatcher started.
    var start: Date
    /// The last row's `sent_at`; `nil` unless every row was sent.
    var allSentAt: Date?
    var statusCounts: [String: Int]
    var attempts: [AttemptRecord]
    var fake: FakeTally
    var outage: OutageWindow?
    var circuitEvents: [CircuitEvent]

    var wallSeconds: Double? { allSentAt.map { $0.timeIntervalSince(start) } }
    var notSent: Int { statusCounts.filter { $0.key != "sent" }.values.reduce(0, +) }

    /// Attempts per row: mean and max over every row of the phase.
    var attemptsPerRow: (mean: Double, max: Int) {
        let perRow = Dictionary(grouping: attempts, by: \.submissionID).mapValues(\.count)
        let total = perRow.values.reduce(0, +)
        return (rows == 0 ? 0 : Double(total) / Double(rows), perRow.values.max() ?? 0)
    }

    var outcomes: [String: Int] {
        Dictionary(grouping: attempts) { attempt in
            [attempt.outcome, attempt.errorKind, attempt.httpStatus.map(String.init)].compactMap { $0 }.joined(separator: " ")
        }
        .mapValues(\.count)
    }
}

/// One row of `submission_attempts`.
struct AttemptRecord: Sendable {
    var id: Int64
    var submissionID: Int64
    var startedAt: Date
    var outcome: String
    var errorKind: String?
    var httpStatus: Int?
}

/// A `circuit_opened` or `circuit_closed` entry of `audit_log`.
struct CircuitEvent: Sendable {
    var occurredAt: Date
    var opened: Bool
    /// For an opening: the end of its cool-down.
    var until: Date?
    var reason: String?
}

/// When the fake refused everything, and what it had received by its return.
struct OutageWindow: Sendable {
    var returnedAt: Date
    var requestsBeforeReturn: Int
}
