import AtsgateCore
import AtsgateServer
import AtsgateTesting
import Foundation
import NIOCore
import HTTPTypes
import Testing

/// The admin pages over HTTP, as a browser without JavaScript uses them (the real-browser flow
/// runs in CI: Tests/browser/admin_flow.py).
@Suite("Admin pages")
struct AdminPageTests {
    /// Signs in with `key`: the sign-in page's token and cookie, then the form.
    static func signIn(_ client: Client, key: String) async throws -> (answer: Answer, cookie: String?) {
        let page = try await client.send(.get, "/admin/sign-in")
        let token = try #require(hiddenToken(in: page.body))
        let signInCookie = try #require(page.headers[.setCookie]?.split(separator: ";").first.map(String.init))
        let answer = try await client.send(
            .post, "/admin/sign-in", body: nil,
            headers: [.cookie: signInCookie, .contentType: "application/x-www-form-urlencoded"],
            form: "key=\(key.formEncoded)&csrf_token=\(token.formEncoded)"
        )
        let session = answer.headers[values: .setCookie].first { $0.hasPrefix("atsgate_session=") }
        return (answer, session.flatMap { $0.split(separator: ";").first.map(String.init) })
    }

    static func hiddenToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf_token" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test("An operator signs in (HttpOnly, SameSite=Strict cookie), filters to failed rows, replays one after confirming, and sees it pending")
    func replayFlow() async throws {
        let harness = try await ServerHarness.make()
        let (failed, pending) = try await harness.qualifyAndFail()
        try await harness.withClient { client in
            #expect(try await client.send(.get, "/admin/outbox").status == .seeOther)
            let (answer, cookie) = try await Self.signIn(client, key: harness.key("org-a", .operator))
            #expect(answer.status == .seeOther)
            let setCookie = answer.headers[values: .setCookie].first { $0.hasPrefix("atsgate_session=") } ?? ""
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            let session = try #require(cookie)
            let list = try await client.send(.get, "/admin/outbox?status=failed", headers: [.cookie: session])
            #expect(list.status == .ok)
            #expect(list.body.contains(#"data-row="\#(failed)""#))
            #expect(!list.body.contains(#"data-row="\#(pending)""#))
            let confirm = try await client.send(.get, "/admin/outbox/\(failed)/replay", headers: [.cookie: session])
            let token = try #require(Self.hiddenToken(in: confirm.body))
            let done = try await client.send(
                .post, "/admin/outbox/\(failed)/replay", headers: [.cookie: session, .contentType: "application/x-www-form-urlencoded"],
                form: "csrf_token=\(token.formEncoded)"
            )
            #expect(done.status == .seeOther)
            let row = try await client.send(.get, done.headers[.location] ?? "", headers: [.cookie: session])
            #expect(row.body.contains(#"id="row-status">pending<"#))
        }
        #expect(try await harness.store.outboxEntry(id: failed)?.status == .pending)
    }

    @Test("A stale CSRF token, another session's token or none is refused with 403 and changes nothing")
    func csrf() async throws {
        let harness = try await ServerHarness.make()
        let (failed, _) = try await harness.qualifyAndFail()
        try await harness.withClient { client in
            let first = try #require(try await Self.signIn(client, key: harness.key("org-a", .operator)).cookie)
            let stale = try #require(Self.hiddenToken(in: try await client.send(.get, "/admin/outbox/\(failed)/replay", headers: [.cookie: first]).body))
            let signOut = try await client.send(
                .post, "/admin/sign-out", headers: [.cookie: first, .contentType: "application/x-www-form-urlencoded"], form: "csrf_token=\(stale.formEncoded)"
            )
            #expect(signOut.status == .seeOther)
            let second = try #require(try await Self.signIn(client, key: harness.key("org-a", .operator)).cookie)
            for form in ["csrf_token=\(stale.formEncoded)", "csrf_token=", ""] {
                let answer = try await client.send(
                    .post, "/admin/outbox/\(failed)/replay", headers: [.cookie: second, .contentType: "application/x-www-form-urlencoded"], form: form
                )
                #expect(answer.status == .forbidden, "\(form)")
            }
            // The signed-out session is gone.
            #expect(try await client.send(.get, "/admin/outbox", headers: [.cookie: first]).status == .seeOther)
        }
        #expect(try await harness.store.outboxEntry(id: failed)?.status == .failed)
    }

    @Test("Only an active operator key signs in; another organisation's operator sees none of the rows")
    func access() async throws {
        let harness = try await ServerHarness.make()
        let (failed, _) = try await harness.qualifyAndFail()
        try await harness.withClient { client in
            for role in [APIRole.crm, .reader] {
                let (answer, cookie) = try await Self.signIn(client, key: harness.key("org-a", role))
                #expect(answer.status == .unauthorized)
                #expect(cookie == nil)
            }
            let other = try #require(try await Self.signIn(client, key: harness.key("org-b", .operator)).cookie)
            #expect(!(try await client.send(.get, "/admin/outbox", headers: [.cookie: other]).body.contains("data-row=")))
            #expect(try await client.send(.get, "/admin/outbox/\(failed)", headers: [.cookie: other]).status == .notFound)
            #expect(try await client.send(.get, "/admin/targets", headers: [.cookie: other]).status == .ok)
            #expect(try await client.send(.get, "/admin/reconcile-runs", headers: [.cookie: other]).status == .ok)
        }
    }
}

extension Client {
    func send(_ method: HTTPRequest.Method, _ uri: String, body: String? = nil, headers: HTTPFields, form: String) async throws -> Answer {
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: form))
        return Answer(status: response.status, headers: response.headers, body: String(buffer: response.body))
    }
}

extension String {
    var formEncoded: String {
        addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? self
    }
}
