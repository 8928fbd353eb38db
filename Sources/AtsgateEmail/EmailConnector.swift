public import AtsgateCore
import Foundation

/// Delivers jobs and decision-maker notifications as email (`kind: email`), over SMTP with libcurl.
///
/// - ``submit(_:)`` mails a create, an update or a close of the job to the configured `to`
///   addresses; the subject says which. An update or a close answers the earlier message
///   (`In-Reply-To`), so mail clients thread a job's messages.
/// - ``notify(_:)`` mails one decision maker (``NotificationRequest/recipient``).
/// - ``renderedMessage(for:)-(SubmissionRequest)`` shows the exact message without sending it.
///
/// Messages come from the Mustache templates in ``EmailTemplates``. Every message carries
/// `X-Atsgate-Marker: atsgate:ORG:JOB` and a Message-ID atsgate makes, which the receipt returns
/// as the external id.
///
/// ## Duplicates: the window SMTP leaves open
///
/// SMTP has no idempotency key and no way to ask a server whether it holds a message. Between
/// the server's acceptance of the end of DATA and the outbox committing the attempt as sent,
/// a crash, a lost connection or a timeout leaves the outcome unknown, and the next attempt sends
/// the message again. The window is kept as small as the protocol allows:
/// - every check that can fail (addresses, templates, credentials) runs before connecting, and
///   libcurl sends no body until the server has accepted every recipient (`RCPT TO`) and `DATA`;
///   failures up to that point report that the message never left;
/// - only a failure once the body was being sent reports `mayHaveReachedTarget`;
/// - the repeated message has the same Message-ID as the first (see `MessageID`: it depends on
///   the target, the job, the operation and the job's version, or on the notification row, never
///   on the attempt), so receivers that suppress duplicate Message-IDs keep one copy.
/// A recipient can still see two copies where nothing suppresses duplicates. `capabilities`
/// is ``ConnectorCapabilities/mailbox``: a mailbox cannot be searched by marker, so nothing is adopted.
public struct EmailConnector: Connector {
    public let target: TargetName
    public let capabilities: ConnectorCapabilities = .mailbox

    private let composer: EmailComposer
    private let transport: Result<SMTPTransport, ConnectorError>
    private let timeout: Duration

    /// Checks `from` and `to` at once (`config`, naming the address), so a target that cannot
    /// work fails at start-up rather than on every row.
    ///
    /// - Parameters:
    ///   - username: the value of `username_env`, read from the environment by the caller.
    ///   - password: the value of `password_env`. If the settings name these variables but a value
    ///     is missing, building succeeds (so `mappings preview` works) and every send fails with `config`.
    ///   - timeout: the deadline of one whole SMTP conversation (the target's `timeout`).
    public init(
        target: TargetName,
        settings: TargetConfiguration.EmailSettings,
        username: Secret?,
        password: Secret?,
        templates: EmailTemplates,
        timeout: Duration,
        options: Options = Options()
    ) throws(ConnectorError) {
        guard let sender = MailAddress(settings.from) else {
            throw .config(setting: "from", reason: "'\(HeaderText.singleLine(settings.from))' \(MailAddress.problem(with: settings.from) ?? "is not usable")")
        }
        guard !settings.to.isEmpty else { throw .config(setting: "to", reason: "lists no address") }
        var recipients: [MailAddress] = []
        for address in settings.to {
            guard let recipient = MailAddress(address) else {
                throw .config(setting: "to", reason: "'\(HeaderText.singleLine(address))' \(MailAddress.problem(with: address) ?? "is not usable")")
            }
            recipients.append(recipient)
        }
        self.target = target
        self.timeout = timeout
        self.composer = EmailComposer(target: target, sender: sender, recipients: recipients, templates: templates)
        self.transport = Self.login(settings, username: username, password: password).map { login in
            SMTPTransport(settings: SMTPSettings(
                url: SMTPSettings.url(settings.smtpURL, greeting: sender.domain), startTLS: settings.startTLS, login: login,
                connectTimeout: min(options.connectTimeout, timeout), totalTimeout: timeout, caFile: options.caFile
            ))
        }
    }

    // MARK: - Delivering

    public func submit(_ request: SubmissionRequest) async throws(ConnectorError) -> SubmissionReceipt {
        let message = try composer.message(for: request, at: Date())
        let acceptance = try await send(message)
        var summary = "\(request.operation.rawValue) mailed to \(message.to.count) recipient(s): \(acceptance.reply)"
        if request.outcomeOfEarlierAttemptUnknown {
            summary += " (sent again with the Message-ID of an attempt whose outcome was unknown)"
        }
        return SubmissionReceipt(externalID: message.messageID, summary: summary)
    }

    public func notify(_ request: NotificationRequest) async throws(ConnectorError) -> SubmissionReceipt {
        let message = try composer.message(for: request, at: Date())
        let acceptance = try await send(message)
        return SubmissionReceipt(externalID: message.messageID, summary: "\(request.type.rawValue) mailed to the decision maker: \(acceptance.reply)")
    }

    // MARK: - Previewing

    /// The whole message a delivery would send, headers and MIME body with CRLF line ends,
    /// without connecting to anything. Its Date is now.
    public func renderedMessage(for request: SubmissionRequest) throws(ConnectorError) -> String {
        try composer.message(for: request, at: Date()).rendered
    }

    /// The whole message a notification would send, without connecting to anything.
    public func renderedMessage(for request: NotificationRequest) throws(ConnectorError) -> String {
        try composer.message(for: request, at: Date()).rendered
    }

    // MARK: - Sending

    /// One SMTP transaction, within the current ``AttemptBudget``: it starts only if it can finish
    /// before the attempt's deadline, and its outcome counts for the target's health.
    private func send(_ message: EmailMessage) async throws(ConnectorError) -> SMTPAcceptance {
        let transport = try transport.get()
        let envelope = SMTPEnvelope(sender: message.from.address, recipients: message.to.map(\.address))
        let budget = AttemptBudget.current
        let started = try await budget?.startRequest("the SMTP transaction", isWrite: true, timeout: timeout)
        do {
            let acceptance = try await transport.send(Array(message.rendered.utf8), envelope: envelope)
            if let budget, let started { budget.finish(started, with: .answered) }
            return acceptance
        } catch {
            if let budget, let started { budget.finish(started, failure: error) }
            throw error
        }
    }

    private static func login(
        _ settings: TargetConfiguration.EmailSettings, username: Secret?, password: Secret?
    ) -> Result<SMTPLogin?, ConnectorError> {
        guard let usernameVariable = settings.usernameEnvironmentVariable else { return .success(nil) }
        guard let username, !username.value.isEmpty else {
            return .failure(.config(setting: "username_env", reason: "the environment variable \(usernameVariable) is not set"))
        }
        guard let password, !password.value.isEmpty else {
            let name = settings.passwordEnvironmentVariable ?? "password_env"
            return .failure(.config(setting: "password_env", reason: "the environment variable \(name) is not set"))
        }
        return .success(SMTPLogin(username: username, password: password))
    }
}

extension EmailConnector {
    /// What the YAML settings do not say.
    public struct Options: Sendable {
        /// The wait for the TCP connection, TLS and the server's greeting. The default is 10 s,
        /// and never longer than the target's `timeout`.
        public var connectTimeout: Duration
        /// A PEM file of certificate authorities to trust instead of the system's, for a relay
        /// with a private CA (and tests with a throwaway certificate). The default is `nil`.
        public var caFile: String?

        public init(connectTimeout: Duration = .seconds(10), caFile: String? = nil) {
            self.connectTimeout = connectTimeout
            self.caFile = caFile
        }
    }
}
