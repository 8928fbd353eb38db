import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    let policy = RetryPolicy(settings: RetrySettings(maxAttempts: 6, baseDelay: .seconds(5), maxDelay: .seconds(60), maxAge: .seconds(3_600)))
    let now = Fixtures.now

    @Test("The nominal schedule doubles from base_delay and stops at max_delay")
    func schedule() {
        #expect((1...7).map { policy.nominalDelay(afterAttempt: $0) } == [5, 10, 20, 40, 60, 60, 60].map { Duration.seconds($0) })
    }

    @Test("Jitter stays within ±20 % and never passes max_delay")
    func jitter() {
        #expect(policy.delay(afterAttempt: 2, jitter: 0) == .seconds(8))
        #expect(policy.delay(afterAttempt: 2, jitter: 1) == .seconds(12))
        #expect(policy.delay(afterAttempt: 2, jitter: 0.5) == .seconds(10))
        #expect(policy.delay(afterAttempt: 6, jitter: 1) == .seconds(60))
    }

    @Test("The default settings give a schedule of about a day")
    func defaults() {
        let defaults = RetryPolicy(settings: RetrySettings())
        let waits = (1..<RetrySettings().maxAttempts).map { defaults.nominalDelay(afterAttempt: $0).timeInterval }
        #expect(waits.prefix(4) == [5, 10, 20, 40])
        #expect(abs((waits.last ?? 0) - 14_400) < 0.01)
        let total = waits.reduce(0, +)
        #expect(total > 18 * 3_600 && total < 30 * 3_600, "\(total / 3_600) h")
    }

    @Test("transient: retried with backoff until max_attempts")
    func transient() {
        let error = ConnectorError.transient("the target answered 503", httpStatus: 503)
        #expect(policy.decide(after: error, attempt: 2, enqueuedAt: now, now: now, previousErrorKind: .transient, jitter: 0.5) == .retry(at: now.addingTimeInterval(10)))
        #expect(policy.decide(after: error, attempt: 6, enqueuedAt: now, now: now, previousErrorKind: .transient, jitter: 0.5)
            == .fail(reason: "gave up after 6 attempts: the target answered 503"))
    }

    @Test("transient: a retry that would fall after max_age fails instead")
    func maxAge() {
        let error = ConnectorError.transient("timeout")
        let decision = policy.decide(after: error, attempt: 3, enqueuedAt: now.addingTimeInterval(-3_590), now: now, previousErrorKind: nil, jitter: 0.5)
        guard case .fail(let reason) = decision else {
            Issue.record("expected a failure, got \(decision)")
            return
        }
        #expect(reason.hasPrefix("gave up: the next attempt would fall after max_age (1h)"))
    }

    @Test("rate_limited waits at least Retry-After, bounded by max_delay, and does not use up attempts")
    func rateLimited() {
        let asked = ConnectorError.rateLimited("slow down", retryAfter: .seconds(30))
        #expect(policy.decide(after: asked, attempt: 9, enqueuedAt: now, now: now, previousErrorKind: nil, jitter: 0) == .retry(at: now.addingTimeInterval(30)))
        let greedy = ConnectorError.rateLimited("slow down", retryAfter: .seconds(7_200))
        #expect(policy.decide(after: greedy, attempt: 1, enqueuedAt: now, now: now, previousErrorKind: nil, jitter: 0) == .retry(at: now.addingTimeInterval(60)))
        let silent = ConnectorError.rateLimited("slow down", retryAfter: nil)
        #expect(policy.decide(after: silent, attempt: 3, enqueuedAt: now, now: now, previousErrorKind: nil, jitter: 0.5) == .retry(at: now.addingTimeInterval(20)))
    }

    @Test("auth: one refresh, then failure")
    func auth() {
        let error = ConnectorError.auth("invalid token", httpStatus: 401)
        #expect(policy.decide(after: error, attempt: 1, enqueuedAt: now, now: now, previousErrorKind: nil, jitter: 0) == .refreshCredentialsAndRetry)
        #expect(policy.decide(after: error, attempt: 2, enqueuedAt: now, now: now, previousErrorKind: .auth, jitter: 0)
            == .fail(reason: "authentication failed again after a credential refresh: invalid token"))
    }

    @Test("rejected, mapping and config fail at once with their reason", arguments: [
        ConnectorError.rejected("title is required", httpStatus: 422),
        ConnectorError.mapping(field: "clientContact", job: "job-1", reason: "no decision maker"),
        ConnectorError.config(setting: "api_key_env", reason: "LOXO_KEY is not set"),
    ])
    func permanent(error: ConnectorError) {
        #expect(policy.decide(after: error, attempt: 1, enqueuedAt: now, now: now, previousErrorKind: nil, jitter: 0) == .fail(reason: error.message))
    }

    @Test("Retry-After in both forms: seconds and an HTTP date; a past date means now")
    func retryAfter() {
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        let date = now.addingTimeInterval(90)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        #expect(RetryAfter.parse(formatter.string(from: date), now: now) == .seconds(90))
        #expect(RetryAfter.parse(formatter.string(from: now.addingTimeInterval(-30)), now: now) == .zero)
        #expect(RetryAfter.parse("soon", now: now) == nil)
        #expect(RetryAfter.parse("-5", now: now) == nil)
    }
}
