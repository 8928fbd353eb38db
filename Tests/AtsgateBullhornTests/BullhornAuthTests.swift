@testable import AtsgateBullhorn
import AsyncHTTPClient
import AtsgateCore
import AtsgateTesting
import Foundation
import NIOCore
import Testing

/// Bullhorn's four-step authentication (ATS_APIS.md B1) as the connector does it against the fake:
/// each failure is a clear `auth` (or `transient`) error without any secret in it, sessions are
/// renewed once at a time, and the rotating refresh token survives a restart.
@Suite("Bullhorn authentication against the fake Bullhorn", .timeLimit(.minutes(2)))
struct BullhornAuthTests {
    typealias Fixture = BullhornFixture

    func create(_ connector: BullhornConnector, _ job: JobID = "job-1") async throws -> SubmissionReceipt {
        try await connector.submit(SubmissionRequest(operation: .create, snapshot: Fixture.snapshot(job)))
    }

    /// The values no error may repeat.
    func expectNoSecret(in error: ConnectorError?, _ fake: FakeBullhorn, _ extra: [String] = []) {
        let text = error?.description ?? ""
        for secret in [fake.configuration.password, fake.configuration.clientSecret] + extra {
            #expect(!text.contains(secret), "an error repeats a secret: \(text)")
        }
    }

    @Test("loginInfo, authorize, token and login open a session; credentials travel in form bodies; the refresh token is stored")
    func fourSteps() async throws {
        try await FakeBullhorn.withRunning { fake in
            let store = MemoryCredentialStore()
            let receipt = try await create(try Fixture.connector(fake, store: store, redirectURI: fake.configuration.redirectURI))
            #expect(fake.jobOrders.count == 1)
            #expect(receipt.externalID == fake.jobOrders.first.map { String($0.id) })
            #expect(fake.authCounts == FakeBullhorn.AuthCounts(passwordLogins: 1, codeGrants: 1, restLogins: 1))
            let stored = try #require(await store.onlyValue)
            #expect(!stored.isEmpty)

            let authorize = try #require(fake.requests.first { $0.path.hasSuffix("/oauth/authorize") })
            #expect(authorize.method == "POST")
            #expect(authorize.query == nil, "no credential in the URL")
            #expect(authorize.body?.contains("password=") == true)
            let login = try #require(fake.requests.first { $0.path.hasSuffix("/rest-services/login") })
            #expect(login.query == nil, "the access token is not in the URL")
            // The session travels as a header, never as a query parameter.
            #expect(fake.dataRequests.allSatisfy { $0.query?.contains("BhRestToken") != true })
        }
    }

    @Test("loginInfo at the wrong data center answers a 307, which the connector follows")
    func dataCenterRedirect() async throws {
        var configuration = FakeBullhorn.Configuration()
        configuration.dataCenter = "west"
        try await FakeBullhorn.withRunning(configuration: configuration) { fake in
            _ = try await create(try Fixture.connector(fake))
            #expect(fake.jobOrders.count == 1)
            #expect(fake.requests.contains { $0.path == "/dc/west/rest-services/loginInfo" })
        }
    }

    @Test("A wrong password is an HTML page: auth naming the variables, no secret repeated, and no second try during the backoff")
    func badPassword() async throws {
        let clock = ManualClock(now: Date())
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake, secrets: Fixture.secrets(fake, password: "hunter2-wrong"), clock: clock)
            let refused = await Fixture.failure { _ = try await create(connector) }
            #expect(refused?.kind == .auth)
            #expect(refused?.message.contains("BH_USERNAME/BH_PASSWORD") == true, "\(refused?.message ?? "")")
            expectNoSecret(in: refused, fake, ["hunter2-wrong"])
            #expect(fake.authCounts.failedPasswordLogins == 1)

            // The dispatcher refreshes credentials and retries once: no second password login yet.
            try await connector.refreshCredentials()
            let blocked = await Fixture.failure { _ = try await create(connector) }
            #expect(blocked?.kind == .auth)
            #expect(blocked?.message.contains("tries again after") == true, "\(blocked?.message ?? "")")
            #expect(fake.authCounts.failedPasswordLogins == 1)

