extension FakeBullhorn {
    /// A fault for one coming request, queued with ``FakeBullhorn/script(_:on:)``.
    ///
    /// Scripted faults are used in order, per ``FaultTarget``. A ``status(_:)`` is taken by the
    /// next request of its target. The write faults (``persistThenFail(status:)`` and the
    /// `commitThen…` ones) are taken by the next *write*: on ``FaultTarget/dataCalls`` that is an
    /// entity PUT, POST or DELETE, and reads pass them by; every token and login call counts as a
    /// write, since each one spends a code, a refresh token or opens a session.
    public enum Fault: Hashable, Sendable {
        /// Answers with this status and Bullhorn's error body, changing nothing. A 429 has **no
        /// `Retry-After`** (B6): see ``rateLimited``.
        case status(Int)
        /// Handles the write as usual (a valid one is stored, a refresh token spent), then answers
        /// an error anyway: B7's "Bullhorn can persist a record and still return an error".
        case persistThenFail(status: Int = 500)
        /// Handles the write as usual, then withholds the answer until
        /// ``FakeBullhorn/releaseHeld()`` or the fake stops: longer than any client timeout.
        case commitThenHang
        /// Handles the write as usual, then closes the TCP connection without any HTTP answer;
        /// the client sees a connection error, not a status.
        case commitThenDropConnection

        /// 429 "Rate Limited -- Wait 1 second then retry request", with no `Retry-After` (B6).
        public static let rateLimited = Fault.status(429)
    }

    /// Which requests a scripted fault waits for.
    public enum FaultTarget: Hashable, Sendable {
        /// Everything under `/rest-services/{corpToken}/`, after the session check.
        case dataCalls
        /// `POST /oauth/token`.
        case token
        /// `/rest-services/login`.
        case login
    }

    /// Which data calls an error rate applies to.
    public enum FaultScope: Hashable, Sendable {
        case everyRequest
        case readsOnly
        /// Entity PUT, POST and DELETE.
        case writesOnly
    }
}

/// Decides, request by request, which fault applies: scripted faults first, in order, then the
/// error rate (data calls only). A value type with no I/O; ``FakeBullhorn`` keeps it under its lock.
struct FakeBullhornFaultPlan: Sendable {
    enum Decision: Hashable, Sendable {
        /// Answer with this status without handling the request.
        case answer(status: Int)
        /// Handle the request, then do this with the answer.
        case handle(then: AfterHandling)
    }

    enum AfterHandling: Hashable, Sendable {
        case answer
        case fail(status: Int)
        case hang
        case dropConnection
    }

    /// The same seeded generator as the fake Loxo's, so a seed means the same thing for both.

    struct ErrorRate: Sendable {
        var rate: Double
        var status: Int
        var scope: FakeBullhorn.FaultScope
        var generator: SeededGenerator

        func applies(isWrite: Bool) -> Bool {
            switch scope {
            case .everyRequest: true
            case .readsOnly: !isWrite
            case .writesOnly: isWrite
            }
        }
    }

    var scripted: [FakeBullhorn.FaultTarget: [FakeBullhorn.Fault]] = [:]
    var errorRate: ErrorRate?

    mutating func decide(_ target: FakeBullhorn.FaultTarget, isWrite: Bool) -> Decision {
        if let decision = takeScripted(target, isWrite: isWrite) { return decision }
        // One draw per request in scope, so a given seed and request sequence always fail the same requests.
        if target == .dataCalls, var errorRate, errorRate.applies(isWrite: isWrite) {
            let draw = Double(errorRate.generator.next() >> 11) * 0x1.0p-53
            self.errorRate = errorRate
            if draw < errorRate.rate { return .answer(status: errorRate.status) }
        }
        return .handle(then: .answer)
    }

    private mutating func takeScripted(_ target: FakeBullhorn.FaultTarget, isWrite: Bool) -> Decision? {
        let decision: Decision
        switch scripted[target]?.first {
        case .status(let code)?: decision = .answer(status: code)
        case .persistThenFail(let code)? where isWrite: decision = .handle(then: .fail(status: code))
        case .commitThenHang? where isWrite: decision = .handle(then: .hang)
        case .commitThenDropConnection? where isWrite: decision = .handle(then: .dropConnection)
        case .persistThenFail?, .commitThenHang?, .commitThenDropConnection?, nil: return nil
        }
        scripted[target]?.removeFirst()
        return decision
    }
}
