import AtsgateCore
import Foundation

/// Bullhorn's four-step authentication (ATS_APIS.md B1) and the sessions it opens. A value type
/// with no I/O: ``FakeBullhorn`` keeps it under its lock and passes in the time.
///
/// - `loginInfo` answers `{oauthUrl, restUrl}`, or first a 307 to the tenant's data center;
/// - `authorize` answers a 302 whose `Location` carries a percent-encoded `code` (it contains a
///   `:`) on good credentials, and an HTML page (200) on anything else;
/// - `token` exchanges a code (single use, short-lived, and tied to the `redirect_uri` given to
///   `authorize`, which must come back byte for byte) or a refresh token. Refresh tokens rotate and
///   are single-use: a spent one is an `invalid_grant`. Access tokens live ten minutes;
/// - `login` turns an access token into a `BhRestToken` and the authoritative `restUrl`.
struct FakeBullhornAuth {
    enum Step: Hashable, Sendable {
        case loginInfo, dataCenterLoginInfo, authorize, token, login

        /// The steps a test can script faults on.
        var faultTarget: FakeBullhorn.FaultTarget? {
            switch self {
            case .token: .token
            case .login: .login
            case .loginInfo, .dataCenterLoginInfo, .authorize: nil
            }
        }
    }

    struct Call: Sendable {
        var step: Step
        var parameters: [String: String]
        /// The `{dataCenter}` of `/dc/{dataCenter}/rest-services/loginInfo`.
        var dataCenter: String?
        var now: Date
        /// `http://127.0.0.1:PORT`.
        var baseURL: String
    }

    enum SessionCheck: Hashable, Sendable {
        case missing
        case invalid
        case valid(expires: Date)
    }

    /// The longest session a `ttl` can ask for, in minutes (B1: the SDK's `MAX_TTL`).
    static let maximumTTL = 2_880

    private struct Code {
        var expires: Date
        var redirectURI: String?
    }

    let configuration: FakeBullhorn.Configuration
    private(set) var counts = FakeBullhorn.AuthCounts()
    private var codes: [String: Code] = [:]
    private var accessTokens: [String: Date] = [:]
    private var refreshTokens: Set<String> = []
    var liveRefreshTokens: Set<String> { refreshTokens }
    private var sessions: [String: Date] = [:]
    private var serial = 0

    init(configuration: FakeBullhorn.Configuration) {
        self.configuration = configuration
    }

    mutating func answer(_ call: Call) -> FakeBullhornAnswer {
        switch call.step {
        case .loginInfo, .dataCenterLoginInfo: loginInfo(call)
        case .authorize: authorize(call)
        case .token: token(call)
        case .login: login(call)
        }
    }

    // MARK: - Sessions

    func session(_ token: String?, now: Date) -> SessionCheck {
        guard let token, !token.isEmpty else { return .missing }
        guard let expires = sessions[token], expires > now else { return .invalid }
        return .valid(expires: expires)
    }

    mutating func endSession(_ token: String?) {
        if let token { sessions[token] = nil }
    }

    mutating func expireSessions() {
        sessions.removeAll()
    }

    mutating func expireAccessTokens() {
        accessTokens.removeAll()
    }

    // MARK: - Steps

    private func loginInfo(_ call: Call) -> FakeBullhornAnswer {
        guard let username = call.parameters["username"], !username.isEmpty else {
            return .badRequest("Missing required parameter: username", key: "errors.missingParameter")
        }
        if call.step == .loginInfo, let dataCenter = configuration.dataCenter {
            let location = "\(call.baseURL)/dc/\(dataCenter)/rest-services/loginInfo?username=\(FakeBullhorn.percentEncoded(username))"
            return .redirect(307, to: location)
        }
        if call.step == .dataCenterLoginInfo, call.dataCenter != configuration.dataCenter {
            return .error(404, "Unknown data center", key: nil)
        }
        return .json([
            "oauthUrl": .string("\(call.baseURL)/oauth"),
            "restUrl": .string("\(call.baseURL)/rest-services"),
            // Fields the SDK does not read (B1), so that clients learn to ignore them.
            "atsUrl": .string("\(call.baseURL)/ats"),
            "dataCenterId": 2,
            "superCluster": "fake",
        ])
    }

