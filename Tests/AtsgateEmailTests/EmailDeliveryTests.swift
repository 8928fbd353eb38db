import AtsgateCore
import AtsgateEmail
import Foundation
import Testing

@Suite("Email connector against a real SMTP server (aiosmtpd)", .serialized, .timeLimit(.minutes(2)))
struct EmailDeliveryTests {
    typealias F = EmailFixtures

    @Test("A create arrives with the envelope, headers and both MIME parts rendered from the templates")
    func createArrives() async throws {
        try await SMTPTestServer.withRunning { server in
            let email = try F.connector(F.settings(url: server.smtpURL))
            let receipt = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot))

            let messages = try server.received()
            try #require(messages.count == 1)
            let message = messages[0]
            #expect(message.mail_from == "atsgate@agency.example")
            #expect(message.rcpt_tos == F.recipients)
            #expect(message.helo == "agency.example")
            #expect(message.message.defects.isEmpty)

            #expect(message.header("Message-ID") == receipt.externalID)
            #expect(receipt.externalID.hasPrefix("<atsgate.org-a.job-1.create.v3."))
            #expect(receipt.externalID.hasSuffix("@agency.example>"))
            #expect(receipt.summary?.contains("250") == true)
            #expect(message.header("Subject") == "New job: Ingénieur Backend — Zürich & <Ops> at Hälcyon Robotics")
            #expect(message.raw.contains("Subject: =?UTF-8?B?"))
            #expect(message.header("From") == "atsgate@agency.example")
            #expect(message.header("To") == "desk@agency.example, lead@agency.example")
            #expect(message.header("X-Atsgate-Marker") == "atsgate:org-a:job-1")
            #expect(message.header("MIME-Version") == "1.0")
            #expect(message.header("Date")?.hasSuffix("+0000") == true)
            #expect(message.header("In-Reply-To") == nil)

