public import AsyncHTTPClient
public import AtsgateCore
public import Foundation
public import NIOCore
public import NIOHTTP1
import NIOPosix

/// What a target answered: status, headers and the whole body (bounded).
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: Int, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var data: Data { Data(body.readableBytesView) }

    /// Where a 3xx points, for the error that reports it: `redirecting to <Location>`, or
    /// `without a Location`. The targets' client follows no redirects (``HTTPClient/forTargets(_:)``).
    public var redirectDescription: String {
        headers.first(name: "Location").map { "redirecting to \($0)" } ?? "without a Location"
    }

    /// The wait a 429 or 503 asked for, in seconds or as an HTTP date.
    public func retryAfter(now: Date) -> Duration? {
        headers.first(name: "Retry-After").flatMap { RetryAfter.parse($0, now: now) }
    }
}

/// Sends one request to a target with a deadline and turns transport failures into
/// ``ConnectorError``s: whether a failed request may have reached the target decides whether a
/// create must be looked up before it is repeated.
///
/// Status codes are the connector's business (each target means something different by a 404);
/// this type only moves bytes.
public struct HTTPTransport: Sendable {
    public static let maximumAnswerSize = 4 << 20

    private let client: HTTPClient
    private let timeout: Duration

    public init(client: HTTPClient, timeout: Duration) {
        self.client = client
        self.timeout = timeout
    }

    /// Sends the request within the current ``AttemptBudget``, if any: it starts only if it can
    /// finish before the attempt's deadline, and what it is answered counts for the target's health.
    public func send(_ request: HTTPClientRequest) async throws(ConnectorError) -> HTTPAnswer {
        let budget = AttemptBudget.current
        let isWrite = request.method != .GET && request.method != .HEAD
        // The path without its query: a query may carry a session token.
        let path = URL(string: request.url)?.path ?? "the target"
        let started = try await budget?.startRequest("\(request.method.rawValue) \(path)", isWrite: isWrite, timeout: timeout)
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout.timeInterval * 1_000)))
            let body = try await response.body.collect(upTo: Self.maximumAnswerSize)
            let answer = HTTPAnswer(status: Int(response.status.code), headers: response.headers, body: body)
            if let budget, let started {
                budget.finish(started, status: answer.status, retryAfter: answer.retryAfter(now: Date()))
            }
            return answer
        } catch {
            let failure = Self.classify(error, method: request.method)
            if let budget, let started {
                // A request cut short by our own shutdown says nothing about the target.
                let cancelled = Task.isCancelled || (error as? HTTPClientError) == .cancelled
                budget.finish(started, with: cancelled ? .none : failure.kind == .rejected ? .answered : .unwell)
            }
            throw failure
        }
    }

    /// Connection failures before the request left are safe to repeat; anything later may have
    /// reached the target (for a write: may have been committed there).
    public static func classify(_ error: any Error, method: HTTPMethod) -> ConnectorError {
        let wrote = method != .GET && method != .HEAD
        switch error {
        case let error as HTTPClientError where error == .connectTimeout:
            return .transient("could not connect to the target (timeout)")
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            return .transient("the target did not answer in time", mayHaveReachedTarget: wrote)
        case let error as HTTPClientError where error == .cancelled:
            return .transient("the request was cancelled", mayHaveReachedTarget: wrote)
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return .transient("the target closed the connection without answering", mayHaveReachedTarget: wrote)
        case is NIOConnectionError, is ChannelError:
            return .transient("could not connect to the target: \(type(of: error))")
        case let error as IOError where [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode):
            return .transient("could not connect to the target: \(String(cString: strerror(error.errnoCode)))")
        case let error as NIOTooManyBytesError:
            return .rejected("the target's answer is larger than \(maximumAnswerSize) bytes (\(error))")
        default:
            return .transient("the connection to the target failed: \(String(describing: error).prefix(200))", mayHaveReachedTarget: wrote)
        }
    }

    /// A JSON request body.
    public static func jsonBody<Body: Encodable>(_ body: Body, encoder: JSONEncoder) throws(ConnectorError) -> HTTPClientRequest.Body {
        do {
            return .bytes(ByteBuffer(bytes: try encoder.encode(body)))
        } catch {
            throw .config(setting: "request body", reason: "could not be encoded as JSON: \(error)")
        }
    }

    /// `value` escaped for a path segment.
    public static func pathComponent(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? value
    }

    /// `value` escaped for a query string.
    public static func queryValue(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }
}
