import Foundation

/// How the fake Bullhorn reads parameters and writes URLs and timestamps.
extension FakeBullhorn {
    /// Milliseconds since 1970, Bullhorn's only timestamp format on the wire (B10).
    static func epochMilliseconds(_ date: Date) -> Int {
        Int((date.timeIntervalSince1970 * 1_000).rounded())
    }

    /// Only unreserved characters stay as they are, so a code's `:` becomes `%3A`.
    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Query parameters, plus a form-encoded body's (the OAuth steps take either, B1); a servlet
    /// container reads `+` as a space. The last value of a repeated name wins, the body over the query.
    static func parameters(query: String?, formBody: Data?) -> [String: String] {
        var parameters = Dictionary(formPairs(query ?? ""), uniquingKeysWith: { _, last in last })
        if let formBody {
            parameters.merge(formPairs(String(decoding: formBody, as: UTF8.self))) { _, body in body }
        }
        return parameters
    }

    /// The scalars of a JSON object body, as text: `POST search/...` sends `{"query": ...}` and
    /// `POST query/...` sends `{"where": ...}` when the URL would pass 7,500 characters (B5).
    static func scalars(ofJSON body: Data) -> [String: String] {
        guard let object = (try? JSONDecoder().decode(Value.self, from: body))?.object else { return [:] }
        return object.compactMapValues { value in
            switch value {
            case .string(let text): text
            case .int(let number): String(number)
            case .bool(let flag): String(flag)
            default: nil
            }
        }
    }

    private static func formPairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { part in
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }
}
