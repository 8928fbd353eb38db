import AtsgateCore
import Testing

@Suite("Secrets never print")
struct SecretTests {
    struct Holder {
        var name = "loxo"
        var apiKey: Secret? = Secret("sk-live-4711-do-not-print")
        var redactor = SecretRedactor(secrets: [Secret("sk-live-4711-do-not-print")])
    }

    @Test("Description, debug description, reflection and dump of a holder all hide the value")
    func holderPrints() {
        let holder = Holder()
        var dumped = ""
        dump(holder, to: &dumped)
        for text in ["\(holder)", String(describing: holder), String(reflecting: holder), dumped, "\(holder.apiKey as Any)"] {
            #expect(!text.contains("4711"), "\(text)")
        }
        #expect(String(describing: holder.apiKey) == "Optional(<redacted>)")
    }

    @Test("The value is there for the request that needs it, and the redactor still removes it from text")
    func valueAndRedaction() {
        let holder = Holder()
        #expect(holder.apiKey?.value == "sk-live-4711-do-not-print")
        #expect(holder.redactor.redact("Bearer sk-live-4711-do-not-print refused") == "Bearer [redacted] refused")
    }

    @Test("An unset or empty variable is no secret")
    func emptyIsNone() {
        #expect(Secret(nil as String?) == nil)
        #expect(Secret("" as String?) == nil)
        #expect(Secret("x" as String?)?.value == "x")
    }
}
