public import Foundation

/// A token bucket: `rate` tokens a second, at most `burst` saved up. Pure; the caller sleeps.
public struct TokenBucket: Hashable, Sendable {
    public private(set) var rate: Double
    public let burst: Double
    private var tokens: Double
    private var updatedAt: Date

    public init(rate: Double, burst: Int, now: Date) {
        self.rate = max(rate, 0.001)
        self.burst = Double(max(burst, 1))
        self.tokens = Double(max(burst, 1))
        self.updatedAt = now
    }

    /// Takes one token if there is one; otherwise returns how long until there will be.
    public mutating func take(now: Date) -> Duration? {
        refill(now: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return Duration(timeInterval: (1 - tokens) / rate)
    }

    /// How long until a token is there (`nil`: one is there now), taking nothing.
    public func peek(now: Date) -> Duration? {
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= 1 ? nil : Duration(timeInterval: (1 - copy.tokens) / copy.rate)
    }

    /// Changes the rate (a 429 slows a target down; successes bring it back), keeping the saved tokens.
    public mutating func setRate(_ newRate: Double, now: Date) {
        refill(now: now)
        rate = max(newRate, 0.001)
    }

    private mutating func refill(now: Date) {
        let elapsed = max(0, now.timeIntervalSince(updatedAt))
        tokens = min(burst, tokens + elapsed * rate)
        updatedAt = now
    }
}
