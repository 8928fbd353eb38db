import Foundation

/// The kind of system a target is.
public enum TargetKind: String, Hashable, Sendable, Codable, CaseIterable {
    case loxo
    case bullhorn
    case email
    /// A generic JSON-over-HTTP endpoint (an in-house system, or a test target); see the README.
    case webhook

    /// The requests a delivery to this kind of target makes at most, in the usual case: what the
    /// default `attempt_timeout` allows for. A Loxo create looks the job up, finds or creates the
    /// company, creates the job, reads it, and finds, creates and attaches its contacts; a Bullhorn
    /// create may log in (four requests), find or create the company and the contact, create the
    /// JobOrder and search for it again. A delivery that needs more goes on in its next attempt.
    public var requestsPerDelivery: Int {
        switch self {
        case .loxo, .bullhorn: 10
        case .email, .webhook: 2
        }
    }
}

/// One configured target: `connectors/NAME.yaml`.
///
/// Only the *names* of environment variables holding secrets live here; their values are read
/// when a connector is built, and never logged.
public struct TargetConfiguration: Hashable, Sendable {
    public var name: TargetName
    public var isEnabled: Bool
    /// The mapping file under `mappings/`. The default is `NAME.yaml`.
    public var mapping: String
    public var settings: KindSettings
    public var retry: RetrySettings
    public var rateLimit: RateLimitSettings
    /// Deliveries in flight at once for this target. The default is 4.
    public var concurrency: Int
    /// Deadline of one request to the target. The default is 30 s.
    public var timeout: Duration
    /// Deadline of one whole delivery: every request and every wait inside it (`attempt_timeout`).
    /// The default is ``TargetKind/requestsPerDelivery`` × `timeout`: a usual delivery of the kind
    /// at its slowest; a longer one goes on in its next attempt.
    /// The row's lease outlasts it, so an attempt never works on a row that is no longer its own.
    public var attemptTimeout: Duration
    public var circuitBreaker: CircuitBreakerSettings
    public var reconcile: ReconcileSettings
    /// `notify_on_delivery`: tell the company's decision makers when a job reaches this target
    /// (`job_submitted`, once per job and person). The default is `false`.
    public var notifyOnDelivery: Bool
    /// `connections: required`: every organisation needs a connection of its own; the file's
    /// credentials (if any) serve nobody. Otherwise they are the default connection of
    /// organisations without one. The default is `false`.
    public var connectionsRequired: Bool

    public var kind: TargetKind { settings.kind }

    /// Whether organisations without a connection of their own deliver with the file's credentials.
    public var hasDefaultConnection: Bool { !connectionsRequired }

    public init(
        name: TargetName,
        isEnabled: Bool = true,
        mapping: String? = nil,
        settings: KindSettings,
        retry: RetrySettings = RetrySettings(),
        rateLimit: RateLimitSettings = RateLimitSettings(),
        concurrency: Int = 4,
        timeout: Duration = .seconds(30),
        attemptTimeout: Duration? = nil,
        circuitBreaker: CircuitBreakerSettings = CircuitBreakerSettings(),
        reconcile: ReconcileSettings = ReconcileSettings(),
        notifyOnDelivery: Bool = false,
        connectionsRequired: Bool = false
    ) {
        self.name = name
        self.isEnabled = isEnabled
        self.mapping = mapping ?? "\(name.rawValue).yaml"
        self.settings = settings
        self.retry = retry
        self.rateLimit = rateLimit
        self.concurrency = concurrency
        self.timeout = timeout
        self.attemptTimeout = attemptTimeout ?? timeout * settings.kind.requestsPerDelivery
        self.circuitBreaker = circuitBreaker
        self.reconcile = reconcile
        self.notifyOnDelivery = notifyOnDelivery
        self.connectionsRequired = connectionsRequired
    }

