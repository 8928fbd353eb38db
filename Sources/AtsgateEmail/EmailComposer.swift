import AtsgateCore
import Foundation

/// Turns a delivery or a notification into the message to send: recipients checked, templates
/// rendered, headers set. Sends nothing.
struct EmailComposer: Sendable {
    let target: TargetName
    let sender: MailAddress
    /// The configured `to` addresses: where jobs go.
    let recipients: [MailAddress]
    let templates: EmailTemplates

    func message(for request: SubmissionRequest, at date: Date) throws(ConnectorError) -> EmailMessage {
        let content = try templates.job.render(TemplateContext.job(request, target: target))
        return EmailMessage(
            from: sender, to: recipients, subject: content.subject,
            messageID: MessageID.forSubmission(
                target: target, marker: request.snapshot.marker, operation: request.operation,
                version: request.snapshot.version, domain: sender.domain
            ),
            date: date,
            inReplyTo: request.operation == .create ? nil : request.externalID,
            marker: request.snapshot.marker, purpose: request.operation.rawValue,
            text: content.text, html: content.html
        )
    }

    func message(for request: NotificationRequest, at date: Date) throws(ConnectorError) -> EmailMessage {
        let recipient = try Self.address(of: request)
        let content = try templates.notification.render(TemplateContext.notification(request, target: target))
        return EmailMessage(
            from: sender, to: [recipient], subject: content.subject,
            messageID: MessageID.forNotification(target: target, request, domain: sender.domain),
            date: date, inReplyTo: nil,
            marker: request.snapshot.marker, purpose: request.type.rawValue,
            text: content.text, html: content.html
        )
    }

    /// The decision maker's address, or a `mapping` error naming the person and the address.
    static func address(of request: NotificationRequest) throws(ConnectorError) -> MailAddress {
        let person = request.recipient
        guard let email = person.email?.trimmingCharacters(in: .whitespaces), !email.isEmpty else {
            throw .mapping(field: "decision_maker.email", job: request.snapshot.job.id, reason: "person \(person.id) has no email address")
        }
        guard let address = MailAddress(email, displayName: person.fullName) else {
            let problem = MailAddress.problem(with: email) ?? "is not usable"
            throw .mapping(field: "decision_maker.email", job: request.snapshot.job.id, reason: "person \(person.id): '\(HeaderText.singleLine(email))' \(problem)")
        }
        return address
    }
}
