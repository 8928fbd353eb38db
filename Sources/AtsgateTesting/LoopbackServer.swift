import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// Runs a Hummingbird router on 127.0.0.1 with a port the kernel picks, for as long as `body` runs.
///
/// The server is stopped with a graceful shutdown, not by cancelling its task: cancelling tore
/// down connections mid-stream, and NIO traps on a writer that was never finished.
enum LoopbackServer {
    /// How long open connections get to finish after `body` returns.
    static let shutdownGrace: Duration = .seconds(5)

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
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            let result: Swift.Result<Result, any Error>
            var iterator = ports.makeAsyncIterator()
            if let port = await iterator.next(), port > 0 {
                do {
                    result = .success(try await body(port))
                } catch {
                    result = .failure(error)
                }
            } else {
                result = .failure(CancellationError())
            }
            await services.triggerGracefulShutdown()
            group.addTask {
                try await Task.sleep(for: shutdownGrace)
                throw CancellationError()
            }
            // The server's task ends first unless a connection outlives the grace; then it is cancelled.
            _ = try? await group.next()
            group.cancelAll()
            return try result.get()
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
