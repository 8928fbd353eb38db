extension FakeLoxo {
    /// A fault for one coming request, queued with ``FakeLoxo/script(_:)``.
    ///
    /// Scripted faults are used in order. A ``status(_:retryAfter:)`` is taken by the next request
    /// of any kind. The `commitThen…` faults are taken by the next *write* (POST or PUT): while one
    /// is first in the queue, reads pass it by and are answered normally.
    public enum Fault: Hashable, Sendable {
        /// Answers with this status (and `Retry-After`, if given) and changes nothing.
        case status(Int, retryAfter: String? = nil)
        /// Handles the write as usual (a valid one is stored), then withholds the answer until
        /// ``FakeLoxo/releaseHeld()`` or the fake stops: longer than any client timeout.
        case commitThenHang
        /// Handles the write as usual (a valid one is stored), then closes the TCP connection
        /// without any HTTP answer; the client sees a connection error, not a status.
        case commitThenDropConnection
    }

    /// A target's bad day: a share of writes (POST and PUT) fails each way, drawn from a seeded
    /// generator, one draw per write, so a seed and a request order fail the same writes every run.
    public struct FaultMix: Hashable, Sendable {
        /// Answered 503 without being handled.
        public var serverErrors: Double
        /// Answered 429 without being handled; every other one carries `Retry-After: 1`.
        public var rateLimited: Double
        /// Handled (a valid write is stored), then never answered: longer than any client timeout.
        public var hangs: Double
        /// Handled (a valid write is stored), then the connection is dropped without an answer.
        public var droppedAfterCommit: Double

        public init(serverErrors: Double = 0, rateLimited: Double = 0, hangs: Double = 0, droppedAfterCommit: Double = 0) {
            self.serverErrors = serverErrors
            self.rateLimited = rateLimited
            self.hangs = hangs
            self.droppedAfterCommit = droppedAfterCommit
        }

        /// 20 % 5xx, 5 % 429 (half with Retry-After), 5 % hangs, 5 % dropped after committing.
        public static let badDay = FaultMix(serverErrors: 0.2, rateLimited: 0.05, hangs: 0.05, droppedAfterCommit: 0.05)
    }

    /// Which requests an error rate applies to.
    public enum FaultScope: Hashable, Sendable {
        case everyRequest
        case readsOnly
        /// POST and PUT.
        case writesOnly
    }
}

/// Decides, request by request, which fault applies: scripted faults first, in order, then the
/// error rate. A value type with no I/O; ``FakeLoxo`` keeps it under its lock.
struct FakeLoxoFaultPlan: Sendable {
    enum Decision: Hashable, Sendable {
        /// Answer with this status without handling the request.
        case answer(status: Int, retryAfter: String?)
        /// Handle the request, then do this with the answer.
        case handle(then: AfterHandling)
    }

    enum AfterHandling: Hashable, Sendable {
        case answer
        case hang
        case dropConnection
    }

    struct ErrorRate: Sendable {
        var rate: Double
        var status: Int
        var scope: FakeLoxo.FaultScope
        var generator: SeededGenerator

        func applies(isWrite: Bool) -> Bool {
            switch scope {
            case .everyRequest: true
            case .readsOnly: !isWrite
            case .writesOnly: isWrite
            }
        }
    }

    var scripted: [FakeLoxo.Fault] = []
    var errorRate: ErrorRate?
    var mix: (faults: FakeLoxo.FaultMix, generator: SeededGenerator, rateLimitedSoFar: Int)?

    mutating func decide(isWrite: Bool) -> Decision {
        switch scripted.first {
        case let .status(code, retryAfter)?:
            scripted.removeFirst()
            return .answer(status: code, retryAfter: retryAfter)
        case .commitThenHang? where isWrite:
            scripted.removeFirst()
            return .handle(then: .hang)
        case .commitThenDropConnection? where isWrite:
            scripted.removeFirst()
            return .handle(then: .dropConnection)
        case .commitThenHang?, .commitThenDropConnection?, nil:
            break
        }
        if isWrite, var mix {
            let draw = Double(mix.generator.next() >> 11) * 0x1.0p-53
            let faults = mix.faults
            defer { self.mix = mix }
            switch draw {
            case ..<faults.serverErrors:
                return .answer(status: 503, retryAfter: nil)
            case ..<(faults.serverErrors + faults.rateLimited):
                mix.rateLimitedSoFar += 1
                return .answer(status: 429, retryAfter: mix.rateLimitedSoFar.isMultiple(of: 2) ? "1" : nil)
            case ..<(faults.serverErrors + faults.rateLimited + faults.hangs):
                return .handle(then: .hang)
            case ..<(faults.serverErrors + faults.rateLimited + faults.hangs + faults.droppedAfterCommit):
                return .handle(then: .dropConnection)
            default:
                break
            }
        }
        // One draw per request in scope, so a given seed and request sequence always fail the same requests.
        if var errorRate, errorRate.applies(isWrite: isWrite) {
            let draw = Double(errorRate.generator.next() >> 11) * 0x1.0p-53
            self.errorRate = errorRate
            if draw < errorRate.rate { return .answer(status: errorRate.status, retryAfter: nil) }
        }
        return .handle(then: .answer)
    }
}