    public enum KindSettings: Hashable, Sendable {
        case loxo(LoxoSettings)
        case bullhorn(BullhornSettings)
        case email(EmailSettings)
        case webhook(WebhookSettings)

        public var kind: TargetKind {
            switch self {
            case .loxo: .loxo
            case .bullhorn: .bullhorn
            case .email: .email
            case .webhook: .webhook
            }
        }
    }

    public struct WebhookSettings: Hashable, Sendable {
        /// The collection URL, e.g. `https://hr.example/api/jobs`.
        public var url: String
        /// The environment variable holding a bearer token, if the endpoint wants one.
        public var tokenEnvironmentVariable: String?

        public init(url: String, tokenEnvironmentVariable: String? = nil) {
            self.url = url
            self.tokenEnvironmentVariable = tokenEnvironmentVariable
        }
    }

    public struct LoxoSettings: Hashable, Sendable {
        /// The default is `https://app.loxo.co`.
        public var baseURL: String
        public var agencySlug: String
        public var apiKeyEnvironmentVariable: String

        public init(baseURL: String = "https://app.loxo.co", agencySlug: String, apiKeyEnvironmentVariable: String) {
            self.baseURL = baseURL
            self.agencySlug = agencySlug
            self.apiKeyEnvironmentVariable = apiKeyEnvironmentVariable
        }
    }

    public struct BullhornSettings: Hashable, Sendable {
        public static let defaultLoginInfoURL = "https://rest.bullhornstaffing.com/rest-services/loginInfo"

        public var loginInfoURL: String
        public var clientIDEnvironmentVariable: String
        public var clientSecretEnvironmentVariable: String
        public var usernameEnvironmentVariable: String
        public var passwordEnvironmentVariable: String
        public var redirectURI: String?

        public init(
            loginInfoURL: String = Self.defaultLoginInfoURL,
            clientIDEnvironmentVariable: String,
            clientSecretEnvironmentVariable: String,
            usernameEnvironmentVariable: String,
            passwordEnvironmentVariable: String,
            redirectURI: String? = nil
        ) {
            self.loginInfoURL = loginInfoURL
            self.clientIDEnvironmentVariable = clientIDEnvironmentVariable
            self.clientSecretEnvironmentVariable = clientSecretEnvironmentVariable
            self.usernameEnvironmentVariable = usernameEnvironmentVariable
            self.passwordEnvironmentVariable = passwordEnvironmentVariable
            self.redirectURI = redirectURI
        }
    }

    public struct EmailSettings: Hashable, Sendable {
        public enum StartTLS: String, Hashable, Sendable, CaseIterable {
            case required
            case optional
            case off
        }

        /// `smtp://host:port` or `smtps://host:port`.
        public var smtpURL: String
        /// The default is `required` (ignored for `smtps://`, which is TLS from the first byte).
        public var startTLS: StartTLS
        public var from: String
        public var to: [String]
        public var usernameEnvironmentVariable: String?
        public var passwordEnvironmentVariable: String?

        public init(
            smtpURL: String,
            startTLS: StartTLS = .required,
            from: String,
            to: [String],
            usernameEnvironmentVariable: String? = nil,
            passwordEnvironmentVariable: String? = nil
        ) {
            self.smtpURL = smtpURL
            self.startTLS = startTLS
            self.from = from
            self.to = to
            self.usernameEnvironmentVariable = usernameEnvironmentVariable
            self.passwordEnvironmentVariable = passwordEnvironmentVariable
        }
    }
}

/// How long and how often a target's deliveries are retried.
public struct RetrySettings: Hashable, Sendable {
    /// Attempts before a row fails for good. The default is 18: with the other defaults the last
    /// attempt comes about 26 hours after the first (5 s, 10 s, 20 s, … doubling to 4 h, then every 4 h).
    public var maxAttempts: Int
    /// First backoff step. The default is 5 s.
    public var baseDelay: Duration
    /// Longest wait between attempts. The default is 4 h.
    public var maxDelay: Duration
    /// A row older than this fails instead of retrying. The default is 72 h.
    public var maxAge: Duration
    /// `redos_per_attempt`: times a delivery that failed `transient` or `rate_limited` is done
    /// again at once within its attempt, going on from where it stopped, while the target's
    /// retry budget allows (``AttemptRedo``). The default is 3; 0 sends every failure back to the outbox.
    public var redosPerAttempt: Int

