import AtsgateCore
import Foundation
import Testing

@Suite("Target configuration files")
struct TargetConfigurationLoaderTests {
    @Test("A full Loxo file is read with its settings; omitted settings take their documented defaults")
    func loxo() throws {
        let yaml = """
        kind: loxo
        agency_slug: acme
        api_key_env: LOXO_API_KEY
        retry:
          max_attempts: 3
          base_delay: 2s
        timeout: 1m
        """
        let target = try TargetConfigurationLoader.parse(yaml, name: "loxo", file: "connectors/loxo.yaml")
        #expect(target.kind == .loxo)
        #expect(target.isEnabled)
        #expect(target.mapping == "loxo.yaml")
        #expect(target.settings == .loxo(.init(baseURL: "https://app.loxo.co", agencySlug: "acme", apiKeyEnvironmentVariable: "LOXO_API_KEY")))
        #expect(target.retry == RetrySettings(maxAttempts: 3, baseDelay: .seconds(2), maxDelay: .seconds(14_400), maxAge: .seconds(259_200)))
        #expect(target.timeout == .seconds(60))
        #expect(target.concurrency == 4)
    }

    @Test("The attempt's deadline defaults to the connector's longest delivery; the breaker reads every key, and the older failure_threshold")
    func attemptTimeoutAndBreaker() throws {
        let loxo = try TargetConfigurationLoader.parse("kind: loxo\nagency_slug: a\napi_key_env: K\ntimeout: 2s\n", name: "loxo", file: "connectors/loxo.yaml")
        #expect(loxo.attemptTimeout == .seconds(20), "ten requests of 2 s")
        #expect(loxo.circuitBreaker == CircuitBreakerSettings())
        let webhook = try TargetConfigurationLoader.parse("kind: webhook\nurl: https://hr.example/jobs\nattempt_timeout: 45s\n", name: "hr", file: "connectors/hr.yaml")
        #expect(webhook.attemptTimeout == .seconds(45))
        let yaml = """
        kind: loxo
        agency_slug: a
        api_key_env: K
        circuit_breaker:
          failure_rate: 0.25
          minimum_requests: 20
          window: 1m
          probes: 2
          initial_cool_down: 2s
          cool_down: 5m
        """
        let breaker = try TargetConfigurationLoader.parse(yaml, name: "loxo", file: "connectors/loxo.yaml").circuitBreaker
        #expect(breaker == CircuitBreakerSettings(
            failureRate: 0.25, minimumRequests: 20, window: .seconds(60), probes: 2, initialCoolDown: .seconds(2), coolDown: .seconds(300)
        ))
        let relaxed = try TargetConfigurationLoader.parse(
            "kind: loxo\nagency_slug: a\napi_key_env: K\ncircuit_breaker:\n  failure_threshold: 1000\n  cool_down: 1s\n", name: "loxo", file: "connectors/loxo.yaml"
        ).circuitBreaker
        #expect(relaxed.minimumRequests == 1_000)
        #expect(relaxed.initialCoolDown == .seconds(1), "the initial cool-down is cut to a shorter cool_down")
    }

    @Test("Bullhorn defaults to its documented 1,500 requests a minute")
    func bullhornRate() throws {
        let yaml = """
        kind: bullhorn
        client_id_env: BH_ID
        client_secret_env: BH_SECRET
        username_env: BH_USER
        password_env: BH_PASSWORD
        """
        let target = try TargetConfigurationLoader.parse(yaml, name: "bullhorn", file: "connectors/bullhorn.yaml")
        #expect(target.rateLimit.requestsPerSecond * 60 == 1_500)
    }

    @Test("Loxo's default send rate is a 20 requests/s ceiling; webhooks keep 5")
    func loxoRate() throws {
        let loxo = try TargetConfigurationLoader.parse("kind: loxo\nagency_slug: a\napi_key_env: K\n", name: "loxo", file: "connectors/loxo.yaml")
        #expect(loxo.rateLimit == RateLimitSettings(requestsPerSecond: 20, burst: 20))
        let webhook = try TargetConfigurationLoader.parse("kind: webhook\nurl: https://hr.example/jobs\n", name: "hr", file: "connectors/hr.yaml")
        #expect(webhook.rateLimit == RateLimitSettings())
    }

    @Test("Redos within an attempt default to 3; 0 turns them off")
    func redos() throws {
        let plain = try TargetConfigurationLoader.parse("kind: loxo\nagency_slug: a\napi_key_env: K\n", name: "loxo", file: "connectors/loxo.yaml")
        #expect(plain.retry.redosPerAttempt == 3)
        let off = try TargetConfigurationLoader.parse(
            "kind: loxo\nagency_slug: a\napi_key_env: K\nretry:\n  redos_per_attempt: 0\n", name: "loxo", file: "connectors/loxo.yaml"
        )
        #expect(off.retry.redosPerAttempt == 0)
    }

    @Test("Each broken file names its file, line, field and reason", arguments: [
        ("kind: loxo\nagency_slug: a\napi_key_env: K\ntimeot: 5s\n", "connectors/t.yaml:4: field 'timeot': unknown key"),
        ("kind: loxo\nagency_slug: a\n", "connectors/t.yaml:1: field 'api_key_env': is required"),
        ("kind: loxo\nagency_slug: a\napi_key_env: sk-live-123\n", "connectors/t.yaml:3: field 'api_key_env': must name an environment variable"),
        ("kind: sap\n", "connectors/t.yaml:1: field 'kind': 'sap' is not one of: loxo, bullhorn, email, webhook"),
        ("kind: loxo\nagency_slug: a\napi_key_env: K\nretry:\n  max_attempts: 0\n", "connectors/t.yaml:5: field 'retry.max_attempts': must be a whole number of at least 1"),
        ("kind: loxo\nagency_slug: a\napi_key_env: K\nretry:\n  redos_per_attempt: -1\n", "connectors/t.yaml:5: field 'retry.redos_per_attempt': must be a whole number of at least 0"),
        ("kind: loxo\nagency_slug: a\napi_key_env: K\ntimeout: soon\n", "connectors/t.yaml:4: field 'timeout': 'soon' is not a duration"),
        ("kind: email\nsmtp_url: http://mail\nfrom: a@b.example\nto: [c@d.example]\n", "connectors/t.yaml:2: field 'smtp_url': must be an smtp:// or smtps:// URL"),
        ("kind: email\nsmtp_url: smtp://mail\nfrom: a@b.example\nto: [not-an-address]\n", "connectors/t.yaml:4: field 'to': lists an address that is not valid"),
        ("kind: loxo\n  agency_slug: [\n", "connectors/t.yaml:2: is not valid YAML"),
        ("kind: loxo\nagency_slug: a\napi_key_env: K\ntimeout: 10s\nattempt_timeout: 5s\n", "connectors/t.yaml:5: field 'attempt_timeout': must not be shorter than timeout (10s)"),
        ("kind: loxo\nagency_slug: a\napi_key_env: K\ncircuit_breaker:\n  failure_rate: 50\n", "connectors/t.yaml:5: field 'circuit_breaker.failure_rate': must be a share of requests between 0 and 1"),
        ("kind: loxo\nagency_slug: a\napi_key_env: K\ncircuit_breaker:\n  minimum_requests: 5\n  failure_threshold: 5\n", "connectors/t.yaml:6: field 'circuit_breaker.failure_threshold': failure_threshold is the older name"),
        ("kind: loxo\nagency_slug: a\napi_key_env: K\ncircuit_breaker:\n  initial_cool_down: 2m\n", "connectors/t.yaml:5: field 'circuit_breaker.initial_cool_down': must not be longer than cool_down (1m)"),
    ])
    func brokenFile(yaml: String, expected: String) {
        do {
            _ = try TargetConfigurationLoader.parse(yaml, name: "t", file: "connectors/t.yaml")
            Issue.record("accepted a broken file")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
        }
    }

    @Test("A folder is loaded whole; every broken file is reported, not just the first")
    func folder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        let connectors = directory.appendingPathComponent("connectors")
        try FileManager.default.createDirectory(at: connectors, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("kind: loxo\nagency_slug: a\napi_key_env: K\nenabled: false\n".utf8).write(to: connectors.appendingPathComponent("loxo.yaml"))
        try Data("kind: email\nsmtp_url: smtp://m\nfrom: a@b.example\nto: c@d.example\n".utf8).write(to: connectors.appendingPathComponent("desk.yaml"))
        let catalog = try TargetConfigurationLoader(configurationDirectory: directory).load()
        #expect(catalog.allNames.map(\.rawValue) == ["desk", "loxo"])
        #expect(catalog.enabledTargets.map(\.rawValue) == ["desk"])

        try Data("kind: nope\n".utf8).write(to: connectors.appendingPathComponent("a.yaml"))
        try Data("kind: loxo\n".utf8).write(to: connectors.appendingPathComponent("Bad Name.yaml"))
        do {
            _ = try TargetConfigurationLoader(configurationDirectory: directory).load()
            Issue.record("accepted broken files")
        } catch {
            #expect(error.errors.map(\.file) == ["connectors/Bad Name.yaml", "connectors/a.yaml"])
        }
    }

    @Test("Durations read and print in the short forms")
    func durations() {
        #expect(DurationText.parse("250ms") == .milliseconds(250))
        #expect(DurationText.parse("1.5h") == .seconds(5_400))
        #expect(DurationText.parse("90") == .seconds(90))
        #expect(DurationText.parse("-1s") == nil)
        #expect(DurationText.format(.seconds(5_430)) == "1h30m30s")
        #expect(DurationText.format(.milliseconds(1_500)) == "1500ms")
    }
}