            #expect(message.message.content_type == "multipart/alternative")
            #expect(message.message.parts.map(\.content_type) == ["text/plain", "text/html"])
            #expect(message.message.parts.allSatisfy { $0.charset == "utf-8" && $0.transfer_encoding == "quoted-printable" })
            let text = try #require(message.part("text/plain"))
            #expect(text.contains("Ingénieur Backend — Zürich & <Ops>"))
            #expect(text.contains("Second line with <script>alert(1)</script>."))
            #expect(text.contains("Salary:           90,000 – 120,000.5 EUR"))
            #expect(text.contains("- Ada Lind, CTO <ada@halcyon.example>, +46 8 555 01"))
            #expect(text.contains("Hiring managers"))
            let html = try #require(message.part("text/html"))
            #expect(html.contains("Ingénieur Backend — Zürich &amp; &lt;Ops&gt;"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!html.contains("<script>"))
            #expect(html.contains("<a href=\"mailto:ada@halcyon.example\">"))
        }
    }

    @Test("Update and close say so in the subject and answer the earlier message; a retry repeats the Message-ID")
    func updateAndClose() async throws {
        try await SMTPTestServer.withRunning { server in
            let email = try F.connector(F.settings(url: server.smtpURL))
            let created = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot))
            let retried = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot, outcomeOfEarlierAttemptUnknown: true))
            #expect(retried.externalID == created.externalID)
            #expect(retried.summary?.contains("sent again") == true)

            var edited = F.snapshot
            edited.version = 4
            edited.job.location = "Basel"
            let updated = try await email.submit(SubmissionRequest(operation: .update, snapshot: edited, externalID: created.externalID))
            edited.version = 5
            edited.job.status = .filled
            let closed = try await email.submit(SubmissionRequest(operation: .close, snapshot: edited, externalID: updated.externalID))
            #expect(Set([created.externalID, updated.externalID, closed.externalID]).count == 3)

            let messages = try server.received()
            try #require(messages.count == 4)
            #expect(messages[2].header("Subject")?.hasPrefix("Job updated: ") == true)
            #expect(messages[2].header("In-Reply-To") == created.externalID)
            #expect(messages[2].part("text/plain")?.contains("Location:         Basel") == true)
            #expect(messages[3].header("Subject")?.hasPrefix("Job closed: ") == true)
            #expect(messages[3].header("References") == updated.externalID)
            #expect(messages[3].part("text/plain")?.contains("is filled: please stop working on it") == true)
        }
    }

    @Test("A notification goes to the decision maker only, by name")
    func notificationReachesDecisionMaker() async throws {
        try await SMTPTestServer.withRunning { server in
            let email = try F.connector(F.settings(url: server.smtpURL))
            let receipt = try await email.notify(F.notification())
            let messages = try server.received()
            try #require(messages.count == 1)
            #expect(messages[0].rcpt_tos == ["ada@halcyon.example"])
            #expect(messages[0].header("To") == "Ada Lind <ada@halcyon.example>")
            #expect(messages[0].header("Message-ID") == receipt.externalID)
            #expect(receipt.externalID.contains(".job_qualified.n42."))
            #expect(messages[0].header("Subject") == "We are recruiting for your role: Ingénieur Backend — Zürich & <Ops>")
            #expect(messages[0].part("text/plain")?.hasPrefix("Hello Ada,") == true)
            #expect(messages[0].part("text/html")?.contains("<strong>Ingénieur Backend — Zürich &amp; &lt;Ops&gt;</strong>") == true)
        }
    }

    @Test("CR and LF in job data cannot add a header")
    func noHeaderInjection() async throws {
        try await SMTPTestServer.withRunning { server in
            var snapshot = F.snapshot
            snapshot.job.title = "Engineer\r\nBcc: thief@evil.example\r\n"
            var person = F.ada
            person.lastName = "Lind\r\nBcc: thief@evil.example"
            let email = try F.connector(F.settings(url: server.smtpURL))
            _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: snapshot))
            _ = try await email.notify(NotificationRequest(notificationID: 7, type: .jobSubmitted, recipient: person, snapshot: snapshot))
            let messages = try server.received()
            try #require(messages.count == 2)
            for message in messages {
                #expect(message.headers("Bcc").isEmpty)
                #expect(!message.rcpt_tos.contains("thief@evil.example"))
            }
            #expect(messages[0].header("Subject") == "New job: Engineer Bcc: thief@evil.example at Hälcyon Robotics")
        }
    }

    // MARK: - TLS

    @Test("starttls: required against a server without STARTTLS fails as config, and nothing is sent")
    func startTLSRequiredButNotOffered() async throws {
        try await SMTPTestServer.withRunning { server in
            let email = try F.connector(F.settings(url: server.smtpURL, startTLS: .required))
            let error = await F.failure { () throws(ConnectorError) in _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
            #expect(error?.kind == .config)
            #expect(error?.message == "setting 'starttls': the server does not offer STARTTLS, and starttls is required")
            #expect(error?.mayHaveReachedTarget == false)
            #expect(try server.received().isEmpty)
        }
    }

    @Test("STARTTLS with the throwaway certificate trusted: the message travels encrypted")
    func startTLSSucceeds() async throws {
        try await SMTPTestServer.withRunning(.init(startTLS: true)) { server in
            for mode in [TargetConfiguration.EmailSettings.StartTLS.required, .optional] {
                let email = try F.connector(F.settings(url: server.smtpURL, startTLS: mode), caFile: server.certificatePath)
                _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot))
            }
            #expect(try server.received().map(\.tls) == [true, true])
        }
    }

    @Test("An untrusted certificate fails as config, naming the certificate problem")
    func untrustedCertificate() async throws {
        try await SMTPTestServer.withRunning(.init(startTLS: true)) { server in
            let email = try F.connector(F.settings(url: server.smtpURL, startTLS: .required))
            let error = await F.failure { () throws(ConnectorError) in _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
            #expect(error?.kind == .config)
            #expect(error?.message.contains("setting 'smtp_url': the server's TLS certificate is not trusted") == true)
            #expect(try server.received().isEmpty)
        }
    }

    @Test("smtps:// speaks TLS from the first byte")
    func implicitTLS() async throws {
        try await SMTPTestServer.withRunning(.init(implicitTLS: true)) { server in
            let email = try F.connector(F.settings(url: server.smtpsURL), caFile: server.certificatePath)
            _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot))
            #expect(try server.received().map(\.tls) == [true])
        }
    }

    // MARK: - AUTH

    @Test("AUTH over STARTTLS with good credentials delivers; bad credentials are an auth error")
    func authentication() async throws {
        try await SMTPTestServer.withRunning(.init(startTLS: true, login: ("desk-user", "correct horse"))) { server in
            let settings = F.settings(url: server.smtpURL, startTLS: .required, credentials: true)
            let good = try F.connector(settings, username: "desk-user", password: "correct horse", caFile: server.certificatePath)
            _ = try await good.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot))

            let bad = try F.connector(settings, username: "desk-user", password: "wrong battery", caFile: server.certificatePath)
            let error = await F.failure { () throws(ConnectorError) in _ = try await bad.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("535") == true)
            #expect(error?.message.contains("wrong battery") == false)

            let received = try server.received()
            #expect(received.count == 1)
            #expect(received.first?.authenticated == true)
            #expect(received.first?.login == "desk-user")
        }
    }

    @Test("Plaintext AUTH when starttls is off")
    func plaintextAuthentication() async throws {
        try await SMTPTestServer.withRunning(.init(login: ("desk-user", "pw-1234"), plaintextAuth: true)) { server in
            let email = try F.connector(F.settings(url: server.smtpURL, credentials: true), username: "desk-user", password: "pw-1234")
            _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot))
            #expect(try server.received().map(\.login) == ["desk-user"])
        }
    }

    @Test("A server that requires AUTH, and no credentials configured: config")
    func authRequiredWithoutCredentials() async throws {
        try await SMTPTestServer.withRunning(.init(login: ("desk-user", "pw-1234"), plaintextAuth: true)) { server in
            let email = try F.connector(F.settings(url: server.smtpURL))
            let error = await F.failure { () throws(ConnectorError) in _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
            #expect(error?.kind == .config)
            #expect(error?.message.contains("requires authentication (530") == true)
        }
    }

    @Test("Credentials named in the settings but absent from the environment: config naming the variable")
    func missingCredentialValues() async throws {
        let email = try F.connector(F.settings(url: "smtp://127.0.0.1:1", credentials: true), username: nil, password: nil)
        let error = await F.failure { () throws(ConnectorError) in _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
        #expect(error?.kind == .config)
        #expect(error?.message == "setting 'username_env': the environment variable SMTP_USER is not set")
    }

    // MARK: - Replies and failures

    @Test("4xx for a recipient is transient, 5xx is rejected with the server's reply; nothing is delivered")
    func recipientReplies() async throws {
        let replies = ["busy@agency.example": 451, "gone@agency.example": 550]
        try await SMTPTestServer.withRunning(.init(recipientReplies: replies)) { server in
            let deferred = try F.connector(F.settings(url: server.smtpURL, to: ["desk@agency.example", "busy@agency.example"]))
            let transient = await F.failure { () throws(ConnectorError) in _ = try await deferred.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
            #expect(transient?.kind == .transient)
            #expect(transient?.mayHaveReachedTarget == false)
            #expect(transient?.message.contains("451 4.1.1 <busy@agency.example>: try again later") == true)

            let refused = try F.connector(F.settings(url: server.smtpURL, to: ["gone@agency.example"]))
            let rejected = await F.failure { () throws(ConnectorError) in _ = try await refused.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
            #expect(rejected?.kind == .rejected)
            #expect(rejected?.message == "the SMTP server refused the message (550 5.1.1 <gone@agency.example>: no such mailbox)")
            #expect(try server.received().isEmpty)
        }
    }

    @Test("A 4xx that asks to slow down is rate_limited")
    func slowDown() async throws {
        try await SMTPTestServer.withRunning(.init(dataReply: "421 4.7.0 Too many messages, slow down")) { server in
            let email = try F.connector(F.settings(url: server.smtpURL))
            let error = await F.failure { () throws(ConnectorError) in _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
            #expect(error?.kind == .rateLimited)
            #expect(error?.httpStatus == nil)
            #expect(error?.message == "the SMTP server asked us to slow down (421 4.7.0 Too many messages, slow down)")
        }
    }

    @Test("A 5xx to the end of DATA is rejected")
    func dataRejected() async throws {
        try await SMTPTestServer.withRunning(.init(dataReply: "554 5.7.1 Message looks like spam")) { server in
            let email = try F.connector(F.settings(url: server.smtpURL))
            let error = await F.failure { () throws(ConnectorError) in _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
            #expect(error?.kind == .rejected)
            #expect(error?.message.contains("554 5.7.1 Message looks like spam") == true)
        }
    }

    @Test("A connection lost after DATA is transient and may have reached the target (the duplicate window)")
    func droppedAfterData() async throws {
        try await SMTPTestServer.withRunning(.init(dropAfterData: true)) { server in
            let email = try F.connector(F.settings(url: server.smtpURL))
            let error = await F.failure { () throws(ConnectorError) in _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
            #expect(error?.kind == .transient)
            #expect(error?.mayHaveReachedTarget == true)
            // The server holds the message although we never heard so.
            #expect(try server.received().count == 1)
        }
    }

    @Test("No answer to DATA within the timeout: transient, may have reached the target")
    func timeoutAfterData() async throws {
        try await SMTPTestServer.withRunning(.init(stallAfterData: .seconds(100))) { server in
            let email = try F.connector(F.settings(url: server.smtpURL), timeout: .seconds(2))
            let started = ContinuousClock.now
            let error = await F.failure { () throws(ConnectorError) in _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
            // Far below the server's stall, with room for a loaded machine.
            #expect(ContinuousClock.now - started < .seconds(60))
            #expect(error?.kind == .transient)
            #expect(error?.mayHaveReachedTarget == true)
            #expect(error?.message.contains("the server may have accepted it") == true)
        }
    }

    @Test("Cancelling the task stops the transfer promptly")
    func cancellation() async throws {
        try await SMTPTestServer.withRunning(.init(stallAfterData: .seconds(100))) { server in
            let email = try F.connector(F.settings(url: server.smtpURL), timeout: .seconds(100))
            let started = ContinuousClock.now
            let delivery = Task { () async -> ConnectorError? in
                await F.failure { () throws(ConnectorError) in _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
            }
            while try server.received().isEmpty, ContinuousClock.now - started < .seconds(60) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let cancelled = ContinuousClock.now
            delivery.cancel()
            let error = await delivery.value
            #expect(ContinuousClock.now - cancelled < .seconds(30))
            #expect(error?.kind == .transient)
            #expect(error?.message == "the attempt was cancelled")
            #expect(error?.mayHaveReachedTarget == true)
        }
    }

    @Test("Nothing listening: transient, and the message never left")
    func connectionRefused() async throws {
        let port = try await SMTPTestServer.withRunning { server in server.port }
        let email = try F.connector(F.settings(url: "smtp://127.0.0.1:\(port)"))
        let error = await F.failure { () throws(ConnectorError) in _ = try await email.submit(SubmissionRequest(operation: .create, snapshot: F.snapshot)) }
        #expect(error?.kind == .transient)
        #expect(error?.mayHaveReachedTarget == false)
        #expect(error?.message.hasPrefix("could not connect to the SMTP server") == true)
    }
}
