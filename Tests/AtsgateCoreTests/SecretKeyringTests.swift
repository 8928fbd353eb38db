import AtsgateCore
import Foundation
import Testing

@Suite("Sealing connection secrets")
struct SecretKeyringTests {
    static let keyA = Data((0..<32).map { UInt8($0) }).base64EncodedString()
    static let keyB = Data((0..<32).map { UInt8(200 - $0) }).base64EncodedString()

    @Test("A sealed secret opens with its key, for its own connection and key name only; the box holds no clear text")
    func sealAndOpen() throws {
        let keyring = try SecretKeyring(environment: [SecretKeyring.keyVariable: Self.keyA])
        let sealed = try keyring.seal(Secret("sk-live-4711"), name: "api_key", of: "org-a/loxo")
        #expect(sealed.keyID == keyring.currentKeyID)
        #expect(!sealed.box.contains("sk-live") && Data(base64Encoded: sealed.box).map { !String(decoding: $0, as: UTF8.self).contains("sk-live") } == true)
        #expect(try keyring.open(sealed, name: "api_key", of: "org-a/loxo").value == "sk-live-4711")
        #expect(throws: KeyringError.self) { try keyring.open(sealed, name: "api_key", of: "org-b/loxo") }
        #expect(throws: KeyringError.self) { try keyring.open(sealed, name: "password", of: "org-a/loxo") }
        let twice = try keyring.seal(Secret("sk-live-4711"), name: "api_key", of: "org-a/loxo")
        #expect(twice.box != sealed.box, "a fresh nonce each time")
    }

    @Test("After a rotation the previous key still opens; a key the process does not hold is named, never guessed")
    func rotation() throws {
        let old = try SecretKeyring(environment: [SecretKeyring.keyVariable: Self.keyA])
        let sealed = try old.seal(Secret("pw"), name: "password", of: "org-a/bullhorn")
        let rotating = try SecretKeyring(environment: [SecretKeyring.keyVariable: Self.keyB, SecretKeyring.previousKeyVariable: Self.keyA])
        #expect(try rotating.open(sealed, name: "password", of: "org-a/bullhorn").value == "pw")
        let newOnly = try SecretKeyring(environment: [SecretKeyring.keyVariable: Self.keyB])
        let error = #expect(throws: KeyringError.self) { try newOnly.open(sealed, name: "password", of: "org-a/bullhorn") }
        #expect(error?.message.contains("sealed with key \(sealed.keyID)") == true, "\(String(describing: error))")
    }

    @Test("No key refuses to seal; a malformed key is an error naming its variable")
    func missingAndMalformed() throws {
        let none = try SecretKeyring(environment: [:])
        #expect(none.currentKeyID == nil)
        #expect(throws: KeyringError.self) { try none.seal(Secret("x"), name: "api_key", of: "org-a/loxo") }
        let short = #expect(throws: KeyringError.self) { try SecretKeyring(environment: [SecretKeyring.previousKeyVariable: "c2hvcnQ="]) }
        #expect(short?.message.contains(SecretKeyring.previousKeyVariable) == true)
    }
}
