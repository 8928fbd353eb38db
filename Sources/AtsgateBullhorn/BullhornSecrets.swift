public import AtsgateCore

/// The four secrets of a Bullhorn API user (ATS_APIS.md B1), read from the environment variables
/// a target's configuration names. Values never appear in errors, logs or descriptions: errors
/// name the variable instead.
public struct BullhornSecrets: Sendable {
    public var clientID: Secret?
    public var clientSecret: Secret?
    public var username: Secret?
    public var password: Secret?

    public init(clientID: Secret?, clientSecret: Secret?, username: Secret?, password: Secret?) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.username = username
        self.password = password
    }

    /// The values of the variables `settings` names, taken from `environment`.
    public init(settings: TargetConfiguration.BullhornSettings, environment: [String: String]) {
        self.init(
            clientID: Secret(environment[settings.clientIDEnvironmentVariable]),
            clientSecret: Secret(environment[settings.clientSecretEnvironmentVariable]),
            username: Secret(environment[settings.usernameEnvironmentVariable]),
            password: Secret(environment[settings.passwordEnvironmentVariable])
        )
    }
}

/// The secrets once every one of them is known, with the names of their variables for errors.
struct BullhornCredentials: Sendable {
    var clientID: Secret
    var clientSecret: Secret
    var username: Secret
    var password: Secret
    var redirectURI: String?
    let variables: TargetConfiguration.BullhornSettings

    /// Fails with a `config` error naming the first variable that is unset or empty.
    init(_ secrets: BullhornSecrets, settings: TargetConfiguration.BullhornSettings) throws(ConnectorError) {
        func required(_ value: Secret?, _ setting: String, _ variable: String, _ what: String) throws(ConnectorError) -> Secret {
            guard let value, !value.value.isEmpty else {
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
        for byte in "\(clientID.value)\u{0}\(username.value)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "refresh_token:\(String(hash, radix: 16))"
    }
}
