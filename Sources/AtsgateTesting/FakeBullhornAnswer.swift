import Foundation
import Hummingbird
import NIOCore

/// What the fake Bullhorn answers, built by the value types with no Hummingbird in sight and
/// turned into a `Response` at the edge.
struct FakeBullhornAnswer: Sendable {
    enum Body: Sendable {
        case json(FakeBullhorn.Value)
        case html(String)
        case empty
    }

    var status: Int
    var body: Body
    var location: String?

    static func json(_ value: FakeBullhorn.Value, status: Int = 200) -> Self {
        Self(status: status, body: .json(value))
    }

    static func html(_ page: String) -> Self {
        Self(status: 200, body: .html(page))
    }

    static func redirect(_ status: Int, to location: String) -> Self {
        Self(status: status, body: .empty, location: location)
    }

    var isSuccess: Bool { (200..<300).contains(status) }

    /// An answer carried as an error, for checks that either pass or end the request.
    struct Rejection: Error {
        var answer: FakeBullhornAnswer

        init(_ answer: FakeBullhornAnswer) {
            self.answer = answer
        }
    }

    var response: Response {
        var headers = HTTPFields()
        let bytes: ByteBuffer
        switch body {
        case .json(let value):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            bytes = ByteBuffer(bytes: (try? encoder.encode(value)) ?? Data())
            headers[.contentType] = "application/json;charset=UTF-8"
        case .html(let page):
            bytes = ByteBuffer(string: page)
            headers[.contentType] = "text/html;charset=UTF-8"
        case .empty:
            bytes = ByteBuffer()
        }
        if let location { headers[.location] = location }
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: bytes))
    }
}

// MARK: - Bullhorn's error bodies (ATS_APIS.md B7)

extension FakeBullhornAnswer {
    /// One entry of a write failure's `errors` array.
    struct FieldError: Sendable {
        var propertyName: String?
        var type: String
        var detailMessage: String

        var value: FakeBullhorn.Value {
            [
                "propertyName": propertyName.map(FakeBullhorn.Value.string) ?? .null,
                "severity": "ERROR",
                "type": .string(type),
                "detailMessage": .string(detailMessage),
            ]
        }
    }

    /// `{"errorMessage", "errorMessageKey", "errorCode"}`, plus `errors` and `entityName` on writes.
    static func error(
        _ status: Int, _ message: String, key: String?,
        errors: [FieldError]? = nil, entityName: String? = nil
    ) -> Self {
        var body: [String: FakeBullhorn.Value] = ["errorMessage": .string(message), "errorCode": .int(status)]
        if let key { body["errorMessageKey"] = .string(key) }
        if let errors { body["errors"] = .array(errors.map(\.value)) }
        if let entityName { body["entityName"] = .string(entityName) }
        return .json(.object(body), status: status)
    }

    static func badRequest(_ message: String, key: String? = nil) -> Self {
        error(400, message, key: key)
    }

    /// 400 for a write that breaks the entity's rules, naming each offending property.
    static func invalidWrite(_ entity: FakeBullhorn.Entity, _ errors: [FieldError]) -> Self {
        error(400, "error persisting an entity of type: \(entity.rawValue)", key: "errors.cannotPersistEntity",
              errors: errors, entityName: entity.rawValue)
    }

    static func notFound(_ entity: FakeBullhorn.Entity, id: String) -> Self {
        error(404, "Cannot find entity of type \(entity.rawValue) with id \(id)", key: "errors.entityNotFound")
    }

    static func invalidField(_ name: String, of entity: FakeBullhorn.Entity) -> Self {
        badRequest("'\(name)' is not a valid field name for entity \(entity.rawValue)", key: "errors.invalidField")
    }

    /// The documented body for a missing, unknown or timed-out session (B1).
    static let invalidRestToken = error(401, "Bad 'BhRestToken' or timed-out.", key: "errors.authentication.invalidRestToken")

    /// No session token at all: 412 Precondition Failed (B1; the body is not documented).
    static let missingRestToken = error(412, "Missing BhRestToken.", key: "errors.authentication.missingRestToken")

    /// An injected failure, with the documented wording where there is one (B6, B7).
    static func injected(_ status: Int) -> Self {
        switch status {
        case 429: error(429, "Rate Limited -- Wait 1 second then retry request. Repeat until successful.", key: "errors.rateLimited")
        case 500: error(500, "An internal error has occurred", key: "errors.internalError")
        case 503: error(503, "The service is temporarily unavailable for maintenance.", key: "errors.serviceUnavailable")
        default: error(status, "Injected failure \(status)", key: nil)
        }
    }

    /// "Persisted, then failed" (B7 hazard): the record is stored, yet the answer is an error.
    static func persistedThenFailed(_ status: Int, entityName: String?) -> Self {
        error(status, "error persisting an entity of type: \(entityName ?? "unknown")", key: "errors.internalError",
              errors: [], entityName: entityName)
    }
}