    public init(
        maxAttempts: Int = 18,
        baseDelay: Duration = .seconds(5),
        maxDelay: Duration = .seconds(4 * 3_600),
        maxAge: Duration = .seconds(72 * 3_600),
        redosPerAttempt: Int = 3
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAge = maxAge
        self.redosPerAttempt = redosPerAttempt
    }
}

/// A token bucket per target.
public struct RateLimitSettings: Hashable, Sendable {
    /// The default is 5.
    public var requestsPerSecond: Double
    /// The default is 10.
    public var burst: Int

    public init(requestsPerSecond: Double = 5, burst: Int = 10) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
    }
}

/// Pauses a target that is down instead of burning every row's attempts, judged by its requests.
///
/// The circuit opens when, over the last `window`, at least `minimumRequests` requests went to
/// the target and at least `failureRate` of them failed. A target failing now and then stays
/// closed however many deliveries that fails; one that refuses everything opens within
/// `minimumRequests` requests. See ``TargetHealth``.
public struct CircuitBreakerSettings: Hashable, Sendable {
    /// The share of failed requests in the window that opens the circuit (`failure_rate`). The default is 0.5.
    public var failureRate: Double
    /// Requests the window must hold before its failure rate counts (`minimum_requests`; the older
    /// key `failure_threshold` means the same). The default is 10.
    public var minimumRequests: Int
    /// How far back the failure rate looks (`window`). The default is 30 s.
    public var window: Duration
    /// Successful probe requests that close a half-open circuit (`probes`). The default is 3.
    public var probes: Int
    /// The first cool-down (`initial_cool_down`); it doubles each time a probe fails, up to
    /// ``coolDown``, and starts again here once the target recovers. The default is 5 s (or
    /// `cool_down`, when that is shorter).
    public var initialCoolDown: Duration
    /// The longest cool-down (`cool_down`). The default is 60 s.
    public var coolDown: Duration

    public init(
        failureRate: Double = 0.5, minimumRequests: Int = 10, window: Duration = .seconds(30), probes: Int = 3,
        initialCoolDown: Duration = .seconds(5), coolDown: Duration = .seconds(60)
    ) {
        self.failureRate = failureRate
        self.minimumRequests = minimumRequests
        self.window = window
        self.probes = probes
        self.initialCoolDown = min(initialCoolDown, coolDown)
        self.coolDown = coolDown
    }

    /// The cool-down after the circuit opened `openings` times in a row (1 for the first).
    public func coolDown(afterOpenings openings: Int) -> Duration {
        let doublings = min(max(openings - 1, 0), 30)
        let seconds = initialCoolDown.timeInterval * pow(2, Double(doublings))
        return min(Duration(timeInterval: seconds), coolDown)
    }
}

/// `reconcile:` in a target's configuration.
public struct ReconcileSettings: Hashable, Sendable {
    /// Categories a finding can be repaired in, through the outbox.
    public static let repairable: Set<ReconcileCategory> = [.unsynced, .missingRemote, .unlinkedRemote, .drift, .statusMismatch]

    /// How often `atsgate reconcile --scheduled` (and, later, the service) reconciles this target; `nil`: never on its own.
    public var every: Duration?
    /// The categories `--apply` repairs; the others are reported only. The default is every repairable one.
    public var repair: Set<ReconcileCategory>

    public init(every: Duration? = nil, repair: Set<ReconcileCategory> = Self.repairable) {
        self.every = every
        self.repair = repair
    }
}
