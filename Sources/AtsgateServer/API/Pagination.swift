import Foundation
import Hummingbird

/// `?limit=` (1–500, default 50) and `?cursor=` (opaque: the last item of the previous page).
struct PageRequest: Sendable {
    static let defaultLimit = 50
    static let maximumLimit = 500

    var limit: Int
    var after: Int64?

    init(limit: Int, after: Int64?) {
        self.limit = limit
        self.after = after
    }

    init(_ request: Request) throws(Problem) {
                limit = Self.defaultLimit
        if let text = request.query("limit") {
            guard let value = Int(text), (1...Self.maximumLimit).contains(value) else {
                throw Problem.invalidParameter("limit", "must be a whole number from 1 to \(Self.maximumLimit)")
            }
            limit = value
        }
        if let cursor = request.query("cursor") {
            guard let id = Self.decode(cursor) else { throw Problem.invalidParameter("cursor", "is not a cursor this API gave out") }
            after = id
        }
    }

    static func encode(_ id: Int64) -> String {
        Data("c1:\(id)".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> Int64? {
        let padded = cursor + String(repeating: "=", count: (4 - cursor.count % 4) % 4)
        guard let data = Data(base64Encoded: padded), let text = String(data: data, encoding: .utf8), text.hasPrefix("c1:") else { return nil }
        return Int64(text.dropFirst(3))
    }
}

/// One page of a list: `data`, and `next_cursor` (null on the last page).
struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    var data: [Item]
    var nextCursor: String?

    /// `items` as fetched with one more than the page's limit: the extra one says a next page exists.
    init<Source>(_ items: [Source], limit: Int, id: (Source) -> Int64, item: (Source) -> Item) {
        let page = Array(items.prefix(limit))
        data = page.map(item)
        nextCursor = items.count > limit ? page.last.map { PageRequest.encode(id($0)) } : nil
    }

    enum CodingKeys: String, CodingKey {
        case data, nextCursor
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

extension Request {
    /// A query parameter's value, when given and not empty.
    func query(_ name: String) -> String? {
        uri.queryParameters[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }
}