    private mutating func authorize(_ call: Call) -> FakeBullhornAnswer {
        let parameters = call.parameters
        guard parameters["client_id"] == configuration.clientID else { return .html(Self.page("Invalid Client Id")) }
        guard parameters["response_type"] == "code" else { return .html(Self.page("Invalid response_type: code is required")) }
        if let redirectURI = parameters["redirect_uri"], redirectURI != configuration.redirectURI {
            return .html(Self.page("Invalid Redirect URI"))
        }
        guard parameters["action"] == "Login", let username = parameters["username"], let password = parameters["password"] else {
            return .html(Self.loginForm(error: nil))
        }
        guard username == configuration.username, password == configuration.password else {
            counts.failedPasswordLogins += 1
            return .html(Self.loginForm(error: "Invalid username or password."))
        }
        counts.passwordLogins += 1
        let code = newToken()
        codes[code] = Code(expires: call.now.adding(configuration.authorizationCodeLifetime), redirectURI: parameters["redirect_uri"])
        let target = parameters["redirect_uri"] ?? configuration.redirectURI
        var location = "\(target)\(target.contains("?") ? "&" : "?")code=\(FakeBullhorn.percentEncoded(code))"
        location += "&client_id=\(FakeBullhorn.percentEncoded(configuration.clientID))"
        if let state = parameters["state"] { location += "&state=\(FakeBullhorn.percentEncoded(state))" }
        return .redirect(302, to: location)
    }

    private mutating func token(_ call: Call) -> FakeBullhornAnswer {
        let parameters = call.parameters
        guard parameters["client_id"] == configuration.clientID, parameters["client_secret"] == configuration.clientSecret else {
            return Self.oauthError(401, "invalid_client", "Client authentication failed.")
        }
        switch parameters["grant_type"] {
        case "authorization_code":
            guard let value = parameters["code"], let code = codes.removeValue(forKey: value), code.expires > call.now else {
                return Self.oauthError(400, "invalid_grant", "Invalid, expired, or revoked authorization code.")
            }
            if let redirectURI = code.redirectURI, parameters["redirect_uri"] != redirectURI {
                return Self.oauthError(400, "invalid_grant", "Redirect URI mismatch.")
            }
            counts.codeGrants += 1
        case "refresh_token":
            guard let value = parameters["refresh_token"], refreshTokens.remove(value) != nil else {
                counts.rejectedRefreshGrants += 1
                return Self.oauthError(400, "invalid_grant", "Invalid, expired, or revoked refresh token.")
            }
            counts.refreshGrants += 1
        case nil:
            return Self.oauthError(400, "invalid_request", "Missing grant type")
        default:
            return Self.oauthError(400, "unsupported_grant_type", "Unsupported grant type")
        }
        let accessToken = newToken()
        let refreshToken = newToken()
        accessTokens[accessToken] = call.now.adding(configuration.accessTokenLifetime)
        refreshTokens.insert(refreshToken)
        return .json([
            "access_token": .string(accessToken), "token_type": "Bearer",
            "expires_in": .int(Int(configuration.accessTokenLifetime.components.seconds)),
            "refresh_token": .string(refreshToken),
        ])
    }

    private mutating func login(_ call: Call) -> FakeBullhornAnswer {
        guard let version = call.parameters["version"], !version.isEmpty else {
            return .badRequest("Missing required parameter: version", key: "errors.missingParameter")
        }
        guard let token = call.parameters["access_token"], let expires = accessTokens[token], expires > call.now else {
            return .error(400, "Invalid or expired OAuth access token.", key: "errors.authentication.invalidOAuthToken")
        }
        var lifetime = configuration.sessionLifetime
        if let minutes = call.parameters["ttl"].flatMap({ Int($0) }), minutes > 0 {
            lifetime = .seconds(60 * min(minutes, Self.maximumTTL))
        }
        let session = UUID().uuidString.lowercased()
        sessions[session] = call.now.adding(lifetime)
        counts.restLogins += 1
        return .json([
            "BhRestToken": .string(session),
            "restUrl": .string("\(call.baseURL)/rest-services/\(configuration.corpToken)/"),
        ])
    }

    // MARK: - Helpers

    /// Codes and tokens look like Bullhorn's, `serial:uuid`; the colon must be percent-encoded in a URL.
    private mutating func newToken() -> String {
        serial += 1
        return "\(serial):\(UUID().uuidString.lowercased())"
    }

    private static func oauthError(_ status: Int, _ error: String, _ description: String) -> FakeBullhornAnswer {
        .json(["error": .string(error), "error_description": .string(description)], status: status)
    }

    private static func page(_ message: String) -> String {
        "<!DOCTYPE html><html><head><title>Bullhorn</title></head><body><h1>\(message)</h1></body></html>"
    }

    private static func loginForm(error: String?) -> String {
        let message = error.map { #"<p class="error">\#($0)</p>"# } ?? ""
        return """
        <!DOCTYPE html><html><head><title>Bullhorn Login</title></head><body>\(message)\
        <form method="post" action="/oauth/authorize"><input name="username"><input name="password" type="password">\
        <input type="hidden" name="action" value="Login"></form></body></html>
        """
    }
}
