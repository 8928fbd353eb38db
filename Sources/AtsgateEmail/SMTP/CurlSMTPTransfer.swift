import AtsgateCore
import CCurl
import Foundation

/// One message over one SMTP connection with a libcurl easy handle. Lives on one thread from
/// start to finish: libcurl's callbacks run on that thread, inside `curl_easy_perform`.
final class CurlSMTPTransfer {
    private let body: [UInt8]
    private var offset = 0
    private var replies = SMTPReplyLog()
    fileprivate let control: TransferControl
    /// Set once libcurl asks for the body, which it does only after the server's 354 to DATA.
    private var bodyStarted = false

    init(message: [UInt8], control: TransferControl) {
        self.body = message
        self.control = control
    }

    /// Sends the message and reports the outcome as soon as it is known; the QUIT that closes
    /// the session (and may wait for the server) happens after `report`.
    func run(_ settings: SMTPSettings, _ envelope: SMTPEnvelope, report: (Result<SMTPAcceptance, ConnectorError>) -> Void) {
        guard Curl.globalInitialization == CURLE_OK else {
            return report(.failure(.config(setting: "smtp_url", reason: "libcurl could not be initialised (\(Curl.describe(Curl.globalInitialization)))")))
        }
        guard !control.isCancelled else { return report(.failure(.transient("the attempt was cancelled"))) }

        // Declared before the handle, so they are released after it: libcurl may use them until cleanup.
        var recipients: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipients) }
        for recipient in envelope.recipients {
            guard let list = curl_slist_append(recipients, "<\(recipient)>") else {
                return report(.failure(.transient("libcurl could not allocate the recipient list")))
            }
            recipients = list
        }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        guard let handle = curl_easy_init() else { return report(.failure(.transient("libcurl could not create a handle"))) }
        defer { curl_easy_cleanup(handle) }
        do throws(Curl.OptionFailure) {
            try configure(Curl.Options(handle: handle), settings, envelope, recipients: recipients, errorBuffer: errorBuffer)
        } catch {
            return report(.failure(.config(setting: "smtp_url", reason: "libcurl refused option \(error.option): \(Curl.describe(error.code))")))
        }

        let code = curl_easy_perform(handle)
        var replyCode = 0
        _ = atsgate_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &replyCode)
        if code == CURLE_OK {
            return report(.success(SMTPAcceptance(reply: replies.lastReply(withCode: replyCode) ?? "\(replyCode)")))
        }
        let buffered = String(cString: errorBuffer)
        let failure = SMTPFailure(
            code: code, replyCode: replyCode, reply: replies.lastReply(withCode: replyCode),
            detail: buffered.isEmpty ? Curl.describe(code) : buffered,
            bodyStarted: bodyStarted, cancelled: control.isCancelled, hasLogin: settings.login != nil
        )
        report(.failure(failure.connectorError))
    }

    private func configure(
        _ options: Curl.Options, _ settings: SMTPSettings, _ envelope: SMTPEnvelope,
        recipients: UnsafeMutablePointer<curl_slist>?, errorBuffer: UnsafeMutablePointer<CChar>
    ) throws(Curl.OptionFailure) {
        let this = Unmanaged.passUnretained(self).toOpaque()
        try options.set(CURLOPT_URL, settings.url, "URL")
        try options.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps", "PROTOCOLS_STR")
        try options.set(CURLOPT_NOSIGNAL, 1, "NOSIGNAL")
        try options.set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer), "ERRORBUFFER")
        try options.set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(settings.connectTimeout), "CONNECTTIMEOUT_MS")
        try options.set(CURLOPT_TIMEOUT_MS, Self.milliseconds(settings.totalTimeout), "TIMEOUT_MS")
        // libcurl waits for the reply to the end of DATA, and to QUIT, outside TIMEOUT_MS: bound those waits too.
        try options.set(CURLOPT_SERVER_RESPONSE_TIMEOUT, Self.wholeSeconds(settings.totalTimeout), "SERVER_RESPONSE_TIMEOUT")
        try options.set(CURLOPT_USE_SSL, Self.useSSL(settings), "USE_SSL")
        if let caFile = settings.caFile {
            try options.set(CURLOPT_CAINFO, caFile, "CAINFO")
        }
        if let login = settings.login {
            try options.set(CURLOPT_USERNAME, login.username.value, "USERNAME")
            try options.set(CURLOPT_PASSWORD, login.password.value, "PASSWORD")
        }
        try options.set(CURLOPT_MAIL_FROM, "<\(envelope.sender)>", "MAIL_FROM")
        try options.check(atsgate_curl_setopt_slist(options.handle, CURLOPT_MAIL_RCPT, recipients), "MAIL_RCPT")
        try options.set(CURLOPT_UPLOAD, 1, "UPLOAD")
        try options.set(CURLOPT_INFILESIZE, body.count, "INFILESIZE")
        try options.check(atsgate_curl_setopt_read_function(options.handle, readBody), "READFUNCTION")
        try options.set(CURLOPT_READDATA, pointer: this, "READDATA")
        try options.check(atsgate_curl_setopt_header_function(options.handle, receiveReplyLine), "HEADERFUNCTION")
        try options.set(CURLOPT_HEADERDATA, pointer: this, "HEADERDATA")
        try options.set(CURLOPT_NOPROGRESS, 0, "NOPROGRESS")
        try options.check(atsgate_curl_setopt_xferinfo_function(options.handle, checkCancellation), "XFERINFOFUNCTION")
        try options.set(CURLOPT_XFERINFODATA, pointer: this, "XFERINFODATA")
        try options.check(atsgate_curl_setopt_sockopt_function(options.handle, registerSocket), "SOCKOPTFUNCTION")
        try options.set(CURLOPT_SOCKOPTDATA, pointer: this, "SOCKOPTDATA")
        try options.check(atsgate_curl_setopt_closesocket_function(options.handle, closeSocket), "CLOSESOCKETFUNCTION")
        try options.set(CURLOPT_CLOSESOCKETDATA, pointer: this, "CLOSESOCKETDATA")
    }

    private static func useSSL(_ settings: SMTPSettings) -> Int {
        if settings.isImplicitTLS { return Int(CURLUSESSL_ALL.rawValue) }
        switch settings.startTLS {
        case .required: return Int(CURLUSESSL_ALL.rawValue)
        case .optional: return Int(CURLUSESSL_TRY.rawValue)
        case .off: return Int(CURLUSESSL_NONE.rawValue)
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1_000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    private static func wholeSeconds(_ duration: Duration) -> Int {
        (milliseconds(duration) + 999) / 1_000
    }

    // MARK: - Callbacks

    fileprivate func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        bodyStarted = true
        let count = min(capacity, body.count - offset)
        guard count > 0 else { return 0 }
        UnsafeMutableRawBufferPointer(start: buffer, count: count).copyBytes(from: body[offset..<offset + count])
        offset += count
        return count
    }

    fileprivate func receive(line: String) {
        replies.receive(line)
    }

    fileprivate static func from(_ context: UnsafeMutableRawPointer) -> CurlSMTPTransfer {
        Unmanaged<CurlSMTPTransfer>.fromOpaque(context).takeUnretainedValue()
    }
}

private let readBody: curl_read_callback = { buffer, size, count, context in
    guard let buffer, let context else { return Int(CURL_READFUNC_ABORT) }
    return CurlSMTPTransfer.from(context).read(into: buffer, capacity: size * count)
}

private let receiveReplyLine: curl_write_callback = { data, size, count, context in
    let length = size * count
    guard let data, let context else { return length }
    CurlSMTPTransfer.from(context).receive(line: String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self))
    return length
}

/// Runs at least once a second outside libcurl's blocking waits; a non-zero answer aborts.
private let checkCancellation: curl_xferinfo_callback = { context, _, _, _, _ in
    guard let context else { return 0 }
    return CurlSMTPTransfer.from(context).control.isCancelled ? 1 : 0
}

private let registerSocket: curl_sockopt_callback = { context, socket, _ in
    guard let context else { return CURL_SOCKOPT_OK }
    return CurlSMTPTransfer.from(context).control.opened(socket) ? CURL_SOCKOPT_OK : CURL_SOCKOPT_ERROR
}

private let closeSocket: curl_closesocket_callback = { context, socket in
    guard let context else { return close(socket) }
    return CurlSMTPTransfer.from(context).control.close(socket)
}
