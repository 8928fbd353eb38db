import AsyncHTTPClient
import AtsgateCore
import AtsgateHTTP
import Foundation
import NIOCore
import NIOHTTP1

/// Where a Bullhorn API user's data center is: the `oauthUrl` and the `restUrl` that
/// `loginInfo` answers (ATS_APIS.md B1 step 1).
struct BullhornLoginInfo: Hashable, Sendable {
    /// `https://auth….bullhornstaffing.com/oauth`, without a trailing slash.
    var oauthURL: String
    /// `https://rest….bullhornstaffing.com/rest-services`, without a trailing slash.
    var restServicesURL: String
}

/// What `oauth/token` grants.
struct BullhornTokens: Sendable {
    var accessToken: String
    var accessTokenExpires: Date
    /// The next refresh token; the one spent to get these is dead (B1: single-use).
    var refreshToken: String?
}

/// An open REST session: the `BhRestToken`, the authoritative `restUrl` (ending in `{corpToken}/`)
/// and when the session ends.
struct BullhornSession: Hashable, Sendable {
    var restToken: String
    var restURL: String
    var expires: Date
}

/// The four HTTP steps of Bullhorn's authentication (ATS_APIS.md B1), each one request, with its
/// answers classified. Holds no state: ``BullhornSessionKeeper`` decides which steps to take.
///
/// Credentials travel in form bodies, never in URLs (the username in `loginInfo`'s query is the
/// exception Bullhorn requires). The client must not follow redirects: the code of `authorize`
/// is in a 302's `Location`, which points at our redirect URI, not at something to fetch; the 307
/// of `loginInfo` (wrong data center) is followed here, a few hops at most.
struct BullhornOAuth: Sendable {
    enum Grant: Sendable {
        case authorizationCode(String)
        case refreshToken(String)
    }

    enum TokenAnswer: Sendable {
        case granted(BullhornTokens)
        /// An OAuth error: `invalid_grant` (code or refresh token expired, spent or revoked),
        /// `invalid_client` (wrong client id or secret), …
        case refused(error: String, httpStatus: Int)
    }

    enum LoginAnswer: Sendable {
        case opened(restToken: String, restURL: String)
        /// 400 `errors.authentication.invalidOAuthToken`: the access token expired or was revoked.
        case invalidAccessToken
    }

    static let maximumRedirects = 3

    /// An HTTP client that does not follow redirects, for every step here.
    let transport: HTTPTransport
    let clock: any GatewayClock

    // MARK: - Steps

    /// `GET {login_info_url}?username=…`, following a 307 to the right data center.
    func loginInfo(at url: String, username: String) async throws(ConnectorError) -> BullhornLoginInfo {
        var next = "\(url)\(url.contains("?") ? "&" : "?")username=\(Self.encoded(username))"
        for _ in 0...Self.maximumRedirects {
            var request = HTTPClientRequest(url: next)
            request.headers.add(name: "Accept", value: "application/json")
            let answer = try await transport.send(request)
            switch answer.status {
            case 200..<300:
                let json = JSONValue.parse(answer.data)
                guard let oauth = json?["oauthUrl"]?.text, let rest = json?["restUrl"]?.text else {
                    throw .config(setting: "login_info_url", reason: "\(url) did not answer Bullhorn's loginInfo (no oauthUrl and restUrl)")
                }
                return BullhornLoginInfo(oauthURL: Self.withoutTrailingSlash(oauth), restServicesURL: Self.withoutTrailingSlash(rest))
            case 301, 302, 303, 307, 308:
                guard let location = answer.headers.first(name: "Location"),
                      let resolved = URL(string: location, relativeTo: URL(string: next))?.absoluteString
                else {
                    throw .transient("Bullhorn's loginInfo answered \(answer.status) without a usable Location", httpStatus: answer.status)
                }
                next = resolved
            case 408, 429, 500...:
                throw .transient("Bullhorn's loginInfo answered \(answer.status)", httpStatus: answer.status)
            default:
                throw .config(setting: "login_info_url", reason: "Bullhorn's loginInfo at \(url) answered \(answer.status)")
            }
        }
        throw .config(setting: "login_info_url", reason: "Bullhorn's loginInfo redirected more than \(Self.maximumRedirects) times")
    }

    /// `POST {oauthUrl}/authorize` with the API user's password: the code from the 302's
    /// `Location`, percent-decoded. Any other answer is a failed password login.
    func authorize(_ info: BullhornLoginInfo, _ credentials: BullhornCredentials) async throws(ConnectorError) -> String {
        let state = UUID().uuidString
        var form = [
            ("client_id", credentials.clientID.value), ("response_type", "code"), ("action", "Login"),
            ("username", credentials.username.value), ("password", credentials.password.value), ("state", state),
        ]
        if let redirectURI = credentials.redirectURI { form.append(("redirect_uri", redirectURI)) }
        let answer = try await transport.send(Self.formRequest("\(info.oauthURL)/authorize", form))
        switch answer.status {
        case 301, 302, 303, 307, 308:
            let items = answer.headers.first(name: "Location").flatMap { URLComponents(string: $0)?.queryItems } ?? []
            guard let code = items.first(where: { $0.name == "code" })?.value, !code.isEmpty else {
                let error = items.first { $0.name == "error" }?.value
                throw .auth("Bullhorn's authorize step redirected without a code\(error.map { " (\($0))" } ?? "")", httpStatus: answer.status)
            }
            if let echoed = items.first(where: { $0.name == "state" })?.value, echoed != state {
                throw .auth("Bullhorn's authorize step answered with another request's state", httpStatus: answer.status)
            }
            return code
        case 408, 429, 500...:
            throw .transient("Bullhorn's authorize step answered \(answer.status)", httpStatus: answer.status)
        default:
            throw .auth(Self.authorizeRefusal(answer, credentials.variables), httpStatus: answer.status)
        }
    }

