import AtsgateCore
import Foundation

/// Keeps one Bullhorn REST session for a connector and renews it — at most one renewal at a time.
///
/// A renewal takes the cheapest step that works (ATS_APIS.md B1):
/// 1. the access token, while it lives (10 minutes), opens a new session with `login`;
/// 2. else a refresh token — the stored one first — is exchanged for new tokens. Refresh tokens are
///    single-use and rotate, so two refreshes at once would make one of them fail: every caller that
///    needs a session while a renewal runs waits for that renewal instead of starting its own;
/// 3. else the password: `authorize`, then the code for tokens. A refused password login blocks
///    further ones for a while (``BullhornLoginBackoff``): Bullhorn locks API users that keep failing.
///
/// The rotated refresh token is written to the ``CredentialStore`` with compare-and-swap, so a
/// restarted worker continues with it instead of logging in with the password, and workers sharing
/// the store hand the token on: one that finds its token spent (`invalid_grant`) re-reads the store
/// and uses the token another worker stored. A swap that fails means another worker stored a token
/// in between; theirs is kept.
actor BullhornSessionKeeper {
    struct Options: Sendable {
        /// The session length asked of `login` (B1: `ttl`, in minutes, at most 2,880).
        var sessionMinutes: Int
        /// A session this close to its end is renewed before use.
        var renewalMargin: Duration
        var backoff: BullhornLoginBackoff
    }

    private let target: TargetName
    private let settings: TargetConfiguration.BullhornSettings
    private let secrets: BullhornSecrets
    private let oauth: BullhornOAuth
    private let store: (any CredentialStore)?
    private let clock: any GatewayClock
    private let options: Options

    private var loginInfo: BullhornLoginInfo?
    private var current: BullhornSession?
    private var accessToken: String?
    private var accessTokenExpires: Date?
    /// The newest refresh token this process received: the only copy without a store, and a
    /// fallback when storing it failed.
    private var ownRefreshToken: String?
    private var backoff: BullhornLoginBackoff
    private var renewal: Task<BullhornSession, any Error>?

    init(
        target: TargetName, settings: TargetConfiguration.BullhornSettings, secrets: BullhornSecrets,
        oauth: BullhornOAuth, store: (any CredentialStore)?, clock: any GatewayClock, options: Options
    ) {
        self.target = target
        self.settings = settings
        self.secrets = secrets
        self.oauth = oauth
        self.store = store
        self.clock = clock
        self.options = options
        self.backoff = options.backoff
    }

    /// The current session, renewed first if it is missing or about to end.
    func session() async throws(ConnectorError) -> BullhornSession {
        if let current, isFresh(current) { return current }
        return try await renew(replacing: current?.restToken)
    }

    /// A session other than the one whose token is `stale` (Bullhorn refused it). Callers that
    /// arrive while a renewal runs wait for it; callers whose stale token was already replaced get
    /// the replacement at once.
    func renew(replacing stale: String?) async throws(ConnectorError) -> BullhornSession {
        if let current, current.restToken != stale, isFresh(current) { return current }
        current = nil
        let task: Task<BullhornSession, any Error>
        if let renewal {
            task = renewal
        } else {
            // Shared by every caller, so no one attempt's deadline may cut it short: a login cut
            // between its token and its REST login would waste a single-use refresh token.
            task = Task { try await AttemptBudget.$current.withValue(nil) { try await self.openSession() } }
            renewal = task
        }
        let result = await task.result
        if renewal == task { renewal = nil }
        switch result {
        case .success(let session):
            return session
        case .failure(let error):
            throw (error as? ConnectorError) ?? .transient("Bullhorn authentication failed (\(type(of: error)))")
        }
    }

    /// Forgets the session and the access token; the refresh token and the login backoff stay.
    func drop() {
        current = nil
        accessToken = nil
        accessTokenExpires = nil
    }

    private func isFresh(_ session: BullhornSession) -> Bool {
        clock.now() < session.expires.adding(.zero - options.renewalMargin)
    }

    // MARK: - Renewing

    private func openSession() async throws(ConnectorError) -> BullhornSession {
        let credentials = try BullhornCredentials(secrets, settings: settings)
        let info = try await discover(credentials)
        if let accessToken, let expires = accessTokenExpires, clock.now() < expires.adding(.zero - options.renewalMargin),
           let session = try await login(info, accessToken) {
            return session
        }
        accessToken = nil
        let tokens: BullhornTokens
        if let refreshed = try await refreshedTokens(info, credentials) {
            tokens = refreshed
        } else {
            tokens = try await passwordLogin(info, credentials)
        }
        accessToken = tokens.accessToken
        accessTokenExpires = tokens.accessTokenExpires
        guard let session = try await login(info, tokens.accessToken) else {
            throw .auth("Bullhorn's REST login refused an access token it had just granted")
        }
        return session
    }

    /// `loginInfo` once per connector: the data center does not move while the process runs.
    private func discover(_ credentials: BullhornCredentials) async throws(ConnectorError) -> BullhornLoginInfo {
        if let loginInfo { return loginInfo }
        let info = try await oauth.loginInfo(at: settings.loginInfoURL, username: credentials.username.value)
        loginInfo = info
        return info
    }

    /// A new session, or `nil` when the access token is no longer good.
    private func login(_ info: BullhornLoginInfo, _ accessToken: String) async throws(ConnectorError) -> BullhornSession? {
        switch try await oauth.login(info, accessToken: accessToken, ttlMinutes: options.sessionMinutes) {
        case .invalidAccessToken:
            return nil
        case .opened(let restToken, let restURL):
            let opened = clock.now()
            let expires = await oauth.sessionExpiry(restURL: restURL, restToken: restToken)
                ?? opened.addingTimeInterval(TimeInterval(options.sessionMinutes * 60))
            let session = BullhornSession(restToken: restToken, restURL: restURL, expires: expires)
            current = session
            return session
        }
    }

    /// New tokens from a refresh token: the stored one, else this process's own. A spent one
    /// (`invalid_grant`) sends it back to the store, where another worker may have put a newer one.
    private func refreshedTokens(_ info: BullhornLoginInfo, _ credentials: BullhornCredentials) async throws(ConnectorError) -> BullhornTokens? {
        var tried: Set<String> = []
        for _ in 0..<4 {
            let candidates = [try await storedRefreshToken(credentials), ownRefreshToken].compactMap { $0 }
            guard let token = candidates.first(where: { !tried.contains($0) }) else { return nil }
            tried.insert(token)
            switch try await oauth.exchange(.refreshToken(token), info, credentials) {
            case .granted(let tokens):
                await keep(tokens.refreshToken, replacing: token, credentials)
                return tokens
            case .refused(let error, let status) where error == "invalid_client":
                backoff.recordRefusal(at: clock.now())
                throw .auth(clientRefused(status), httpStatus: status)
            case .refused:
                continue
            }
        }
        return nil
    }

    private func passwordLogin(_ info: BullhornLoginInfo, _ credentials: BullhornCredentials) async throws(ConnectorError) -> BullhornTokens {
        if let until = backoff.blocked(at: clock.now()) {
            throw .auth(
                "a Bullhorn password login was refused \(backoff.refusalsInARow) time(s) in a row; atsgate tries again after \(until.formatted(.iso8601)) so the API user is not locked (fix \(settings.usernameEnvironmentVariable)/\(settings.passwordEnvironmentVariable) and restart to try at once)"
            )
        }
        let stored = try await storedRefreshToken(credentials)
        let code: String
        do {
            code = try await oauth.authorize(info, credentials)
        } catch {
            if error.kind == .auth { backoff.recordRefusal(at: clock.now()) }
            throw error
        }
        switch try await oauth.exchange(.authorizationCode(code), info, credentials) {
        case .granted(let tokens):
            backoff.recordSuccess()
            await keep(tokens.refreshToken, replacing: stored, credentials)
            return tokens
        case .refused(let error, let status) where error == "invalid_client":
            backoff.recordRefusal(at: clock.now())
            throw .auth(clientRefused(status), httpStatus: status)
        case .refused(let error, let status):
            throw .auth(
                "Bullhorn refused the authorization code it had just issued (\(error)): it expired before the token step, or redirect_uri differs between the steps",
                httpStatus: status
            )
        }
    }

    private func clientRefused(_ status: Int) -> String {
        "Bullhorn refused the client id or secret from \(settings.clientIDEnvironmentVariable)/\(settings.clientSecretEnvironmentVariable) (invalid_client, \(status))"
    }

    // MARK: - The stored refresh token

    private func storedRefreshToken(_ credentials: BullhornCredentials) async throws(ConnectorError) -> String? {
        guard let store else { return nil }
        do {
            return try await store.credential(named: credentials.refreshTokenName, target: target)
        } catch {
            throw .transient("could not read the stored Bullhorn refresh token (\(type(of: error)))")
        }
    }

    /// Stores `token` if the store still holds `expected`. When it does not, another worker stored
    /// its own token in between, and that one stays; this process keeps its copy as a fallback.
    private func keep(_ token: String?, replacing expected: String?, _ credentials: BullhornCredentials) async {
        guard let token else { return }
        ownRefreshToken = token
        guard let store else { return }
        _ = try? await store.replaceCredential(named: credentials.refreshTokenName, target: target, expected: expected, with: token)
    }
}
