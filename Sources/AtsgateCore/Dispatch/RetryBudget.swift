import Synchronization

/// How many deliveries may be redone within their attempt, for one target in this worker: a
/// token bucket that answers fill and redos drain (Finagle's retry budget, the AWS SDKs' retry
/// quota).
///
/// Each request the target answered adds ``depositPerAnswer`` (so redos stay under half the
/// answered requests: enough for a target failing a third of its requests, and at most 1.5 times
/// the load), up to ``maximumBalance``; each redo takes one. A target that answers
/// nothing earns nothing: once the starting balance is spent, its failed attempts go back to the
/// outbox and wait out their backoff (and the circuit breaker) instead of being repeated at once.
final class RetryBudget: Sendable {
    static let depositPerAnswer = 0.5
    static let maximumBalance = 10.0

    private let balance = Mutex(RetryBudget.maximumBalance)

    /// An answered request's deposit.
    func deposit() {
        balance.withLock { $0 = min(Self.maximumBalance, $0 + Self.depositPerAnswer) }
    }

    /// Takes one redo; `false`, taking nothing, when the balance is below one.
    func withdraw() -> Bool {
        balance.withLock { balance in
            guard balance >= 1 else { return false }
            balance -= 1
            return true
        }
    }
}
