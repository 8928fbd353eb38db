import AtsgateCore
import Foundation

/// How to reach and talk to one SMTP server; everything one transfer needs besides the message.
struct SMTPSettings: Sendable {
    var url: String
    var startTLS: TargetConfiguration.EmailSettings.StartTLS
    var login: SMTPLogin?
    var connectTimeout: Duration
    var totalTimeout: Duration
    /// A PEM bundle of CAs to trust instead of the system's.
    var caFile: String?

    /// `smtps://`: TLS from the first byte, so `starttls` does not apply.
    var isImplicitTLS: Bool { url.lowercased().hasPrefix("smtps://") }

    /// libcurl greets with the URL's path (`EHLO <path>`), and with `localhost` when there is
    /// none, which strict servers refuse; so a URL without a path greets with `domain`.
    static func url(_ configured: String, greeting domain: String) -> String {
        guard let path = URL(string: configured)?.path, path.isEmpty || path == "/" else { return configured }
        return (configured.hasSuffix("/") ? String(configured.dropLast()) : configured) + "/" + domain
    }
}

/// AUTH credentials. Their values never appear in a description, an error or a log.
struct SMTPLogin: Sendable {
    var username: Secret
    var password: Secret
}

/// Who the message goes from and to, as the server sees it (MAIL FROM, RCPT TO).
struct SMTPEnvelope: Sendable {
    var sender: String
    var recipients: [String]
}

/// The server's answer to the end of DATA: it has the message.
struct SMTPAcceptance: Sendable {
    var reply: String
}