    /// `POST {oauthUrl}/token` for a code or a refresh token.
    func exchange(_ grant: Grant, _ info: BullhornLoginInfo, _ credentials: BullhornCredentials) async throws(ConnectorError) -> TokenAnswer {
        var form = [("client_id", credentials.clientID.value), ("client_secret", credentials.clientSecret.value)]
        switch grant {
        case .authorizationCode(let code):
            form += [("grant_type", "authorization_code"), ("code", code)]
            if let redirectURI = credentials.redirectURI { form.append(("redirect_uri", redirectURI)) }
        case .refreshToken(let token):
            form += [("grant_type", "refresh_token"), ("refresh_token", token)]
        }
        let requested = clock.now()
        let answer = try await transport.send(Self.formRequest("\(info.oauthURL)/token", form))
        let json = JSONValue.parse(answer.data)
        switch answer.status {
        case 200..<300:
            guard let accessToken = json?["access_token"]?.text, !accessToken.isEmpty else {
                throw .auth("Bullhorn's token step answered \(answer.status) without an access token", httpStatus: answer.status)
            }
            let lifetime = json?["expires_in"]?.int ?? 600
            return .granted(BullhornTokens(
                accessToken: accessToken, accessTokenExpires: requested.addingTimeInterval(TimeInterval(lifetime)),
                refreshToken: json?["refresh_token"]?.text
            ))
        case 408, 429, 500...:
            throw .transient("Bullhorn's token step answered \(answer.status)", httpStatus: answer.status)
        default:
            return .refused(error: json?["error"]?.text ?? "HTTP \(answer.status)", httpStatus: answer.status)
        }
    }

    /// `POST {restUrl}/login?version=2.0` with the access token: a session for `ttlMinutes`.
    func login(_ info: BullhornLoginInfo, accessToken: String, ttlMinutes: Int) async throws(ConnectorError) -> LoginAnswer {
        let form = [("version", "2.0"), ("access_token", accessToken), ("ttl", String(ttlMinutes))]
        let answer = try await transport.send(Self.formRequest("\(info.restServicesURL)/login", form))
        let json = JSONValue.parse(answer.data)
        switch answer.status {
        case 200..<300:
            guard let token = json?["BhRestToken"]?.text, !token.isEmpty, let restURL = json?["restUrl"]?.text, !restURL.isEmpty else {
                throw .auth("Bullhorn's REST login answered \(answer.status) without a BhRestToken and restUrl", httpStatus: answer.status)
            }
            return .opened(restToken: token, restURL: restURL.hasSuffix("/") ? restURL : restURL + "/")
        case 400 where json?["errorMessageKey"]?.text == "errors.authentication.invalidOAuthToken":
            return .invalidAccessToken
        case 408, 429, 500...:
            throw .transient("Bullhorn's REST login answered \(answer.status)", httpStatus: answer.status)
        default:
            let reason = json?["errorMessage"]?.text.map { ": \($0.prefix(200))" } ?? ""
            throw .auth("Bullhorn's REST login refused the access token (\(answer.status))\(reason)", httpStatus: answer.status)
        }
    }

    /// `GET {restUrl}ping`: when the session ends, as Bullhorn says (`sessionExpires`, epoch ms);
    /// `nil` if it does not say.
    func sessionExpiry(restURL: String, restToken: String) async -> Date? {
        var request = HTTPClientRequest(url: "\(restURL)ping")
        request.headers.add(name: "BhRestToken", value: restToken)
        request.headers.add(name: "Accept", value: "application/json")
        guard let answer = try? await transport.send(request), (200..<300).contains(answer.status),
              let millis = JSONValue.parse(answer.data)?["sessionExpires"]?.text.flatMap(Double.init)
        else { return nil }
        return Date(timeIntervalSince1970: millis / 1_000)
    }

    // MARK: - Reasons

    /// Why `authorize` answered a page instead of a code, without repeating the page (it may echo
    /// what was typed) or any credential.
    static func authorizeRefusal(_ answer: HTTPAnswer, _ variables: TargetConfiguration.BullhornSettings) -> String {
        let page = String(decoding: answer.data, as: UTF8.self)
        let users = "\(variables.usernameEnvironmentVariable)/\(variables.passwordEnvironmentVariable)"
        if page.contains("Invalid Client Id") {
            return "Bullhorn does not know the client id from \(variables.clientIDEnvironmentVariable) (authorize answered an HTML page)"
        }
        if page.localizedCaseInsensitiveContains("redirect uri") {
            return "Bullhorn refused redirect_uri: it must be the URI Bullhorn Support whitelisted for the client, byte for byte"
        }
        if page.contains(#"class="error""#) {
            return "Bullhorn refused the API user's username or password from \(users) (authorize answered its login page with an error)"
        }
        let isHTML = answer.headers.first(name: "Content-Type")?.contains("html") == true || page.hasPrefix("<")
        return isHTML
            ? "Bullhorn answered the authorize step with an HTML page (\(answer.status)) instead of a code: check the client id, \(users) and that the user may use the API"
            : "Bullhorn's authorize step answered \(answer.status) instead of a code"
    }

    // MARK: - Encoding

    static func formRequest(_ url: String, _ form: [(String, String)]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: form.map { "\(encoded($0))=\(encoded($1))" }.joined(separator: "&")))
        return request
    }

    static func encoded(_ value: String) -> String {
        HTTPTransport.queryValue(value)
    }

    static func withoutTrailingSlash(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}
