import AtsgateCore
import Foundation

/// One message as it goes over the wire: RFC 5322 headers and a `multipart/alternative` body
/// with a text and an HTML part, both UTF-8 in quoted-printable, lines ending in CRLF.
struct EmailMessage: Sendable {
    var from: MailAddress
    var to: [MailAddress]
    var subject: String
    var messageID: String
    var date: Date
    /// The message this one follows up (an update or close after the create), if known.
    var inReplyTo: String?
    var marker: JobMarker
    /// `create`, `update`, `close` or the notification type, for filters and people reading headers.
    var purpose: String
    var text: String
    var html: String

    /// Never found in quoted-printable output (see ``QuotedPrintable``), so never in a part.
    var boundary: String { "=_atsgate_\(MessageID.fnv1a64(messageID))" }

    var rendered: String {
        var headers = [
            "Date: \(MessageDate.format(date))",
            HeaderText.list("From", [from.headerForm]),
            HeaderText.list("To", to.map(\.headerForm)),
            HeaderText.field("Subject", subject),
            "Message-ID: \(messageID)",
        ]
        if let inReplyTo, MessageID.isWellFormed(inReplyTo) {
            headers.append("In-Reply-To: \(inReplyTo)")
            headers.append("References: \(inReplyTo)")
        }
        headers += [
            "MIME-Version: 1.0",
            // RFC 3834: no vacation or out-of-office replies to a gateway.
            "Auto-Submitted: auto-generated",
            HeaderText.field("X-Atsgate-Marker", marker.description),
            HeaderText.field("X-Atsgate-Purpose", purpose),
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
        ]
        let parts = [("text/plain", text), ("text/html", html)].map { type, content in
            """
            --\(boundary)\r
            Content-Type: \(type); charset=utf-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            \(QuotedPrintable.encode(content))\r
            """
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + parts.joined() + "--\(boundary)--\r\n"
    }
}
