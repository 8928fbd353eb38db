import AtsgateCore
import AtsgateHTTP
import Foundation
import NIOCore
import Testing

@Suite("JSONWriter")
struct JSONWriterTests {
    func parsed(_ buffer: ByteBuffer) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView), options: [.fragmentsAllowed])
    }

    /// JSONDecoder rather than JSONSerialization, which drops a U+FEFF that opens a string.
    func readBack(_ buffer: ByteBuffer) throws -> String {
        try JSONDecoder().decode(String.self, from: Data(buffer.readableBytesView))
    }

    func written(_ text: String) -> ByteBuffer {
        var writer = JSONWriter()
        writer.string(text)
        return writer.buffer
    }

    @Test("A string reads back unchanged, whatever it holds", arguments: [
        "", "plain", "quote \" and backslash \\", "line\nbreak\r\ttab", "\u{0}\u{1}\u{8}\u{C}\u{1F}\u{7F}",
        "Léa Dubois — 東京 🚀", "slash / and </script>", "\\\"\\\"", "\u{2028}\u{2029}",
    ])
    func stringRoundTrips(text: String) throws {
        #expect(try readBack(written(text)) == text, "\(String(buffer: written(text)))")
    }

    @Test("Control characters are escaped, not copied")
    func controlCharactersAreEscaped() {
        #expect(String(buffer: written("a\u{1}\n\"\\")) == #""a\u0001\n\"\\""#)
    }

    @Test("Random strings of awkward characters read back unchanged")
    func randomStringsRoundTrip() throws {
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "€", "😀", "\u{FEFF}"]
        let random = JitterSource(seed: 42)  // seeded, so a failing case repeats
        func draw(below bound: Int) -> Int { min(bound - 1, Int(random.next() * Double(bound))) }
        for _ in 0..<500 {
            var text = String.UnicodeScalarView()
            for _ in 0..<draw(below: 25) { text.append(alphabet[draw(below: alphabet.count)]) }
            let value = String(text)
            #expect(try readBack(written(value)) == value, "\(String(buffer: written(value)))")
        }
    }

    @Test("Objects, arrays and optional fields: a nil leaves its key out")
    func objectsAndArrays() throws {
        var writer = JSONWriter()
        writer.object { root in
            root.field("name", "Halcyon")
            root.field("missing", String?.none)
            root.field("count", 3)
            root.field("amount", Decimal(string: "55000.50"))
            root.field("at", iso8601: Date(timeIntervalSince1970: 1_790_000_000))
            root.field("nested") { nested in
                nested.field("empty", array: [Int]()) { writer, value in writer.object { $0.field("v", value) } }
            }
            root.field("people", array: ["a", "b"]) { writer, name in writer.object { $0.field("id", name) } }
        }
        let object = try #require(try parsed(writer.buffer) as? NSDictionary)
        #expect(object == [
            "name": "Halcyon", "count": 3, "amount": 55000.5, "at": "2026-09-21T14:13:20Z",
            "nested": ["empty": [Any]()], "people": [["id": "a"], ["id": "b"]],
        ] as NSDictionary)
        #expect(String(buffer: writer.buffer).contains("missing") == false)
    }
}
