public import Foundation

/// Reads `connectors/*.yaml` under a configuration folder into a ``TargetCatalog``.
public struct TargetConfigurationLoader: Sendable {
    public var configurationDirectory: URL

    public init(configurationDirectory: URL) {
        self.configurationDirectory = configurationDirectory
    }

    /// Loads every file, collecting every broken one before failing. A missing `connectors/` folder is an empty catalog.
    public func load() throws(ConfigurationErrors) -> TargetCatalog {
        let folder = configurationDirectory.appendingPathComponent("connectors", isDirectory: true)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            return TargetCatalog()
        }
        var targets: [TargetConfiguration] = []
        var errors: [ConfigurationError] = []
        for fileName in names.sorted() where fileName.hasSuffix(".yaml") || fileName.hasSuffix(".yml") {
            let displayPath = "connectors/\(fileName)"
            do throws(ConfigurationError) {
                let text: String
                do {
                    text = try String(contentsOf: folder.appendingPathComponent(fileName), encoding: .utf8)
                } catch {
                    throw ConfigurationError(file: displayPath, reason: "cannot be read as UTF-8 text")
                }
                let stem = (fileName as NSString).deletingPathExtension
                targets.append(try Self.parse(text, name: stem, file: displayPath))
            } catch {
                errors.append(error)
            }
        }
        guard errors.isEmpty else { throw ConfigurationErrors(errors) }
        return TargetCatalog(targets)
    }

    static let commonKeys: Set = [
        "kind", "enabled", "mapping", "retry", "rate_limit", "concurrency", "timeout", "attempt_timeout", "circuit_breaker", "reconcile",
        "notify_on_delivery", "connections",
    ]
    static let kindKeys: [TargetKind: Set<String>] = [
        .loxo: ["base_url", "agency_slug", "api_key_env"],
        .bullhorn: ["login_info_url", "client_id_env", "client_secret_env", "username_env", "password_env", "redirect_uri"],
        .email: ["smtp_url", "starttls", "from", "to", "username_env", "password_env"],
        .webhook: ["url", "token_env"],
    ]

    /// Parses one target file. `name` is the file name without extension: the target's name in the outbox.
    public static func parse(_ text: String, name: String, file: String) throws(ConfigurationError) -> TargetConfiguration {
        guard let targetName = TargetName(rawValue: name) else {
            throw ConfigurationError(file: file, reason: "'\(name)' is not a valid target name (lower-case letters, digits, - and _, starting with a letter)")
        }
        let document = try YAMLField.document(text, file: file)
        let kindMapping = try document.mapping(allowed: commonKeys.union(kindKeys.values.joined()))
        let kindField = try kindMapping.required("kind")
        let kindText = try kindField.string()
        guard let kind = TargetKind(rawValue: kindText) else {
            throw kindField.error("'\(kindText)' is not one of: \(TargetKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let fields = try document.mapping(allowed: commonKeys.union(kindKeys[kind] ?? []))
        let defaults = TargetConfiguration(name: targetName, settings: .email(.init(smtpURL: "", from: "", to: [])))
        let timeout = try fields["timeout"]?.duration() ?? defaults.timeout
        let attemptTimeout = try fields["attempt_timeout"]?.duration()
        if let attemptTimeout, attemptTimeout < timeout, let field = fields["attempt_timeout"] {
            throw field.error("must not be shorter than timeout (\(DurationText.format(timeout))): not even one request would fit")
        }

        var connectionsRequired = false
        if let field = fields["connections"] {
            switch try field.string() {
            case "required": connectionsRequired = true
            case "optional": connectionsRequired = false
            case let other: throw field.error("'\(other)' is not one of: required, optional")
            }
        }
        // With connections required, the file's credentials serve nobody and may be left out.
        let hasCredentials = !(kindKeys[kind] ?? []).isDisjoint(with: fields.fields.keys)
        let settings = connectionsRequired && !hasCredentials ? KindSettingsPlaceholder.of(kind) : try kindSettings(kind, fields)

        return TargetConfiguration(
            name: targetName,
            isEnabled: try fields["enabled"]?.bool() ?? true,
            mapping: try fields["mapping"]?.string(),
            settings: settings,
            retry: try retry(fields["retry"]),
            rateLimit: try rateLimit(fields["rate_limit"], kind: kind),
            concurrency: try fields["concurrency"]?.int(atLeast: 1) ?? defaults.concurrency,
            timeout: timeout,
            attemptTimeout: attemptTimeout,
            circuitBreaker: try circuitBreaker(fields["circuit_breaker"]),
            reconcile: try reconcile(fields["reconcile"]),
            notifyOnDelivery: try fields["notify_on_delivery"]?.bool() ?? false,
            connectionsRequired: connectionsRequired
        )
    }

    private static func reconcile(_ field: YAMLField?) throws(ConfigurationError) -> ReconcileSettings {
        var settings = ReconcileSettings()
        guard let field else { return settings }
        let fields = try field.mapping(allowed: ["every", "repair"])
        settings.every = try fields["every"]?.duration()
        if let repairField = fields["repair"] {
            var repair: Set<ReconcileCategory> = []
            for name in try repairField.stringList() {
                guard let category = ReconcileCategory(rawValue: name) else {
                    throw repairField.error("'\(name)' is not a finding category (\(ReconcileCategory.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                guard ReconcileSettings.repairable.contains(category) else {
                    throw repairField.error("\(name) findings are report-only")
                }
                repair.insert(category)
            }
            settings.repair = repair
        }
        return settings
    }

    static func kindSettings(_ kind: TargetKind, _ fields: YAMLMapping) throws(ConfigurationError) -> TargetConfiguration.KindSettings {
        switch kind {
        case .loxo:
            return .loxo(.init(
                baseURL: try fields["base_url"].map { field throws(ConfigurationError) in try webURL(field) } ?? "https://app.loxo.co",
                agencySlug: try fields.required("agency_slug").string(),
                apiKeyEnvironmentVariable: try fields.required("api_key_env").environmentVariableName()
            ))
        case .bullhorn:
            return .bullhorn(.init(
                loginInfoURL: try fields["login_info_url"].map { field throws(ConfigurationError) in try webURL(field) }
                    ?? TargetConfiguration.BullhornSettings.defaultLoginInfoURL,
                clientIDEnvironmentVariable: try fields.required("client_id_env").environmentVariableName(),
                clientSecretEnvironmentVariable: try fields.required("client_secret_env").environmentVariableName(),
                usernameEnvironmentVariable: try fields.required("username_env").environmentVariableName(),
                passwordEnvironmentVariable: try fields.required("password_env").environmentVariableName(),
                redirectURI: try fields["redirect_uri"]?.string()
            ))
        case .email:
            let urlField = try fields.required("smtp_url")
            let smtpURL = try urlField.string()
            guard let url = URL(string: smtpURL), ["smtp", "smtps"].contains(url.scheme?.lowercased() ?? ""),
                  url.host?.isEmpty == false
            else { throw urlField.error("must be an smtp:// or smtps:// URL with a host") }
            var startTLS = TargetConfiguration.EmailSettings.StartTLS.required
            if let field = fields["starttls"] {
                let text = try field.string()
                guard let value = TargetConfiguration.EmailSettings.StartTLS(rawValue: text) else {
                    throw field.error("'\(text)' is not one of: required, optional, off")
                }
                startTLS = value
            }
            let fromField = try fields.required("from")
            let from = try fromField.string()
            guard EmailAddress.isValid(from) else { throw fromField.error("is not a valid email address") }
            let toField = try fields.required("to")
            let to = try toField.stringList()
            guard to.allSatisfy(EmailAddress.isValid) else { throw toField.error("lists an address that is not valid") }
            let username = try fields["username_env"]?.environmentVariableName()
            let password = try fields["password_env"]?.environmentVariableName()
            if (username == nil) != (password == nil) {
                throw toField.error("username_env and password_env must be given together")
            }
            return .email(.init(
                smtpURL: smtpURL, startTLS: startTLS, from: from, to: to,
                usernameEnvironmentVariable: username, passwordEnvironmentVariable: password
            ))
        case .webhook:
            return .webhook(.init(
                url: try webURL(try fields.required("url")),
                tokenEnvironmentVariable: try fields["token_env"]?.environmentVariableName()
            ))
        }
    }

    private static func webURL(_ field: YAMLField) throws(ConfigurationError) -> String {
        let text = try field.string()
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false else {
            throw field.error("'\(text)' is not an http(s) URL")
        }
        return text
    }

    private static func retry(_ field: YAMLField?) throws(ConfigurationError) -> RetrySettings {
        var settings = RetrySettings()
        guard let field else { return settings }
        let fields = try field.mapping(allowed: ["max_attempts", "base_delay", "max_delay", "max_age", "redos_per_attempt"])
        settings.maxAttempts = try fields["max_attempts"]?.int(atLeast: 1) ?? settings.maxAttempts
        settings.baseDelay = try fields["base_delay"]?.duration() ?? settings.baseDelay
        settings.maxDelay = try fields["max_delay"]?.duration() ?? settings.maxDelay
        settings.maxAge = try fields["max_age"]?.duration() ?? settings.maxAge
        settings.redosPerAttempt = try fields["redos_per_attempt"]?.int(atLeast: 0) ?? settings.redosPerAttempt
        if settings.maxDelay < settings.baseDelay {
            throw (fields["max_delay"] ?? field).error("must not be shorter than base_delay")
        }
        return settings
    }

    private static func rateLimit(_ field: YAMLField?, kind: TargetKind) throws(ConfigurationError) -> RateLimitSettings {
        var settings = switch kind {
        // Bullhorn allows 1,500 requests a minute per account (ATS_APIS.md B6).
        case .bullhorn: RateLimitSettings(requestsPerSecond: 25, burst: 25)
        // Loxo publishes no limit (ATS_APIS.md A7): a ceiling that a backlog drains at, which the
        // target's 429s lower (``TargetGate``) where an agency's limit is lower.
        case .loxo: RateLimitSettings(requestsPerSecond: 20, burst: 20)
        case .email, .webhook: RateLimitSettings()
        }
        guard let field else { return settings }
        let fields = try field.mapping(allowed: ["requests_per_second", "burst"])
        settings.requestsPerSecond = try fields["requests_per_second"]?.positiveNumber() ?? settings.requestsPerSecond
        settings.burst = try fields["burst"]?.int(atLeast: 1) ?? settings.burst
        return settings
    }

    private static func circuitBreaker(_ field: YAMLField?) throws(ConfigurationError) -> CircuitBreakerSettings {
        var settings = CircuitBreakerSettings()
        guard let field else { return settings }
        let fields = try field.mapping(allowed: [
            "failure_rate", "minimum_requests", "failure_threshold", "window", "probes", "initial_cool_down", "cool_down",
        ])
        if let rateField = fields["failure_rate"] {
            let rate = try rateField.positiveNumber()
            guard rate <= 1 else { throw rateField.error("must be a share of requests between 0 and 1, e.g. 0.5") }
            settings.failureRate = rate
        }
        if fields["minimum_requests"] != nil, let legacy = fields["failure_threshold"] {
            throw legacy.error("failure_threshold is the older name of minimum_requests; give one of them")
        }
        settings.minimumRequests = try (fields["minimum_requests"] ?? fields["failure_threshold"])?.int(atLeast: 1) ?? settings.minimumRequests
        settings.window = try fields["window"]?.duration() ?? settings.window
        settings.probes = try fields["probes"]?.int(atLeast: 1) ?? settings.probes
        settings.coolDown = try fields["cool_down"]?.duration() ?? settings.coolDown
        if let initialField = fields["initial_cool_down"] {
            settings.initialCoolDown = try initialField.duration()
            if settings.initialCoolDown > settings.coolDown {
                throw initialField.error("must not be longer than cool_down (\(DurationText.format(settings.coolDown)))")
            }
        } else {
            settings.initialCoolDown = min(CircuitBreakerSettings().initialCoolDown, settings.coolDown)
        }
        return settings
    }
}
