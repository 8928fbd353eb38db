import AtsgateTesting
import Foundation
import Testing

@Suite("connectors check end to end", .serialized, .timeLimit(.minutes(1)))
struct ConnectorsCheckEndToEndTests {
    let loxo = LoxoEndToEndTests()

    @Test("ok with the right key; 3 when the target refuses it; 2 when the key's variable is unset; nothing changes at the target")
    func check() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        try await FakeLoxo.withRunning { fake in
            let environment = try await loxo.prepare(atsgate, fake: fake, retryBaseDelay: "1s")
            let ok = try await atsgate.execute(["connectors", "check", "--target", "loxo"], environment: environment)
            #expect(ok.exitCode == 0, "\(ok.stderr)")
            #expect(ok.stdout.contains("ok"))

            var wrongKey = environment
            wrongKey[LoxoEndToEndTests.keyVariable] = "not-the-key"
            let refused = try await atsgate.execute(["connectors", "check", "--json"], environment: wrongKey)
            #expect(refused.exitCode == 3)
            #expect(refused.stdout.contains("\"error_kind\" : \"auth\""))
            #expect(!refused.stdout.contains("not-the-key"), "the key's value is never printed")

            var unset = environment
            unset.removeValue(forKey: LoxoEndToEndTests.keyVariable)
            let missing = try await atsgate.execute(["connectors", "check"], environment: unset)
            #expect(missing.exitCode == 2)
            #expect(missing.stdout.contains(LoxoEndToEndTests.keyVariable))

            #expect(fake.jobs.isEmpty && fake.companies.isEmpty && fake.people.isEmpty)
            #expect(fake.requests.allSatisfy { $0.method == "GET" })
        }
    }
}
