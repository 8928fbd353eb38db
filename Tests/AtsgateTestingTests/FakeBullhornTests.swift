import AsyncHTTPClient
import AtsgateTesting
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// A client that does not follow redirects, so the 302 of `authorize` and the 307 of `loginInfo`
/// can be checked. Never shut down: it lives as long as the test process.
private let client: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.redirectConfiguration = .disallow
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}()

/// The fake Bullhorn behaves as ATS_APIS.md part B and part D say, checked with a plain HTTP client.
@Suite("Fake Bullhorn follows ATS_APIS.md", .timeLimit(.minutes(1)))
struct FakeBullhornTests {
    typealias Value = FakeBullhorn.Value

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var text: String
        /// The decoded body, or `.null` when it is not JSON.
        var json: Value

        subscript(key: String) -> Value? { json[key] }
        func header(_ name: String) -> String? { headers.first(name: name) }
        /// The `propertyName`s of a write failure's `errors`.
        var failedProperties: [String] { json["errors"]?.array?.compactMap { $0["propertyName"]?.string } ?? [] }
    }

    struct Session {
        var token: String
        var restURL: String
        var accessToken: String
        var refreshToken: String
    }

    func send(_ method: HTTPMethod, _ url: String, json: String? = nil, form: String? = nil,
              headers: [String: String] = [:], timeout: TimeAmount = .seconds(5)) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        } else if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await client.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 1 << 22)
        let data = Data(body.readableBytesView)
        let decoded = (try? JSONDecoder().decode(Value.self, from: data)) ?? .null
        return Answer(status: Int(response.status.code), headers: response.headers, text: String(decoding: data, as: UTF8.self), json: decoded)
    }

    /// A data call under the session's `restUrl`, with `BhRestToken` as a query parameter.
    func rest(_ session: Session, _ method: HTTPMethod, _ path: String, json: String? = nil,
              timeout: TimeAmount = .seconds(5)) async throws -> Answer {
        let separator = path.contains("?") ? "&" : "?"
        return try await send(method, "\(session.restURL)\(path)\(separator)BhRestToken=\(session.token)", json: json, timeout: timeout)
    }

    func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    func authorizeURL(_ fake: FakeBullhorn, password: String? = nil, clientID: String? = nil, extra: String = "") -> String {
        let configuration = fake.configuration
        return "\(fake.oauthURL)/authorize?client_id=\(encoded(clientID ?? configuration.clientID))&response_type=code&action=Login"
            + "&username=\(encoded(configuration.username))&password=\(encoded(password ?? configuration.password))\(extra)"
    }

    /// The code in a 302's `Location`, percent-decoded.
    func authorizationCode(in answer: Answer) throws -> String {
        let location = try #require(answer.header("Location"))
        return try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
    }

    func tokenURL(_ fake: FakeBullhorn, _ grant: String, secret: String? = nil) -> String {
        "\(fake.oauthURL)/token?\(grant)&client_id=\(encoded(fake.configuration.clientID))"
            + "&client_secret=\(encoded(secret ?? fake.configuration.clientSecret))"
    }

    /// All four steps, as a headless client does them (B1).
    func logIn(_ fake: FakeBullhorn, ttl: Int? = nil) async throws -> Session {
        let info = try await send(.GET, "\(fake.loginInfoURL)?username=\(encoded(fake.configuration.username))")
        #expect(info["oauthUrl"]?.string == fake.oauthURL)
        let restServices = try #require(info["restUrl"]?.string)
        let code = try authorizationCode(in: try await send(.GET, authorizeURL(fake)))
        let tokens = try await send(.POST, tokenURL(fake, "grant_type=authorization_code&code=\(encoded(code))"))
        let accessToken = try #require(tokens["access_token"]?.string)
        let refreshToken = try #require(tokens["refresh_token"]?.string)
        let login = try await send(.GET, "\(restServices)/login?version=*&access_token=\(encoded(accessToken))\(ttl.map { "&ttl=\($0)" } ?? "")")
        return Session(token: try #require(login["BhRestToken"]?.string), restURL: try #require(login["restUrl"]?.string),
                       accessToken: accessToken, refreshToken: refreshToken)
    }

    /// Creates a company and a contact at it; returns their ids.
    func companyAndContact(_ session: Session) async throws -> (company: Int, contact: Int) {
        let company = try #require(try await rest(session, .PUT, "entity/ClientCorporation", json: #"{"name": "Halcyon Robotics"}"#)["changedEntityId"]?.int)
        let contact = try await rest(session, .PUT, "entity/ClientContact", json: #"""
            {"clientCorporation": {"id": \#(company)}, "firstName": "Ada", "lastName": "Byron", "name": "Ada Byron"}
            """#)
        return (company, try #require(contact["changedEntityId"]?.int))
    }

    func createJob(_ session: Session, _ ids: (company: Int, contact: Int), _ extra: String = "") async throws -> Int {
        let answer = try await rest(session, .PUT, "entity/JobOrder", json: #"""
            {"title": "Backend Engineer", "clientCorporation": {"id": \#(ids.company)}, "clientContact": {"id": \#(ids.contact)},
             "employmentType": "Permanent"\#(extra)}
            """#)
        return try #require(answer["changedEntityId"]?.int)
    }

    // MARK: - Authentication (B1)

    @Test("The four steps: loginInfo, authorize (302 with an encoded code), token, login with restUrl ending in corpToken/")
    func fourSteps() async throws {
        try await FakeBullhorn.withRunning { fake in
            let info = try await send(.GET, "\(fake.loginInfoURL)?username=atsgate.api")
            #expect(info.status == 200)
            #expect(info["oauthUrl"]?.string == fake.oauthURL)
            #expect(info["restUrl"]?.string == "\(fake.baseURL)/rest-services")

            let authorize = try await send(.GET, authorizeURL(fake, extra: "&state=xyz"))
            #expect(authorize.status == 302)
            let location = try #require(authorize.header("Location"))
            #expect(location.hasPrefix("\(fake.configuration.redirectURI)?code="))
            #expect(location.contains("%3A"))
            #expect(location.contains("state=xyz"))

            let tokens = try await send(.POST, tokenURL(fake, "grant_type=authorization_code&code=\(encoded(try authorizationCode(in: authorize)))"))
            #expect(tokens.status == 200)
            #expect(tokens["expires_in"]?.int == 600)
            #expect(tokens["token_type"]?.string == "Bearer")
            let accessToken = try #require(tokens["access_token"]?.string)

            let login = try await send(.POST, "\(fake.baseURL)/rest-services/login?version=2.0&access_token=\(encoded(accessToken))")
            #expect(login.status == 200)
            #expect(login["restUrl"]?.string == fake.restURL)
            #expect(fake.restURL.hasSuffix("/rest-services/fk3x9/"))
            #expect(login["BhRestToken"]?.string?.isEmpty == false)
            #expect(fake.authCounts == FakeBullhorn.AuthCounts(passwordLogins: 1, codeGrants: 1, restLogins: 1))
        }
    }

    @Test("The OAuth steps also take their parameters as a form body")
    func formBodies() async throws {
        try await FakeBullhorn.withRunning { fake in
            let configuration = fake.configuration
            let authorize = try await send(.POST, "\(fake.oauthURL)/authorize", form: "client_id=\(configuration.clientID)&response_type=code"
                + "&action=Login&username=\(encoded(configuration.username))&password=\(encoded(configuration.password))")
            #expect(authorize.status == 302)
            let tokens = try await send(.POST, "\(fake.oauthURL)/token", form: "grant_type=authorization_code&code=\(encoded(try authorizationCode(in: authorize)))"
                + "&client_id=\(configuration.clientID)&client_secret=\(configuration.clientSecret)")
            #expect(tokens["access_token"]?.string != nil)
        }
    }

    @Test("loginInfo at the wrong data center is a 307 to the right one")
    func dataCenterRedirect() async throws {
        var configuration = FakeBullhorn.Configuration()
        configuration.dataCenter = "west"
        try await FakeBullhorn.withRunning(configuration: configuration) { fake in
            let first = try await send(.GET, "\(fake.loginInfoURL)?username=atsgate.api")
            #expect(first.status == 307)
            let location = try #require(first.header("Location"))
            #expect(location == "\(fake.baseURL)/dc/west/rest-services/loginInfo?username=atsgate.api")
            let second = try await send(.GET, location)
            #expect(second.status == 200)
            #expect(second["oauthUrl"]?.string == fake.oauthURL)
        }
    }

    @Test("Bad credentials or a wrong client id answer an HTML page with 200, not a redirect")
    func badCredentials() async throws {
        try await FakeBullhorn.withRunning { fake in
            let wrongPassword = try await send(.GET, authorizeURL(fake, password: "nope"))
            #expect(wrongPassword.status == 200)
            #expect(wrongPassword.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(wrongPassword.text.contains(#"<p class="error">"#))
            #expect(wrongPassword.header("Location") == nil)

            let wrongClient = try await send(.GET, authorizeURL(fake, clientID: "someone-else"))
            #expect(wrongClient.status == 200)
            #expect(wrongClient.text.contains("Invalid Client Id"))

            let noAction = try await send(.GET, "\(fake.oauthURL)/authorize?client_id=\(fake.configuration.clientID)&response_type=code")
            #expect(noAction.status == 200)
            #expect(noAction.header("Location") == nil)
            #expect(fake.authCounts.failedPasswordLogins == 1)
            #expect(fake.authCounts.passwordLogins == 0)
        }
    }

    @Test("A code is single-use, short-lived and tied to its redirect_uri; a wrong secret is invalid_client")
    func authorizationCodes() async throws {
        let clock = ManualClock()
        try await FakeBullhorn.withRunning(clock: clock) { fake in
            let code = try authorizationCode(in: try await send(.GET, authorizeURL(fake)))
            let grant = "grant_type=authorization_code&code=\(encoded(code))"
            let wrongSecret = try await send(.POST, tokenURL(fake, grant, secret: "nope"))
            #expect(wrongSecret.status == 401)
            #expect(wrongSecret["error"]?.string == "invalid_client")
            #expect(try await send(.POST, tokenURL(fake, grant)).status == 200)
            let again = try await send(.POST, tokenURL(fake, grant))
            #expect(again.status == 400)
            #expect(again["error"]?.string == "invalid_grant")
            #expect(again["error_description"]?.string == "Invalid, expired, or revoked authorization code.")

            let late = try authorizationCode(in: try await send(.GET, authorizeURL(fake)))
            clock.advance(by: .seconds(61))
            #expect(try await send(.POST, tokenURL(fake, "grant_type=authorization_code&code=\(encoded(late))"))["error"]?.string == "invalid_grant")

            let redirect = encoded(fake.configuration.redirectURI)
            let bound = try authorizationCode(in: try await send(.GET, authorizeURL(fake, extra: "&redirect_uri=\(redirect)")))
            let missing = try await send(.POST, tokenURL(fake, "grant_type=authorization_code&code=\(encoded(bound))"))
            #expect(missing["error"]?.string == "invalid_grant")
            let other = try await send(.GET, authorizeURL(fake, extra: "&redirect_uri=\(encoded("https://elsewhere.invalid/cb"))"))
            #expect(other.status == 200)
            #expect(other.header("Location") == nil)
            #expect(fake.authCounts.codeGrants == 1)
        }
    }

    @Test("Refresh tokens rotate and are single-use: a spent one is invalid_grant")
    func refreshTokens() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let refreshed = try await send(.POST, tokenURL(fake, "grant_type=refresh_token&refresh_token=\(encoded(session.refreshToken))"))
            #expect(refreshed.status == 200)
            #expect(refreshed["expires_in"]?.int == 600)
            let rotated = try #require(refreshed["refresh_token"]?.string)
            #expect(rotated != session.refreshToken)

            let reused = try await send(.POST, tokenURL(fake, "grant_type=refresh_token&refresh_token=\(encoded(session.refreshToken))"))
            #expect(reused.status == 400)
            #expect(reused["error"]?.string == "invalid_grant")
            #expect(try await send(.POST, tokenURL(fake, "grant_type=refresh_token&refresh_token=\(encoded(rotated))")).status == 200)
            #expect(fake.authCounts.refreshGrants == 2)
            #expect(fake.authCounts.rejectedRefreshGrants == 1)
            #expect(fake.authCounts.passwordLogins == 1)
        }
    }

    @Test("An access token expires after expires_in: login then answers the documented 400")
    func accessTokenExpiry() async throws {
        let clock = ManualClock()
        try await FakeBullhorn.withRunning(clock: clock) { fake in
            let code = try authorizationCode(in: try await send(.GET, authorizeURL(fake)))
            let accessToken = try #require(try await send(.POST, tokenURL(fake, "grant_type=authorization_code&code=\(encoded(code))"))["access_token"]?.string)
            clock.advance(by: .seconds(601))
            let login = try await send(.GET, "\(fake.baseURL)/rest-services/login?version=*&access_token=\(encoded(accessToken))")
            #expect(login.status == 400)
            #expect(login["errorMessageKey"]?.string == "errors.authentication.invalidOAuthToken")
            #expect(login["errorMessage"]?.string == "Invalid or expired OAuth access token.")
            #expect(fake.authCounts.restLogins == 0)
        }
    }

    // MARK: - Sessions (B1)

    @Test("No BhRestToken is a 412; an unknown or expired one the documented 401; query, header and cookie all work")
    func sessionTokens() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            #expect(try await send(.GET, "\(session.restURL)ping").status == 412)
            let unknown = try await send(.GET, "\(session.restURL)ping?BhRestToken=nope")
            #expect(unknown.status == 401)
            #expect(unknown["errorMessageKey"]?.string == "errors.authentication.invalidRestToken")
            #expect(unknown["errorMessage"]?.string == "Bad 'BhRestToken' or timed-out.")
            #expect(unknown["errorCode"]?.int == 401)

            #expect(try await rest(session, .GET, "ping").status == 200)
            #expect(try await send(.GET, "\(session.restURL)ping", headers: ["BHRestToken": session.token]).status == 200)
            #expect(try await send(.GET, "\(session.restURL)ping", headers: ["Cookie": "BhRestToken=\(session.token)"]).status == 200)
            #expect(try await send(.GET, "\(fake.baseURL)/rest-services/other/ping?BhRestToken=\(session.token)").status == 404)

            fake.expireSessions()
            #expect(try await rest(session, .GET, "ping").status == 401)
        }
    }

    @Test("Sessions last sessionLifetime, or ttl minutes; ping tells when in epoch ms; logout ends one")
    func sessionLifetime() async throws {
        let clock = ManualClock()
        var configuration = FakeBullhorn.Configuration()
        configuration.sessionLifetime = .seconds(300)
        try await FakeBullhorn.withRunning(configuration: configuration, clock: clock) { fake in
            let session = try await logIn(fake)
            let nowMillis = Int(clock.now().timeIntervalSince1970 * 1000)
            #expect(try await rest(session, .GET, "ping")["sessionExpires"]?.int == nowMillis + 300_000)
            let long = try await logIn(fake, ttl: 60)
            clock.advance(by: .seconds(301))
            #expect(try await rest(session, .GET, "ping").status == 401)
            #expect(try await rest(long, .GET, "ping").status == 200)

            #expect(try await rest(long, .GET, "logout")["logout"]?.string == "OK")
            #expect(try await rest(long, .GET, "ping").status == 401)
        }
    }

    @Test("After expireSessions and expireAccessTokens, getting back in takes exactly one refresh, then a login")
    func recoveryTakesOneRefresh() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            fake.expireSessions()
            fake.expireAccessTokens()
            #expect(try await rest(session, .GET, "ping").status == 401)
            let stale = try await send(.GET, "\(fake.baseURL)/rest-services/login?version=*&access_token=\(encoded(session.accessToken))")
            #expect(stale.status == 400)
            let refreshed = try await send(.POST, tokenURL(fake, "grant_type=refresh_token&refresh_token=\(encoded(session.refreshToken))"))
            let accessToken = try #require(refreshed["access_token"]?.string)
            let login = try await send(.GET, "\(fake.baseURL)/rest-services/login?version=*&access_token=\(encoded(accessToken))")
            let token = try #require(login["BhRestToken"]?.string)
            #expect(try await send(.GET, "\(fake.restURL)ping?BhRestToken=\(token)").status == 200)
            #expect(fake.authCounts == FakeBullhorn.AuthCounts(passwordLogins: 1, codeGrants: 1, refreshGrants: 1, restLogins: 2))
        }
    }

    // MARK: - Entities (B2–B4, B10)

    @Test("PUT answers INSERT with changedEntityId and the input echoed; GET needs fields and wraps the record in data")
    func createAndGet() async throws {
        let clock = ManualClock()
        try await FakeBullhorn.withRunning(clock: clock) { fake in
            let session = try await logIn(fake)
            let created = try await rest(session, .PUT, "entity/ClientCorporation", json: #"{"name": "Halcyon Robotics", "externalID": "CRM-1"}"#)
            #expect(created.status == 200)
            #expect(created["changedEntityType"]?.string == "ClientCorporation")
            #expect(created["changeType"]?.string == "INSERT")
            #expect(created["data"] == ["name": "Halcyon Robotics", "externalID": "CRM-1"])
            let id = try #require(created["changedEntityId"]?.int)

            let noFields = try await rest(session, .GET, "entity/ClientCorporation/\(id)")
            #expect(noFields.status == 400)
            let read = try await rest(session, .GET, "entity/ClientCorporation/\(id)?fields=name,dateAdded")
            #expect(read.status == 200)
            #expect(read["data"]?["id"]?.int == id)
            #expect(read["data"]?["name"]?.string == "Halcyon Robotics")
            #expect(read["data"]?["dateAdded"]?.int == Int(clock.now().timeIntervalSince1970 * 1000))
            #expect(read["data"]?["externalID"] == nil)
            #expect(try await rest(session, .GET, "entity/ClientCorporation/\(id)?fields=name,nope").status == 400)
            #expect(try await rest(session, .GET, "entity/ClientCorporation/999999?fields=name").status == 404)
            #expect(fake.clientCorporations.map { $0["name"] } == ["Halcyon Robotics"])
        }
    }

    @Test("Creating a ClientCorporation also creates an archived placeholder ClientContact")
    func placeholderContact() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let id = try #require(try await rest(session, .PUT, "entity/ClientCorporation", json: #"{"name": "Acme"}"#)["changedEntityId"]?.int)
            #expect(fake.clientContacts.count == 1)
            let placeholder = try #require(fake.clientContacts.first)
            #expect(placeholder["status"] == "Archive")
            #expect(placeholder["clientCorporation"]?.associatedID == id)
            let found = try await rest(session, .GET, "search/ClientContact?query=clientCorporation.id:\(id)&fields=id,status")
            #expect(found["total"]?.int == 1)
        }
    }

    @Test("Missing mandatory, unknown, read-only, wrongly typed and over-long fields are a 400 naming each property; nothing is stored")
    func validation() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let ids = try await companyAndContact(session)
            let storedBefore = (fake.jobOrders.count, fake.clientContacts.count, fake.clientCorporations.count)

            let missing = try await rest(session, .PUT, "entity/JobOrder", json: #"{"title": "Backend Engineer", "clientCorporation": {"id": \#(ids.company)}}"#)
            #expect(missing.status == 400)
            #expect(missing.failedProperties == ["clientContact", "employmentType"])
            #expect(missing["entityName"]?.string == "JobOrder")
            #expect(missing["errors"]?.array?.first?["severity"]?.string == "ERROR")

            let title = try await rest(session, .PUT, "entity/ClientContact", json: #"""
                {"clientCorporation": {"id": \#(ids.company)}, "firstName": "Ada", "lastName": "Byron", "title": "CTO"}
                """#)
            #expect(title.status == 400)
            #expect(title.failedProperties == ["title"])

            let tooLong = try await rest(session, .PUT, "entity/ClientCorporation", json: #"{"name": "Acme", "externalID": "\#(String(repeating: "x", count: 31))"}"#)
            #expect(tooLong.failedProperties == ["externalID"])
            let isoDate = try await createJobAnswer(session, ids, #", "startDate": "2026-01-05T00:00:00Z""#)
            #expect(isoDate.failedProperties == ["startDate"])
            let readOnly = try await createJobAnswer(session, ids, #", "dateLastModified": 1700000000000"#)
            #expect(readOnly.failedProperties == ["dateLastModified"])
            let danglingLink = try await rest(session, .PUT, "entity/ClientContact", json: #"{"clientCorporation": {"id": 999999}, "firstName": "A", "lastName": "B"}"#)
            #expect(danglingLink.failedProperties == ["clientCorporation"])
            #expect(try await rest(session, .PUT, "entity/JobOrder", json: "not json").status == 400)

            #expect((fake.jobOrders.count, fake.clientContacts.count, fake.clientCorporations.count) == storedBefore)
        }
    }

    func createJobAnswer(_ session: Session, _ ids: (company: Int, contact: Int), _ extra: String) async throws -> Answer {
        try await rest(session, .PUT, "entity/JobOrder", json: #"""
            {"title": "Backend Engineer", "clientCorporation": {"id": \#(ids.company)}, "clientContact": {"id": \#(ids.contact)},
             "employmentType": "Permanent"\#(extra)}
            """#)
    }

    @Test("A JobOrder gets Bullhorn's defaults, epoch-ms dates, and renders to-ones with their display fields or a sub-selection")
    func jobOrderShape() async throws {
        let clock = ManualClock()
        try await FakeBullhorn.withRunning(clock: clock) { fake in
            let session = try await logIn(fake)
            let ids = try await companyAndContact(session)
            let job = try await createJob(session, ids, #", "startDate": 1790035200000"#)
            let read = try await rest(session, .GET, "entity/JobOrder/\(job)?fields=title,clientCorporation,clientContact(id,lastName),owner,isDeleted,startDate,dateAdded")
            let data = try #require(read["data"])
            #expect(data["clientCorporation"] == ["id": .int(ids.company), "name": "Halcyon Robotics"])
            #expect(data["clientContact"] == ["id": .int(ids.contact), "lastName": "Byron"])
            #expect(data["owner"]?["id"]?.int == fake.configuration.apiUserID)
            #expect(data["isDeleted"] == false)
            #expect(data["startDate"]?.int == 1_790_035_200_000)
            #expect(data["dateAdded"]?.int == Int(clock.now().timeIntervalSince1970 * 1000))
            #expect(fake.record(.clientContact, id: ids.contact)?["name"] == "Ada Byron")
        }
    }

    @Test("POST updates only the sent fields and answers UPDATE; an unknown id is a 404")
    func update() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let job = try await createJob(session, try await companyAndContact(session))
            let updated = try await rest(session, .POST, "entity/JobOrder/\(job)", json: #"{"status": "Covered", "isOpen": false}"#)
            #expect(updated["changeType"]?.string == "UPDATE")
            #expect(updated["changedEntityId"]?.int == job)
            let stored = try #require(fake.record(.jobOrder, id: job))
            #expect(stored["status"] == "Covered")
            #expect(stored["isOpen"] == false)
            #expect(stored["title"] == "Backend Engineer")
            #expect(try await rest(session, .POST, "entity/JobOrder/\(job)", json: #"{"title": null}"#).failedProperties == ["title"])
            #expect(try await rest(session, .POST, "entity/JobOrder/999999", json: #"{"status": "Covered"}"#).status == 404)
        }
    }

    @Test("DELETE soft-deletes a JobOrder; a ClientCorporation cannot be deleted and has no isDeleted")
    func deletes() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let ids = try await companyAndContact(session)
            let job = try await createJob(session, ids)
            let deleted = try await rest(session, .DELETE, "entity/JobOrder/\(job)")
            #expect(deleted["changeType"]?.string == "DELETE")
            #expect(deleted["data"] == [:])
            #expect(fake.record(.jobOrder, id: job)?["isDeleted"] == true)
            #expect(try await rest(session, .GET, "entity/JobOrder/\(job)?fields=isDeleted")["data"]?["isDeleted"] == true)

            #expect(try await rest(session, .DELETE, "entity/ClientCorporation/\(ids.company)").status == 400)
            #expect(try await rest(session, .POST, "entity/ClientCorporation/\(ids.company)", json: #"{"isDeleted": true}"#).failedProperties == ["isDeleted"])
            #expect(fake.record(.clientCorporation, id: ids.company) != nil)
        }
    }

    @Test("Several ids answer those that exist, as a list; 404 only when none do")
    func bulkGet() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let first = fake.insert(.clientCorporation, ["name": "One"]).id
            let second = fake.insert(.clientCorporation, ["name": "Two"]).id
            let both = try await rest(session, .GET, "entity/ClientCorporation/\(first),999999,\(second)?fields=id")
            #expect(both["data"]?.array?.compactMap { $0["id"]?.int } == [first, second])
            #expect(try await rest(session, .GET, "entity/ClientCorporation/999998,999999?fields=id").status == 404)
        }
    }

    // MARK: - search and query (B4, B5, B8)

    @Test("search: field:value, phrases, id lists, AND; soft-deleted records are in the index; booleans are 0/1")
    func search() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let ids = try await companyAndContact(session)
            let live = try await createJob(session, ids, #", "externalID": "CRM-12""#)
            let gone = try await createJob(session, ids, #", "externalID": "CRM-12""#)
            let other = try await createJob(session, ids, #", "externalID": "CRM-99""#)
            _ = try await rest(session, .DELETE, "entity/JobOrder/\(gone)")

            func found(_ query: String) async throws -> [Int] {
                let answer = try await rest(session, .GET, "search/JobOrder?query=\(encoded(query))&fields=id,externalID")
                #expect(answer.status == 200)
                return answer["data"]?.array?.compactMap { $0["id"]?.int } ?? []
            }
            #expect(try await found(#"externalID:"CRM-12""#) == [live, gone])
            #expect(try await found(#"externalID:"CRM-12" AND isDeleted:0"#) == [live])
            #expect(try await found(#"externalID:"CRM-12" AND isDeleted:false"#) == [])
            #expect(try await found("id:(\(live) \(other))") == [live, other])
            #expect(try await found("clientCorporation.id:\(ids.company) AND NOT externalID:CRM-99") == [live, gone])

            let answer = try await rest(session, .GET, "search/JobOrder?query=isDeleted:0&fields=id")
            #expect(answer["total"]?.int == 2)
            #expect(answer["start"]?.int == 0)
            #expect(answer["count"]?.int == 2)
            #expect(answer["data"]?.array?.first?["_score"] != nil)
        }
    }

    @Test("search is looser than an exact filter: a phrase also matches other values containing its words")
    func looseSearch() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            for externalID in ["CRM-12", "crm 12", "X-CRM-12-B", "CRM-123"] {
                fake.insert(.clientCorporation, ["name": "Acme", "externalID": .string(externalID)])
            }
            let answer = try await rest(session, .GET, "search/ClientCorporation?query=\(encoded(#"externalID:"CRM-12""#))&fields=externalID")
            #expect(answer["data"]?.array?.compactMap { $0["externalID"]?.string } == ["CRM-12", "crm 12", "X-CRM-12-B"])
        }
    }

    @Test("search without fields answers ids only; a bare * or a missing query is a 400")
    func searchIDsOnly() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let id = fake.insert(.clientCorporation, ["name": "Acme"]).id
            let ids = try await rest(session, .GET, "search/ClientCorporation?query=name:Acme")
            #expect(ids.json == ["data": [.int(id)]])
            let bare = try await rest(session, .GET, "search/ClientCorporation?query=*")
            #expect(bare.status == 400)
            #expect(bare["errorMessage"]?.string?.hasPrefix("Bad Query") == true)
            #expect(try await rest(session, .GET, "search/ClientCorporation?fields=id").status == 400)
            #expect(try await rest(session, .GET, "search/Candidate?query=id:1&fields=id")["errorMessageKey"]?.string == "errors.searchUnknownEntity")
        }
    }

    @Test("query: JPQL with single quotes and true/false; total only with showTotalMatched; fields and where required")
    func query() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let ids = try await companyAndContact(session)
            let live = try await createJob(session, ids, #", "externalID": "O'Brien-1""#)
            let gone = try await createJob(session, ids, #", "externalID": "O'Brien-1""#)
            _ = try await rest(session, .DELETE, "entity/JobOrder/\(gone)")

            let whereClause = encoded("externalID='O''Brien-1' AND isDeleted=false")
            let answer = try await rest(session, .GET, "query/JobOrder?where=\(whereClause)&fields=id,externalID")
            #expect(answer.status == 200)
            #expect(answer["data"]?.array?.compactMap { $0["id"]?.int } == [live])
            #expect(answer["total"] == nil)
            #expect(answer["count"]?.int == 1)
            let withTotal = try await rest(session, .GET, "query/JobOrder?where=\(encoded("externalID='O''Brien-1'"))&fields=id&showTotalMatched=true")
            #expect(withTotal["total"]?.int == 2)
            #expect(try await rest(session, .GET, "query/JobOrder?where=\(encoded("id>0"))&totalOnly=true").json == ["total": 2])

            #expect(try await rest(session, .GET, "query/JobOrder?where=\(whereClause)").status == 400)
            #expect(try await rest(session, .GET, "query/JobOrder?fields=id").status == 400)
            #expect(try await rest(session, .GET, "query/JobOrder?where=\(encoded(#"externalID="x""#))&fields=id").status == 400)
            #expect(try await rest(session, .GET, "query/JobOrder?where=\(encoded("isDeleted=0"))&fields=id").status == 400)
            #expect(try await rest(session, .GET, "query/ClientCorporation?where=\(encoded("isDeleted=false"))&fields=id").status == 400)
        }
    }

    @Test("A comparison with a null field is unknown in query, so <> leaves out records without a value")
    func queryNulls() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let archived = fake.insert(.clientCorporation, ["name": "Archived", "status": "Archive"]).id
            let active = fake.insert(.clientCorporation, ["name": "Active", "status": "Active"]).id
            fake.insert(.clientCorporation, ["name": "No status"])
            let answer = try await rest(session, .GET, "query/ClientCorporation?where=\(encoded("status<>'archive'"))&fields=id")
            #expect(answer["data"]?.array?.compactMap { $0["id"]?.int } == [active])
            let none = try await rest(session, .GET, "query/ClientCorporation?where=\(encoded("status IS NULL OR id IN (\(archived))"))&fields=id&orderBy=-id")
            #expect(none["data"]?.array?.count == 2)
        }
    }

    @Test("count defaults to 20 and is capped at 500; start pages through")
    func paging() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            for index in 0..<520 { fake.insert(.clientCorporation, ["name": .string("Company \(index)")]) }
            let first = try await rest(session, .GET, "search/ClientCorporation?query=name:company&fields=id")
            #expect(first["count"]?.int == 20)
            #expect(first["total"]?.int == 520)
            let capped = try await rest(session, .GET, "search/ClientCorporation?query=name:company&fields=id&count=1000")
            #expect(capped.status == 200)
            #expect(capped["count"]?.int == 500)
            let last = try await rest(session, .GET, "query/ClientCorporation?where=\(encoded("id>0"))&fields=id&start=510&count=500")
            #expect(last["start"]?.int == 510)
            #expect(last["count"]?.int == 10)
        }
    }

    @Test("POST search and query read the query from the body; a tenant can refuse query on an entity")
    func postAndRefusedQuery() async throws {
        var configuration = FakeBullhorn.Configuration()
        configuration.entitiesRejectingQuery = [.clientContact]
        try await FakeBullhorn.withRunning(configuration: configuration) { fake in
            let session = try await logIn(fake)
            let ids = (1...3).map { _ in fake.insert(.clientCorporation, ["name": "Acme"]).id }
            let list = ids.map(String.init).joined(separator: " ")
            let searched = try await rest(session, .POST, "search/ClientCorporation?fields=id", json: #"{"query": "id:(\#(list))"}"#)
            #expect(searched["total"]?.int == 3)
            let queried = try await rest(session, .POST, "query/ClientCorporation?fields=id", json: #"{"where": "id IN (\#(ids[0]), \#(ids[2]))"}"#)
            #expect(queried["data"]?.array?.compactMap { $0["id"]?.int } == [ids[0], ids[2]])
            let refused = try await rest(session, .GET, "query/ClientContact?where=\(encoded("id>0"))&fields=id")
            #expect(refused.status == 400)
            #expect(refused["errorMessageKey"]?.string == "errors.queryIndexedEntity")
        }
    }

    @Test("meta lists fields; required appears only with meta=full")
    func meta() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let basic = try await rest(session, .GET, "meta/JobOrder?fields=title,employmentType")
            let fields = try #require(basic["fields"]?.array)
            #expect(fields.compactMap { $0["name"]?.string } == ["title", "employmentType"])
            #expect(fields.allSatisfy { $0["required"] == nil })
            #expect(fields.last?["options"]?.array?.isEmpty == false)
            let full = try await rest(session, .GET, "meta/JobOrder?fields=*&meta=full")
            let required = full["fields"]?.array?.filter { $0["required"] == true }.compactMap { $0["name"]?.string }
            #expect(required == ["clientContact", "clientCorporation", "employmentType", "title"])
        }
    }

    // MARK: - Faults (B6, B7)

    @Test("A scripted 429 has Bullhorn's message and no Retry-After; reads and writes after it are handled")
    func rateLimit() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            fake.script(.rateLimited, .status(503))
            let limited = try await rest(session, .GET, "ping")
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After") == nil)
            #expect(limited["errorMessage"]?.string?.hasPrefix("Rate Limited") == true)
            #expect(try await rest(session, .PUT, "entity/ClientCorporation", json: #"{"name": "Acme"}"#).status == 503)
            #expect(fake.clientCorporations.isEmpty)
            #expect(try await rest(session, .GET, "ping").status == 200)
        }
    }

    @Test("Persist, then fail: the record is stored, yet the answer is an error; reads pass the fault by")
    func persistThenFail() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            fake.script(.persistThenFail(status: 500))
            #expect(try await rest(session, .GET, "ping").status == 200)
            let answer = try await rest(session, .PUT, "entity/ClientCorporation", json: #"{"name": "Acme", "externalID": "CRM-7"}"#)
            #expect(answer.status == 500)
            #expect(answer["changedEntityId"] == nil)
            #expect(answer["entityName"]?.string == "ClientCorporation")
            #expect(fake.clientCorporations.map { $0["externalID"] } == ["CRM-7"])
            let dedup = try await rest(session, .GET, "search/ClientCorporation?query=\(encoded(#"externalID:"CRM-7""#))&fields=id")
            #expect(dedup["total"]?.int == 1)
        }
    }

    @Test("Persist, then fail on the token endpoint: the refresh token is spent though the client saw a 500")
    func refreshThenFail() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            fake.script(.persistThenFail(status: 500), on: .token)
            let grant = "grant_type=refresh_token&refresh_token=\(encoded(session.refreshToken))"
            #expect(try await send(.POST, tokenURL(fake, grant)).status == 500)
            #expect(try await send(.POST, tokenURL(fake, grant))["error"]?.string == "invalid_grant")
            #expect(fake.authCounts.refreshGrants == 1)
            #expect(fake.authCounts.rejectedRefreshGrants == 1)
        }
    }

    @Test("Commit, then drop the connection: the record is stored and the client gets a connection error")
    func commitThenDropConnection() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            fake.script(.commitThenDropConnection)
            #expect(try await rest(session, .GET, "ping").status == 200)
            await #expect(throws: HTTPClientError.remoteConnectionClosed) {
                try await rest(session, .PUT, "entity/ClientCorporation", json: #"{"name": "Dropped Inc"}"#)
            }
            #expect(fake.clientCorporations.map { $0["name"] } == ["Dropped Inc"])
            #expect(try await rest(session, .PUT, "entity/ClientCorporation", json: #"{"name": "Answered Inc"}"#).status == 200)
        }
    }

    @Test("Commit, then hang: the write is stored and the client times out")
    func commitThenHang() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            fake.script(.commitThenHang)
            await #expect(throws: HTTPClientError.deadlineExceeded) {
                try await rest(session, .PUT, "entity/ClientCorporation", json: #"{"name": "Held"}"#, timeout: .seconds(2))
            }
            #expect(fake.clientCorporations.map { $0["name"] } == ["Held"])
            fake.releaseHeld()
        }
    }

    @Test("An error rate fails the same data calls for the same seed, comes after the session check, and spares auth")
    func seededErrorRate() async throws {
        @Sendable func statuses(seed: UInt64) async throws -> [Int] {
            try await FakeBullhorn.withRunning { fake in
                let session = try await logIn(fake)
                fake.setErrorRate(0.3, status: 503, seed: seed)
                #expect(try await send(.GET, "\(session.restURL)ping?BhRestToken=nope").status == 401)
                var statuses: [Int] = []
                for _ in 0..<60 { statuses.append(try await rest(session, .GET, "ping").status) }
                _ = try await logIn(fake)
                return statuses
            }
        }
        let first = try await statuses(seed: 42)
        #expect(try await statuses(seed: 42) == first)
        #expect(Set(first) == [200, 503])
        #expect((8...30).contains(first.count { $0 == 503 }))
    }

    @Test("A latency delays every answer by at least that long")
    func latency() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            fake.setLatency(.milliseconds(300))
            let clock = ContinuousClock()
            let start = clock.now
            #expect(try await rest(session, .GET, "ping").status == 200)
            #expect(clock.now - start >= .milliseconds(300))
        }
    }

    // MARK: - Event subscriptions (B9) and the request log

    @Test("A subscription hands out changes once; requestId fetches a batch again; an empty poll is an empty body")
    func subscriptions() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            let path = "event/subscription/atsgate?type=entity&names=JobOrder,ClientCorporation&eventTypes=INSERTED,UPDATED"
            let created = try await rest(session, .PUT, path)
            #expect(created["subscriptionId"]?.string == "atsgate")
            #expect(created["lastRequestId"]?.int == 0)
            #expect(try await rest(session, .PUT, path).status == 400)

            let company = try #require(try await rest(session, .PUT, "entity/ClientCorporation", json: #"{"name": "Acme"}"#)["changedEntityId"]?.int)
            _ = try await rest(session, .POST, "entity/ClientCorporation/\(company)", json: #"{"status": "Active"}"#)
            let poll = try await rest(session, .GET, "event/subscription/atsgate?maxEvents=100")
            let events = try #require(poll["events"]?.array)
            #expect(poll["requestId"]?.int == 1)
            #expect(events.compactMap { $0["entityEventType"]?.string } == ["INSERTED", "UPDATED"])
            #expect(events.allSatisfy { $0["entityName"] == "ClientCorporation" && $0["entityId"]?.int == company })
            #expect(events.last?["updatedProperties"] == ["status"])

            let empty = try await rest(session, .GET, "event/subscription/atsgate?maxEvents=100")
            #expect(empty.status == 200)
            #expect(empty.text.isEmpty)
            #expect(try await rest(session, .GET, "event/subscription/atsgate?requestId=1")["events"]?.array?.count == 2)
            #expect(try await rest(session, .GET, "event/subscription/atsgate/lastRequestId").json == ["result": 1])
            #expect(try await rest(session, .DELETE, "event/subscription/atsgate").json == ["result": true])
            #expect(try await rest(session, .GET, "event/subscription/atsgate").status == 404)
        }
    }

    @Test("The request log keeps method, path, query and body")
    func requestLog() async throws {
        try await FakeBullhorn.withRunning { fake in
            let session = try await logIn(fake)
            _ = try await rest(session, .PUT, "entity/ClientCorporation", json: #"{"name": "Acme"}"#)
            let last = try #require(fake.requests.last)
            #expect(last.method == "PUT")
            #expect(last.path == "/rest-services/fk3x9/entity/ClientCorporation")
            #expect(last.query == "BhRestToken=\(session.token)")
            #expect(last.body == #"{"name": "Acme"}"#)
            #expect(fake.requests.map(\.path).prefix(4) == ["/rest-services/loginInfo", "/oauth/authorize", "/oauth/token", "/rest-services/login"])
        }
    }
}
