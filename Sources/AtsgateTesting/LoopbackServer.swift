import Hummingbird
import Logging
import Synchronization

/// Runs a Hummingbird router on 127.0.0.1 with a port the kernel picks, for as long as `body` runs.
enum LoopbackServer {
    static func withRunning<Context: RequestContext, Result: Sendable>(
        _ router: Router<Context>,
        label: String,
        _ body: @Sendable (_ port: Int) async throws -> Result
    ) async throws -> Result where Context.Source == ApplicationRequestContextSource {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: label)
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw CancellationError() }
            return try await body(port)
        }
    }
}

/// A value that exists only once the server's port is known; routes reach it through this box.
final class LateBound<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    func set(_ newValue: Value) { value.withLock { $0 = newValue } }

    var current: Value {
        get throws {
            guard let current = value.withLock({ $0 }) else { throw HTTPError(.serviceUnavailable) }
            return current
        }
    }
}
