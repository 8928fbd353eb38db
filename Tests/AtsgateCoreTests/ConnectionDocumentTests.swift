import AtsgateCore
import Testing

@Suite("Connection files")
struct ConnectionDocumentTests {
    let loxo = TargetConfiguration(name: "loxo", settings: .loxo(.init(agencySlug: "", apiKeyEnvironmentVariable: "")), connectionsRequired: true)

    func problem(_ text: String) -> ConfigurationError? {
        do throws(ConfigurationError) {
            _ = try ConnectionDocument.parse(text, for: loxo, file: "org-a.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test("Inline secrets are kept apart from the settings, which keep *_env names and everything else")
    func splitsSecrets() throws {
        let draft = try ConnectionDocument.parse("base_url: https://loxo.example\nagency_slug: acme\napi_key: sk-1\n", for: loxo, file: "org-a.yaml")
        #expect(draft.settings == ["base_url": .text("https://loxo.example"), "agency_slug": .text("acme")])
        #expect(draft.inlineSecrets == ["api_key": Secret("sk-1")])
        let fromEnvironment = try ConnectionDocument.parse("agency_slug: acme\napi_key_env: ORG_A_KEY\n", for: loxo, file: "org-a.yaml")
        #expect(fromEnvironment.settings["api_key_env"] == .text("ORG_A_KEY") && fromEnvironment.inlineSecrets.isEmpty)
    }

    @Test("Every problem names the file, the line of the key in it and the key", arguments: [
        ("# org a\n\nagency_slug: [a, b]\napi_key: x\n", "org-a.yaml:3: field 'agency_slug'"),
        ("agency_slug: acme\napi_key: x\napi_key_env: KEY\n", "is given inline and as api_key_env"),
        ("agency_slug: acme\n", "field 'api_key_env': is required"),
        ("agency_slug: acme\napi_key: x\nclient_id: y\n", "org-a.yaml:3: field 'client_id': unknown key"),
        ("agency_slug: acme\napi_key_env: not a name\n", "org-a.yaml:2: field 'api_key_env'"),
    ])
    func namesTheProblem(_ text: String, _ expected: String) {
        let error = problem(text)
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
    }
}
