import AtsgateCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `Idempotency-Key` on POST: the same key with the same API key, method, path and body within 24 hours
/// gets the first answer again, without the work being done again; the same key with another
/// request is a 422; the same request while the first is still running is a 409.
///
/// Answers below 500 are kept (a refused request stays refused); a 5xx gives the key back, so a
/// retry does the work. A node that dies mid-request leaves its key claimed: after
/// ``abandonedAfter`` another request may claim it again.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let store: any IdempotencyStore
    var keptFor: Duration = .seconds(24 * 3600)
    var abandonedAfter: Duration = .seconds(300)

    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayedHeader = HTTPField.Name("Idempotency-Replayed")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let key = request.headers[Self.header] else { return try await next(request, context) }
        guard let caller = context.caller else { return try await next(request, context) }
        guard (1...255).contains(key.utf8.count) else {
            throw Problem.badRequest("the Idempotency-Key header must be 1 to 255 characters", errors: [.init(pointer: "Idempotency-Key", detail: "1 to 255 characters")])
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let now = Date()
        let claim = try await store.claimIdempotencyKey(
            key, organisationID: caller.organisationID, requestHash: Self.hash(request, body: body, caller: caller), now: now,
            expiredBefore: now.addingTimeInterval(-keptFor.timeInterval), abandonedBefore: now.addingTimeInterval(-abandonedAfter.timeInterval)
        )
        switch claim {
        case .answered(let recorded):
            var headers = HTTPFields()
            headers[.contentType] = recorded.contentType
            if let location = recorded.location { headers[.location] = location }
            headers[Self.replayedHeader] = "true"
            return Response(status: .init(code: recorded.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: recorded.body)))
        case .usedForAnotherRequest:
            throw Problem(
                .unprocessableContent, "Idempotency-Key '\(key)' was already used with another request (method, path or body)",
                code: "idempotency-key-reused", errors: [.init(pointer: "Idempotency-Key", detail: "used with another request")]
            )
        case .inProgress:
            throw Problem(.conflict, "a request with Idempotency-Key '\(key)' is still being worked on; retry later", code: "idempotency-key-in-use")
        case .claimed:
            break
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let problem = ProblemMapping.problem(for: error, logger: context.logger)
            try await finish(problem.response(), key: key, caller: caller)
            throw problem
        }
        return try await finish(response, key: key, caller: caller)
    }

    /// Keeps the answer (or gives the key back after a 5xx) and returns it.
    @discardableResult
    private func finish(_ response: Response, key: String, caller: APIKeyRecord) async throws -> Response {
        guard response.status.code < 500 else {
            try await store.releaseIdempotencyKey(key, organisationID: caller.organisationID)
            return response
        }
        let collector = BodyCollector()
        var response = response
        try await response.body.write(collector)
        let recorded = RecordedResponse(
            status: Int(response.status.code), contentType: response.headers[.contentType] ?? "application/json",
            location: response.headers[.location], body: Data(buffer: collector.buffer)
        )
        try await store.recordIdempotentResponse(recorded, key: key, organisationID: caller.organisationID)
        response.body = .init(byteBuffer: collector.buffer)
        return response
    }

    /// The request as the key must find it again: who sent it (a reader repeating an operator's
    /// key gets a 422, not the operator's answer), the method, the path with its query, the body.
    static func hash(_ request: Request, body: ByteBuffer, caller: APIKeyRecord) -> String {
        var hasher = SHA256()
        hasher.update(data: Data("\(caller.id)\n\(request.method.rawValue) \(request.uri.description)\n".utf8))
        hasher.update(data: Data(buffer: body))
        return APIKeys.hex(hasher.finalize())
    }
}

/// Collects a response body that was built in memory, to keep it.
private final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        self.buffer.writeBuffer(&buffer)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
