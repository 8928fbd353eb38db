import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

extension StoreConformance {
    /// Organisations' connections: stored and read back whole, listed, replaced, removed, resealed
    /// all or nothing; every change audited by its keys, never its values.
    @Suite("Connections")
    struct Connections {
        static let now = Fixtures.now

        static func loxo(_ organisation: OrganisationID, slug: String, at now: Date = Self.now) -> StoredConnection {
            StoredConnection(
                organisationID: organisation, target: "loxo", kind: .loxo,
                settings: ["agency_slug": .text(slug), "base_url": .text("https://app.loxo.co")],
                secrets: ["api_key": SealedSecret(keyID: "0011223344556677", box: "c2VhbGVk")], updatedAt: now
            )
        }

        @Test("A saved connection reads back whole; a second save replaces it; listing is by organisation and target", arguments: StoreEngine.allCases)
        func saveAndRead(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            defer { withExtendedLifetime(subject) {} }
            let store = subject.store
            let first = Self.loxo("org-a", slug: "agency-a")
            try await store.saveConnection(first, changedKeys: ["agency_slug", "api_key", "base_url"], actor: "ops")
            #expect(try await store.connection(organisationID: "org-a", target: "loxo") == first)
            #expect(try await store.connection(organisationID: "org-b", target: "loxo") == nil)

            var email = Self.loxo("org-a", slug: "-")
            email.target = "email"
            email.kind = .email
            email.settings = ["to": .list(["desk@a.example", "boss@a.example"]), "from": .text("ats@a.example"), "password_env": .text("A_SMTP_PASSWORD")]
            email.secrets = [:]
            try await store.saveConnection(email, changedKeys: ["from", "password_env", "to"], actor: "ops")
            let second = Self.loxo("org-b", slug: "agency-b")
            try await store.saveConnection(second, changedKeys: ["agency_slug"], actor: "ops")

            #expect(try await store.connections(organisationID: nil).map(\.name) == ["org-a/email", "org-a/loxo", "org-b/loxo"])
            #expect(try await store.connections(organisationID: "org-a") == [email, first])

            let replaced = Self.loxo("org-a", slug: "agency-a2", at: Self.now.addingTimeInterval(60))
            try await store.saveConnection(replaced, changedKeys: ["agency_slug"], actor: "ops")
            #expect(try await store.connection(organisationID: "org-a", target: "loxo") == replaced)
        }

        @Test("Removing says whether there was a connection; every change is audited by its keys, never its values", arguments: StoreEngine.allCases)
        func removeAndAudit(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            defer { withExtendedLifetime(subject) {} }
            let store = subject.store
            try await store.saveConnection(Self.loxo("org-a", slug: "agency-a"), changedKeys: ["agency_slug", "api_key"], actor: "ops@example")
            #expect(try await store.removeConnection(organisationID: "org-a", target: "loxo", actor: "ops@example"))
            #expect(try await !store.removeConnection(organisationID: "org-a", target: "loxo", actor: "ops@example"))
            #expect(try await store.connection(organisationID: "org-a", target: "loxo") == nil)

            let audit = try await store.auditLog().filter { $0.subject == "connection:org-a/loxo" }
            #expect(audit.map(\.action) == [.connectionSet, .connectionRemoved])
            #expect(audit.first?.details == ["target": "loxo", "keys": "agency_slug,api_key"])
            #expect(audit.allSatisfy { $0.actor == "ops@example" })
            #expect(audit.allSatisfy { !"\($0.details)".contains("agency-a") }, "the audit log holds no setting's value")
        }

        @Test("Resealing replaces every connection's secrets, or none when one changed since it was read", arguments: StoreEngine.allCases)
        func reseal(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            defer { withExtendedLifetime(subject) {} }
            let store = subject.store
            try await store.saveConnection(Self.loxo("org-a", slug: "agency-a"), changedKeys: [], actor: "ops")
            try await store.saveConnection(Self.loxo("org-b", slug: "agency-b"), changedKeys: [], actor: "ops")
            let read = try await store.connections(organisationID: nil)
            let rotated = read.map { connection in
                var connection = connection
                connection.secrets = ["api_key": SealedSecret(keyID: "8899aabbccddeeff", box: "bmV3")]
                return connection
            }
            // org-b changes after the rotation read it: the whole rotation is refused.
            try await store.saveConnection(Self.loxo("org-b", slug: "agency-b2", at: Self.now.addingTimeInterval(5)), changedKeys: [], actor: "ops")
            await #expect(throws: StoreError.self) { try await store.resealSecrets(rotated, actor: "ops") }
            #expect(try await store.connections(organisationID: nil).map { $0.secrets["api_key"]?.keyID } == ["0011223344556677", "0011223344556677"])

            let again = try await store.connections(organisationID: nil).map { connection in
                var connection = connection
                connection.secrets = ["api_key": SealedSecret(keyID: "8899aabbccddeeff", box: "bmV3")]
                return connection
            }
            try await store.resealSecrets(again, actor: "ops")
            #expect(try await store.connections(organisationID: nil).map { $0.secrets["api_key"]?.keyID } == ["8899aabbccddeeff", "8899aabbccddeeff"])
            #expect(try await store.auditLog().filter { $0.action == .secretsRotated }.count == 2)
        }
    }
}
