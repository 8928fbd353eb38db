import AtsgateCore
@testable import AtsgateEmail
import Foundation
import Testing

@Suite("Email connector: addresses, templates and rendering, before any connection", .timeLimit(.minutes(2)))
struct EmailValidationTests {
    typealias F = EmailFixtures
    /// Nothing listens here: an error of another kind than `transient` proves no connection was tried.
    let unreachable = "smtp://127.0.0.1:1"

    @Test("Bad configured addresses are config errors naming the address")
    func configuredAddresses() throws {
        for (to, problem) in [
            ("desk@agency", "'desk@agency' is not a valid email address"),
            ("déšk@agency.example", "'déšk@agency.example' has non-ASCII characters, which would need SMTPUTF8 (not supported)"),
            ("desk@agency.example\r\nBcc: x@y.example", "is not a valid email address"),
        ] {
            let error = #expect(throws: ConnectorError.self) { try F.connector(F.settings(url: unreachable, to: ["ok@agency.example", to])) }
            #expect(error?.kind == .config)
            #expect(error?.message.hasPrefix("setting 'to': ") == true)
            #expect(error?.message.contains(problem) == true)
            #expect(error?.message.contains("\n") == false)
        }
        let noRecipients = #expect(throws: ConnectorError.self) { try F.connector(F.settings(url: unreachable, to: [])) }
        #expect(noRecipients?.message == "setting 'to': lists no address")
    }

    @Test("A decision maker without a usable address is a mapping error, before any connection")
    func decisionMakerAddress() async throws {
        let email = try F.connector(F.settings(url: unreachable))
        var person = F.ada
        person.email = nil
        let missing = await F.failure { () throws(ConnectorError) in _ = try await email.notify(F.notification(person)) }
        #expect(missing?.kind == .mapping)
        #expect(missing?.message == "job job-1: field 'decision_maker.email': person per-1 has no email address")

        person.email = "ada at halcyon"
        let invalid = await F.failure { () throws(ConnectorError) in _ = try await email.notify(F.notification(person)) }
        #expect(invalid?.kind == .mapping)
        #expect(invalid?.message == "job job-1: field 'decision_maker.email': person per-1: 'ada at halcyon' is not a valid email address")
    }

    @Test("The rendered message is what would be sent: headers, both parts, CRLF, short lines")
    func renderedMessage() throws {
        let email = try F.connector(F.settings(url: unreachable))
        let request = SubmissionRequest(operation: .create, snapshot: F.snapshot)
        let message = try email.renderedMessage(for: request)
        let lines = message.components(separatedBy: "\r\n")
        #expect(!message.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        for header in ["Date: ", "From: atsgate@agency.example", "To: desk@agency.example, lead@agency.example", "Subject: =?UTF-8?B?",
                       "Message-ID: <atsgate.org-a.job-1.create.v3.", "MIME-Version: 1.0", "X-Atsgate-Marker: atsgate:org-a:job-1",
                       "Content-Type: multipart/alternative; boundary=\"=_atsgate_"] {
            #expect(lines.contains { $0.hasPrefix(header) }, "missing \(header)")
        }
        #expect(lines.filter { $0 == "Content-Transfer-Encoding: quoted-printable" }.count == 2)
        // Deterministic per (target, job, operation, version): the same delivery gets the same id.
        let again = try email.renderedMessage(for: request)
        #expect(Self.messageID(message) == Self.messageID(again))
        var edited = F.snapshot
        edited.version = 4
        #expect(Self.messageID(try email.renderedMessage(for: SubmissionRequest(operation: .create, snapshot: edited))) != Self.messageID(message))
        #expect(Self.messageID(try email.renderedMessage(for: SubmissionRequest(operation: .update, snapshot: F.snapshot))) != Self.messageID(message))

