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
        // One draw per request in scope, so a given seed and request sequence always fail the same requests.
        if var errorRate, errorRate.applies(isWrite: isWrite) {
            let draw = Double(errorRate.generator.next() >> 11) * 0x1.0p-53
            self.errorRate = errorRate
            if draw < errorRate.rate { return .answer(status: errorRate.status, retryAfter: nil) }
        }
        return .handle(then: .answer)
    }

    /// SplitMix64: small, fast and fully determined by its seed, unlike `SystemRandomNumberGenerator`.
    struct SeededGenerator: RandomNumberGenerator, Sendable {
        private var state: UInt64

        init(seed: UInt64) {
            state = seed
        }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
    }
}
