import Foundation
import Hummingbird
import NIOCore

/// How the fake Loxo reads requests and writes answers: wrapped bodies, form and query
/// decoding, JSON answers, money strings and its deliberately loose search.
extension FakeLoxo {
    /// The fields inside the resource key, from JSON `{"job": {…}}` or a form `job[title]=…`, as text.
    static func wrapped(_ key: String, body: ByteBuffer, contentType: String) -> [String: String] {
        let data = Data(body.readableBytesView)
        if contentType.contains("application/x-www-form-urlencoded") {
            var fields: [String: String] = [:]
            for (name, value) in formPairs(String(decoding: data, as: UTF8.self)) {
                guard name.hasPrefix("\(key)["), let close = name.firstIndex(of: "]") else { continue }
                let field = String(name[name.index(name.startIndex, offsetBy: key.count + 1)..<close])
                fields[field] = value
            }
            return fields
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let inner = object[key] as? [String: Any] else { return [:] }
        return inner.compactMapValues { value in
            switch value {
            case let string as String: string
            // JSON booleans arrive as NSNumbers too; keep them booleans, not "0" and "1".
            case let number as NSNumber where type(of: number) == booleanType: number.boolValue ? "true" : "false"
            case let number as NSNumber: number.stringValue
            default: nil
            }
        }
    }

    private static let booleanType = type(of: NSNumber(value: true))

    /// Query parameters decoded the way a Rails server does it (`+` is a space, keys are
    /// percent-decoded too); the last value of a repeated name wins.
    static func queryParameters(_ query: String?) -> [String: String] {
        Dictionary(formPairs(query ?? ""), uniquingKeysWith: { _, last in last })
    }

    /// `application/x-www-form-urlencoded` pairs, in order.
    static func formPairs(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { part in
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (name: parts[0], value: parts.count > 1 ? parts[1] : "")
        }
    }

    /// Whether a record could be in the answer to `query`.
    ///
    /// The real `query` is a ranked full-text (Lucene) search, not an exact filter, so this fake
    /// returns a superset on purpose and a client must compare results exactly itself:
    /// `field:"value"` matches records whose `field` *contains* `value`, ignoring case
    /// (`name:"Acme"` finds "Acme Holdings" too); any other text matches records whose title or
    /// name contains any of its words, ignoring case.
    static func matches(_ fields: [String: String], _ search: String?) -> Bool {
        guard let search, !search.trimmingCharacters(in: .whitespaces).isEmpty else { return true }
        if let colon = search.firstIndex(of: ":") {
            let field = String(search[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = search[search.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            return fields[field]?.localizedCaseInsensitiveContains(value) ?? false
        }
        let text = fields["title"] ?? fields["name"] ?? ""
        return search.split(separator: " ").contains { text.localizedCaseInsensitiveContains($0) }
    }

    /// Money as Loxo writes it: a string with at least one decimal, `"120000.0"`.
    static func moneyString(_ text: String) -> String? {
        guard let amount = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        let plain = NSDecimalNumber(decimal: amount).description(withLocale: Locale(identifier: "en_US_POSIX"))
        return plain.contains(".") ? plain : plain + ".0"
    }

    /// A JSON answer; `object` is anything `JSONSerialization` takes (an object or an array).
    static func json(_ object: Any, _ status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var response = Response(status: status, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        response.headers[.contentType] = "application/json"
        return response
    }

    static func errors(_ messages: String..., status: HTTPResponse.Status = .unprocessableContent) -> Response {
        json(["errors": messages], status)
    }

    static func notFound() -> Response {
        json(["error": "Not found"], .notFound)
    }
}