        let notification = try email.renderedMessage(for: F.notification())
        #expect(notification.contains("\r\nTo: Ada Lind <ada@halcyon.example>\r\n"))
    }

    static func messageID(_ message: String) -> String? {
        message.components(separatedBy: "\r\n").first { $0.hasPrefix("Message-ID: ") }
    }

    @Test("Quoted-printable and encoded words round-trip the text")
    func encodings() {
        let long = String(repeating: "a=b ", count: 40) + "end "
        let encoded = QuotedPrintable.encode(long + "\nZürich\r\n")
        #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
        #expect(encoded.contains("Z=C3=BCrich"))
        #expect(encoded.contains("end=20"))
        #expect(!encoded.contains("=_"))
        #expect(HeaderText.field("Subject", "Plain subject") == "Subject: Plain subject")
        #expect(HeaderText.field("Subject", "Grüße") == "Subject: =?UTF-8?B?R3LDvMOfZQ==?=")
        #expect(HeaderText.phrase("Lind, Ada") == "\"Lind, Ada\"")
        #expect(HeaderText.phrase("O'Brien Ada") == "O'Brien Ada")
        let folded = HeaderText.field("Subject", String(repeating: "word ", count: 30))
        #expect(folded.components(separatedBy: "\r\n").count > 1)
        #expect(folded.components(separatedBy: "\r\n").dropFirst().allSatisfy { $0.hasPrefix(" ") })
    }

    @Test("A URL without a path greets with the sender's domain; the mapping setting names the template folder")
    func greetingAndFolder() {
        #expect(SMTPSettings.url("smtp://relay.example:587", greeting: "agency.example") == "smtp://relay.example:587/agency.example")
        #expect(SMTPSettings.url("smtps://relay.example/", greeting: "agency.example") == "smtps://relay.example/agency.example")
        #expect(SMTPSettings.url("smtp://relay.example/gw.agency.example", greeting: "agency.example") == "smtp://relay.example/gw.agency.example")
        #expect(EmailTemplates.folder(forMapping: "email.yaml") == "email")
        #expect(EmailTemplates.folder(forMapping: "desk-mail") == "desk-mail")
    }

    // MARK: - Templates

    @Test("A missing, unknown-key, unescaped or broken template is a config error naming the file")
    func brokenTemplates() throws {
        let cases: [(file: String, content: String?, message: String)] = [
            ("job.txt.mustache", nil, "mappings/email/job.txt.mustache: is missing; the email target renders its messages from it"),
            ("job.subject.mustache", "New: {{job.titel}}", "mappings/email/job.subject.mustache: line 1: 'titel' is not a key email templates know (see the README)"),
            ("notification.html.mustache", "<p>\n{{{job.description}}}</p>", "mappings/email/notification.html.mustache: line 2: unescaped output '{{{…}}}' is not allowed in an HTML template"),
            ("job.html.mustache", "{{> footer}}", "mappings/email/job.html.mustache: line 1: '{{>…}}' (delimiters, pragmas, partials, blocks) is not supported in email templates"),
            ("job.txt.mustache", "{{#job.title}}\nunclosed", "mappings/email/job.txt.mustache: line 2, column"),
            ("notification.txt.mustache", "Hello {{recipient.first_name}", "mappings/email/notification.txt.mustache: line 1: a tag opened with '{{' is never closed"),
        ]
        for (file, content, message) in cases {
            let folder = try Self.copyOfShippedTemplates()
            defer { try? FileManager.default.removeItem(at: folder) }
            let path = folder.appendingPathComponent("mappings/email/\(file)")
            if let content {
                try content.write(to: path, atomically: true, encoding: .utf8)
            } else {
                try FileManager.default.removeItem(at: path)
            }
            let error = #expect(throws: ConnectorError.self) { try EmailTemplates(configurationDirectory: folder) }
            #expect(error?.kind == .config)
            #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "no error")")
        }
    }

    @Test("Job keys are not offered to notification templates' checks and the reverse")
    func keysPerKind() throws {
        let folder = try Self.copyOfShippedTemplates()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "{{recipient.name}}".write(to: folder.appendingPathComponent("mappings/email/job.subject.mustache"), atomically: true, encoding: .utf8)
        let error = #expect(throws: ConnectorError.self) { try EmailTemplates(configurationDirectory: folder) }
        #expect(error?.message.contains("'recipient' is not a key") == true)
    }

    static func copyOfShippedTemplates() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-templates-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("mappings"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: F.repositoryRoot.appendingPathComponent("mappings/email"),
            to: folder.appendingPathComponent("mappings/email")
        )
        return folder
    }
}
