public import AtsgateCore

/// The four secrets of a Bullhorn API user (ATS_APIS.md B1), read from the environment variables
/// a target's configuration names. Values never appear in errors, logs or descriptions: errors
/// name the variable instead.
public struct BullhornSecrets: Sendable, CustomStringConvertible {
    public var clientID: String?
    public var clientSecret: String?
    public var username: String?
    public var password: String?

    public init(clientID: String?, clientSecret: String?, username: String?, password: String?) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.username = username
        self.password = password
    }

    /// The values of the variables `settings` names, taken from `environment`.
    public init(settings: TargetConfiguration.BullhornSettings, environment: [String: String]) {
        self.init(
            clientID: environment[settings.clientIDEnvironmentVariable],
            clientSecret: environment[settings.clientSecretEnvironmentVariable],
            username: environment[settings.usernameEnvironmentVariable],
            password: environment[settings.passwordEnvironmentVariable]
        )
    }

    public var description: String { "BullhornSecrets(redacted)" }
}

/// The secrets once every one of them is known, with the names of their variables for errors.
struct BullhornCredentials: Sendable {
    var clientID: String
    var clientSecret: String
    var username: String
    var password: String
    var redirectURI: String?
    let variables: TargetConfiguration.BullhornSettings

    /// Fails with a `config` error naming the first variable that is unset or empty.
    init(_ secrets: BullhornSecrets, settings: TargetConfiguration.BullhornSettings) throws(ConnectorError) {
        func required(_ value: String?, _ setting: String, _ variable: String, _ what: String) throws(ConnectorError) -> String {
            guard let value, !value.isEmpty else {
                throw .config(setting: setting, reason: "the environment variable \(variable) holding the Bullhorn \(what) is not set")
            }
            return value
        }
        clientID = try required(secrets.clientID, "client_id_env", settings.clientIDEnvironmentVariable, "client id")
        clientSecret = try required(secrets.clientSecret, "client_secret_env", settings.clientSecretEnvironmentVariable, "client secret")
        username = try required(secrets.username, "username_env", settings.usernameEnvironmentVariable, "API username")
        password = try required(secrets.password, "password_env", settings.passwordEnvironmentVariable, "API password")
        redirectURI = settings.redirectURI
        variables = settings
    }

    /// Where the rotating refresh token is stored: one per client and API user, so switching either
    /// never continues with the other one's token. The suffix is a hash, not the values.
    var refreshTokenName: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(clientID)\u{0}\(username)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "refresh_token:\(String(hash, radix: 16))"
    }
}
