public import Foundation
public import Hummingbird

/// An RFC 9457 problem details answer (`application/problem+json`): what went wrong, and for a
/// request with bad fields, each field (as a JSON pointer into the request body) and why.
public struct Problem: Error, Sendable, HTTPResponseError {
    public struct FieldError: Sendable, Encodable, Hashable {
        /// A JSON pointer into the request body (`/jobs/3/title`), or the query parameter's name.
        public var pointer: String
        public var detail: String

        public init(pointer: String, detail: String) {
            self.pointer = pointer
            self.detail = detail
        }
    }

    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String
    /// A short code naming the kind of problem, as the last part of `type` (`about:blank` when nil).
    public var code: String?
    public var errors: [FieldError]
    /// Headers the answer carries besides its content type (`Allow` on a 405).
    public var headers = HTTPFields()

    public init(_ status: HTTPResponse.Status, _ detail: String, code: String? = nil, errors: [FieldError] = []) {
        self.status = status
        self.title = status.reasonPhrase
        self.detail = detail
        self.code = code
        self.errors = errors
    }

    public static let contentType = "application/problem+json"

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    public func response() -> Response {
        let body = ProblemBody(
            type: code.map { "https://atsgate.dev/problems/\($0)" } ?? "about:blank", title: title, status: Int(status.code), detail: detail,
            errors: errors.isEmpty ? nil : errors
        )
        let data = (try? JSONCoding.encoder.encode(body)) ?? Data(#"{"title":"Internal Server Error","status":500}"#.utf8)
        var headers = self.headers
        headers[.contentType] = Self.contentType
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private struct ProblemBody: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var errors: [FieldError]?
    }
}

extension Problem {
    static func notFound(_ what: String) -> Problem { Problem(.notFound, "\(what) was not found", code: "not-found") }
    static func badRequest(_ detail: String, errors: [FieldError] = []) -> Problem { Problem(.badRequest, detail, code: "bad-request", errors: errors) }
    static func invalid(_ detail: String, errors: [FieldError]) -> Problem { Problem(.unprocessableContent, detail, code: "invalid-fields", errors: errors) }
    static func invalidParameter(_ name: String, _ detail: String) -> Problem {
        Problem(.badRequest, "query parameter '\(name)': \(detail)", code: "bad-request", errors: [FieldError(pointer: name, detail: detail)])
    }
}

/// The JSON every answer uses: the data model's snake_case names, ISO 8601 dates.
public enum JSONCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
