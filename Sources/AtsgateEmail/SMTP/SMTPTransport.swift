import AtsgateCore
import Foundation

/// Sends messages with libcurl without blocking Swift concurrency: each transfer runs on a
/// thread of its own (libcurl's easy interface blocks for the whole SMTP conversation), and the
/// awaiting task resumes as soon as the server has answered the end of DATA (the polite QUIT
/// follows on that thread). Cancelling the task stops the transfer at once (``TransferControl``).
struct SMTPTransport: Sendable {
    let settings: SMTPSettings

    func send(_ message: [UInt8], envelope: SMTPEnvelope) async throws(ConnectorError) -> SMTPAcceptance {
        let control = TransferControl()
        let settings = settings
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<SMTPAcceptance, ConnectorError>, Never>) in
                let thread = Thread {
                    CurlSMTPTransfer(message: message, control: control).run(settings, envelope) { result in
                        continuation.resume(returning: result)
                    }
                }
                thread.name = "atsgate-smtp"
                thread.start()
            }
        } onCancel: {
            control.cancel()
        }
        return try result.get()
    }
}