            clock.advance(by: .seconds(301))
            _ = await Fixture.failure { _ = try await create(connector) }
            #expect(fake.authCounts.failedPasswordLogins == 2)
            // The second refusal in a row waits twice as long.
            clock.advance(by: .seconds(301))
            _ = await Fixture.failure { _ = try await create(connector) }
            #expect(fake.authCounts.failedPasswordLogins == 2)
            #expect(fake.jobOrders.isEmpty)
        }
    }

    @Test("A wrong client id is Bullhorn's 'Invalid Client Id' page; a wrong client secret is invalid_client")
    func badClient() async throws {
        try await FakeBullhorn.withRunning { fake in
            let unknownClient = await Fixture.failure { _ = try await create(try Fixture.connector(fake, secrets: Fixture.secrets(fake, clientID: "someone-else"))) }
            #expect(unknownClient?.kind == .auth)
            #expect(unknownClient?.message.contains("client id from BH_CLIENT_ID") == true, "\(unknownClient?.message ?? "")")

            let wrongSecret = await Fixture.failure { _ = try await create(try Fixture.connector(fake, secrets: Fixture.secrets(fake, clientSecret: "s3cr3t-wrong"))) }
            #expect(wrongSecret?.kind == .auth)
            #expect(wrongSecret?.message.contains("invalid_client") == true)
            #expect(wrongSecret?.message.contains("BH_CLIENT_SECRET") == true)
            expectNoSecret(in: wrongSecret, fake, ["s3cr3t-wrong"])
            #expect(fake.authCounts.codeGrants == 0)
            #expect(fake.jobOrders.isEmpty)
        }
    }

    @Test("An authorization code that expired before the token step is an auth failure that says so")
    func expiredCode() async throws {
        var configuration = FakeBullhorn.Configuration()
        configuration.authorizationCodeLifetime = .zero
        try await FakeBullhorn.withRunning(configuration: configuration) { fake in
            let expired = await Fixture.failure { _ = try await create(try Fixture.connector(fake)) }
            #expect(expired?.kind == .auth)
            #expect(expired?.message.contains("authorization code") == true, "\(expired?.message ?? "")")
            #expect(expired?.message.contains("invalid_grant") == true)
            #expect(fake.authCounts.passwordLogins == 1)
            #expect(fake.authCounts.codeGrants == 0)
        }
    }

    @Test("Missing secrets are a config error naming the variable")
    func missingSecret() async throws {
        try await FakeBullhorn.withRunning { fake in
            var secrets = Fixture.secrets(fake)
            secrets.password = nil
            let missing = await Fixture.failure { _ = try await create(try Fixture.connector(fake, secrets: secrets)) }
            #expect(missing?.kind == .config)
            #expect(missing?.message.contains("BH_PASSWORD") == true)
            #expect(fake.requests.isEmpty)
        }
    }

    @Test("A session that ends in the middle of a run is renewed with the access token, then with the refresh token")
    func sessionExpiry() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            _ = try await create(connector, "job-1")
            fake.expireSessions()
            _ = try await create(connector, "job-2")
            #expect(fake.authCounts.restLogins == 2)
            #expect(fake.authCounts.refreshGrants == 0)

            fake.expireSessions()
            fake.expireAccessTokens()
            _ = try await create(connector, "job-3")
            #expect(fake.authCounts.refreshGrants == 1)
            #expect(fake.authCounts.passwordLogins == 1)
            #expect(fake.jobOrders.count == 3)
            // A 401 is answered by renewing and sending the same request again: job-2 and job-3 were each refused once.
            #expect(fake.requests.filter { $0.method == "PUT" && $0.path.hasSuffix("/entity/JobOrder") }.count == 5)
        }
    }

    @Test("A session that Bullhorn says will end soon is renewed before it is used")
    func renewalBeforeExpiry() async throws {
        var configuration = FakeBullhorn.Configuration()
        configuration.sessionLifetime = .seconds(600)
        try await FakeBullhorn.withRunning(configuration: configuration) { fake in
            let clock = ManualClock(now: Date())
            let connector = try Fixture.connector(fake, clock: clock)
            _ = try await create(connector, "job-1")
            #expect(fake.authCounts.restLogins == 1)
            // An hour later by our clock (the session was asked for 60 minutes): renewed first, no 401 seen.
            clock.advance(by: .seconds(3_600))
            _ = try await create(connector, "job-2")
            #expect(fake.authCounts.restLogins == 2)
            #expect(fake.authCounts.refreshGrants == 1)
            #expect(fake.requests.filter { $0.method == "PUT" && $0.path.hasSuffix("/entity/JobOrder") }.count == 2)
        }
    }

    @Test("Two deliveries that need a refresh at the same moment make exactly one refresh")
    func singleFlightRefresh() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            _ = try await create(connector, "job-0")
            fake.expireSessions()
            fake.expireAccessTokens()
            fake.setLatency(.milliseconds(20))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 1...4 {
                    group.addTask { _ = try await create(connector, JobID("job-\(index)")) }
                }
                try await group.waitForAll()
            }
            #expect(fake.authCounts.refreshGrants == 1)
            #expect(fake.authCounts.rejectedRefreshGrants == 0)
            #expect(fake.authCounts.passwordLogins == 1)
            #expect(fake.jobOrders.count == 5)
        }
    }

    @Test("A restarted connector continues with the stored refresh token: no password login")
    func restartUsesStoredRefreshToken() async throws {
        try await FakeBullhorn.withRunning { fake in
            let store = MemoryCredentialStore()
            _ = try await create(try Fixture.connector(fake, store: store), "job-1")
            let first = try #require(await store.onlyValue)

            _ = try await create(try Fixture.connector(fake, store: store), "job-2")
            #expect(fake.authCounts.passwordLogins == 1)
            #expect(fake.authCounts.refreshGrants == 1)
            let rotated = try #require(await store.onlyValue)
            #expect(rotated != first)

            // And again: each restart spends the stored token and stores its successor.
            _ = try await create(try Fixture.connector(fake, store: store), "job-3")
            #expect(fake.authCounts.passwordLogins == 1)
            #expect(fake.authCounts.refreshGrants == 2)
            #expect(fake.authCounts.rejectedRefreshGrants == 0)
        }
    }

    @Test("A stored refresh token another worker already spent costs one password login, and the new token is stored")
    func spentStoredToken() async throws {
        try await FakeBullhorn.withRunning { fake in
            let store = MemoryCredentialStore()
            _ = try await create(try Fixture.connector(fake, store: store), "job-1")
            await store.overwriteAll(with: "1:spent-or-revoked")
            _ = try await create(try Fixture.connector(fake, store: store), "job-2")
            #expect(fake.authCounts.rejectedRefreshGrants == 1)
            #expect(fake.authCounts.passwordLogins == 2)
            #expect(await store.onlyValue != "1:spent-or-revoked")

            _ = try await create(try Fixture.connector(fake, store: store), "job-3")
            #expect(fake.authCounts.passwordLogins == 2)
            #expect(fake.authCounts.refreshGrants == 1)
        }
    }

    @Test("Workers sharing a store hand the refresh token on: one that finds its token spent uses the one the other stored")
    func sharedStore() async throws {
        try await FakeBullhorn.withRunning { fake in
            let store = MemoryCredentialStore()
            let first = try Fixture.connector(fake, store: store)
            let second = try Fixture.connector(fake, store: store)
            _ = try await create(first, "job-1")
            _ = try await create(second, "job-2")
            fake.expireSessions()
            fake.expireAccessTokens()
            _ = try await create(first, "job-3")
            _ = try await create(second, "job-4")
            #expect(fake.authCounts.passwordLogins == 1)
            #expect(fake.authCounts.refreshGrants == 3)
            #expect(fake.authCounts.rejectedRefreshGrants == 0)
        }
    }

    @Test("refreshCredentials drops the session: the next delivery opens a new one without a password")
    func refreshCredentialsDropsTheSession() async throws {
        try await FakeBullhorn.withRunning { fake in
            let connector = try Fixture.connector(fake)
            _ = try await create(connector, "job-1")
            try await connector.refreshCredentials()
            _ = try await create(connector, "job-2")
            #expect(fake.authCounts.restLogins == 2)
            #expect(fake.authCounts.refreshGrants == 1)
            #expect(fake.authCounts.passwordLogins == 1)
        }
    }

    @Test("An auth step that fails on Bullhorn's side (503) is transient, not auth")
    func transientAuthStep() async throws {
        try await FakeBullhorn.withRunning { fake in
            fake.script(.status(503), on: .token)
            let unavailable = await Fixture.failure { _ = try await create(try Fixture.connector(fake)) }
            #expect(unavailable?.kind == .transient)
            #expect(fake.jobOrders.isEmpty)
        }
    }
}
