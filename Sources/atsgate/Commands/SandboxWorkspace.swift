import ArgumentParser
import AtsgateTesting
import Foundation

/// The sandbox's throwaway folder: `connectors/` pointing at the fakes, a copy of `mappings/`,
/// and the SQLite database. Everything a real deployment has, nothing it shares.
struct SandboxWorkspace {
    static let loxoKeyVariable = "ATSGATE_SANDBOX_LOXO_KEY"
    static let bullhornVariables = (
        clientID: "ATSGATE_SANDBOX_BULLHORN_CLIENT_ID", clientSecret: "ATSGATE_SANDBOX_BULLHORN_CLIENT_SECRET",
        username: "ATSGATE_SANDBOX_BULLHORN_USERNAME", password: "ATSGATE_SANDBOX_BULLHORN_PASSWORD"
    )

    let directory: URL

    var databasePath: String { directory.appendingPathComponent("sandbox.sqlite").path }

    /// Creates `directory` (or a fresh temporary folder) and copies `mappings/` from `configuration`.
    static func create(at directory: String?, copyingMappingsFrom configuration: URL) throws -> SandboxWorkspace {
        let files = FileManager.default
        let root = directory.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? files.temporaryDirectory.appendingPathComponent("atsgate-sandbox-\(UUID().uuidString.prefix(8))", isDirectory: true)
        if files.fileExists(atPath: root.appendingPathComponent("sandbox.sqlite").path) {
            throw ValidationError("\(root.path) already holds a sandbox; pass an empty or new --directory")
        }
        let mappings = configuration.appendingPathComponent("mappings")
        guard files.fileExists(atPath: mappings.appendingPathComponent("loxo.yaml").path) else {
            throw ValidationError("\(mappings.path)/loxo.yaml not found; run from the repository or pass --config")
        }
        guard files.fileExists(atPath: mappings.appendingPathComponent("bullhorn.yaml").path) else {
            throw ValidationError("\(mappings.path)/bullhorn.yaml not found; run from the repository or pass --config")
        }
        try files.createDirectory(at: root.appendingPathComponent("connectors"), withIntermediateDirectories: true)
        try? files.removeItem(at: root.appendingPathComponent("mappings"))
        try files.copyItem(at: mappings, to: root.appendingPathComponent("mappings"))
        return SandboxWorkspace(directory: root)
    }

    /// `connectors/loxo.yaml` for the fake: quick retries so planted failures resolve within the run,
    /// and one delivery at a time so the story reads in order.
    func writeLoxoTarget(baseURL: String, agencySlug: String) throws {
        let yaml = """
        # Written by `atsgate sandbox`: the fake Loxo on loopback.
        kind: loxo
        base_url: \(baseURL)
        agency_slug: \(agencySlug)
        api_key_env: \(Self.loxoKeyVariable)
        retry:
          max_attempts: 6
          base_delay: 1s
          max_delay: 4s
          max_age: 10m
        rate_limit:
          requests_per_second: 50
          burst: 50
        concurrency: 1
        timeout: 5s
        circuit_breaker:
          minimum_requests: 5
          cool_down: 2s

        """
        try yaml.write(to: directory.appendingPathComponent("connectors/loxo.yaml"), atomically: true, encoding: .utf8)
    }

    /// `connectors/bullhorn.yaml` for the fake Bullhorn: the names of the variables holding its
    /// secrets, quick retries, one delivery at a time.
    func writeBullhornTarget(loginInfoURL: String, redirectURI: String) throws {
        let variables = Self.bullhornVariables
        let yaml = """
        # Written by `atsgate sandbox`: the fake Bullhorn on loopback. Secrets come from the environment.
        kind: bullhorn
        login_info_url: \(loginInfoURL)
        client_id_env: \(variables.clientID)
        client_secret_env: \(variables.clientSecret)
        username_env: \(variables.username)
        password_env: \(variables.password)
        redirect_uri: \(redirectURI)
        retry:
          max_attempts: 6
          base_delay: 1s
          max_delay: 4s
          max_age: 10m
        rate_limit:
          requests_per_second: 25
          burst: 25
        concurrency: 1
        timeout: 5s
        circuit_breaker:
          minimum_requests: 5
          cool_down: 2s

        """
        try yaml.write(to: directory.appendingPathComponent("connectors/bullhorn.yaml"), atomically: true, encoding: .utf8)
    }

    /// `connectors/email.yaml` for the sandbox's SMTP server: plain SMTP on loopback, quick retries.
    func writeEmailTarget(port: Int) throws {
        let yaml = """
        # Written by `atsgate sandbox`: aiosmtpd on loopback, storing what it receives in mailbox/.
        kind: email
        smtp_url: smtp://127.0.0.1:\(port)
        starttls: off
        from: atsgate@sandbox.example
        to:
          - desk@sandbox.example
        retry:
          max_attempts: 6
          base_delay: 1s
          max_delay: 4s
          max_age: 10m
        concurrency: 1
        timeout: 5s

        """
        try yaml.write(to: directory.appendingPathComponent("connectors/email.yaml"), atomically: true, encoding: .utf8)
    }

    /// The fake Bullhorn's credentials under the variable names `connectors/bullhorn.yaml` gives.
    static func bullhornEnvironment(_ tenant: FakeBullhorn.Configuration) -> [String: String] {
        [
            bullhornVariables.clientID: tenant.clientID, bullhornVariables.clientSecret: tenant.clientSecret,
            bullhornVariables.username: tenant.username, bullhornVariables.password: tenant.password,
        ]
    }
}
