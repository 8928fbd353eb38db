import AtsgateCore
import Foundation
import Hummingbird
import Logging

/// One structured line per request once it is answered: method, route, path (without the query),
/// status, duration and the API key's id. Never a body, a query string or a header's value.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - started
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)",
            "path": "\(request.uri.path)",
            "route": "\(context.endpointPath ?? "-")",
            "status": "\(response.status.code)",
            "duration_ms": "\(Self.milliseconds(elapsed))",
            "request_id": "\(context.id)",
        ]
        if let key = context.logger[metadataKey: "api_key"] { metadata["api_key"] = key }
        logger.info("request", metadata: metadata)
        return response
    }

    /// `12.34`: milliseconds with two decimals, without `String(format:)` (2.6 % of `serve`'s CPU under load).
    static func milliseconds(_ duration: Duration) -> String {
        let hundredths = Int((duration.timeInterval * 100_000).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// Ends a request whose handler takes longer than `timeout` with a 503. The handler's task is
/// cancelled; work it already handed to the database finishes or rolls back on its own.
struct RequestTimeout: Sendable {
    let timeout: Duration

    func run<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try await withThrowingTaskGroup(of: Value.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Problem(.serviceUnavailable, "the request took longer than \(timeout) and was given up", code: "timeout")
            }
            defer { group.cancelAll() }
            guard let value = try await group.next() else { throw CancellationError() }
            return value
        }
    }
}
