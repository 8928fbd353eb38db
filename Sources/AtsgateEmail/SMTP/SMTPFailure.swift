import AtsgateCore
import CCurl

/// A failed transfer, as libcurl and the server reported it, and what it means for the outbox.
///
/// | what happened | kind |
/// | --- | --- |
/// | AUTH refused (`CURLE_LOGIN_DENIED`, 534, 535), or required (530) | `auth` (`config` without credentials) |
/// | STARTTLS required but not offered or refused (`CURLE_USE_SSL_FAILED`) | `config` (`starttls`) |
/// | the TLS handshake or the server's certificate failed | `config` (`smtp_url`) |
/// | a 5xx reply (MAIL, RCPT, DATA, or the end of DATA) | `rejected`, with the server's reply |
/// | a 4xx reply saying "too many", "rate limit", "throttled" | `rate_limited` (the target slows down) |
/// | another 4xx reply (a 4xx to AUTH too) | `transient`: the server said it did not take the message |
/// | no connection (refused, unresolved, connect timeout) | `transient`, the message never left |
/// | the connection failed or timed out once the body was being sent | `transient`, may have reached the target |
struct SMTPFailure {
    var code: CURLcode
    /// `CURLINFO_RESPONSE_CODE`: the last reply's code, 0 before the greeting.
    var replyCode: Int
    var reply: String?
    /// libcurl's own words (its error buffer, else `curl_easy_strerror`).
    var detail: String
    /// Whether libcurl had started reading the body, which it does only after the server's 354 to DATA.
    var bodyStarted: Bool
    /// The awaiting task was cancelled, which can also surface as a read error (see `TransferControl`).
    var cancelled: Bool
    var hasLogin: Bool

    var connectorError: ConnectorError {
        let reply = self.reply ?? "\(replyCode)"
        if cancelled || code == CURLE_ABORTED_BY_CALLBACK {
            return .transient("the attempt was cancelled", mayHaveReachedTarget: bodyStarted)
        }
        let isTemporary = (400...499).contains(replyCode)
        if (code == CURLE_LOGIN_DENIED && !isTemporary) || [534, 535].contains(replyCode) {
            return .auth("the SMTP server refused the credentials (\(reply))")
        }
        if replyCode == 530 {
            guard hasLogin else {
                return .config(setting: "username_env", reason: "the SMTP server requires authentication (\(reply)), and no credentials are configured")
            }
            return .auth("the SMTP server requires authentication (\(reply))")
        }
        if code == CURLE_USE_SSL_FAILED {
            let refused = replyCode >= 400 ? "refused STARTTLS (\(reply))" : "does not offer STARTTLS"
            return .config(setting: "starttls", reason: "the server \(refused), and starttls is required")
        }
        if Self.tlsFailures.contains(code.rawValue) {
            let what = code == CURLE_PEER_FAILED_VERIFICATION ? "the server's TLS certificate is not trusted" : "TLS with the server failed"
            return .config(setting: "smtp_url", reason: "\(what): \(detail)")
        }
        if code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL {
            return .config(setting: "smtp_url", reason: detail)
        }
        switch replyCode {
        case 500...599:
            return .rejected("the SMTP server refused the message (\(reply))")
        case 400...499 where Self.asksToSlowDown(reply):
            return .rateLimited("the SMTP server asked us to slow down (\(reply))", retryAfter: nil, httpStatus: nil)
        case 400...499:
            return .transient("the SMTP server deferred the message (\(reply))")
        default:
            break
        }
        if Self.connectFailures.contains(code.rawValue) || (code == CURLE_OPERATION_TIMEDOUT && replyCode == 0) {
            return .transient("could not connect to the SMTP server: \(detail)")
        }
        if bodyStarted {
            return .transient("the connection failed after the message was sent, so the server may have accepted it: \(detail)", mayHaveReachedTarget: true)
        }
        return .transient("the SMTP conversation failed before the message was sent: \(detail)")
    }

    /// Providers say it in words: "421 4.7.0 Too many connections", "450 4.2.1 … rate limited".
    private static func asksToSlowDown(_ reply: String) -> Bool {
        let text = reply.lowercased()
        return ["rate limit", "too many", "throttl"].contains { text.contains($0) }
    }

    private static let tlsFailures = Set([
        CURLE_SSL_CONNECT_ERROR, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_CERTPROBLEM,
        CURLE_SSL_CIPHER, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CACERT_BADFILE,
        CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
        CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT,
    ].map(\.rawValue))

    private static let connectFailures = Set([
        CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
    ].map(\.rawValue))
}
