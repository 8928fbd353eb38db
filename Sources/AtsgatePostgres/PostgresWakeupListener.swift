import AtsgateCore
import Logging
import PostgresNIO
import Synchronization

/// Hears the store's NOTIFYs on a connection of its own (LISTEN needs a session, so not a pooled
/// connection, nor a transaction-mode pooler), from every node using the schema.
///
/// When the connection drops it reconnects with a growing pause (0.25 s to 5 s) and logs it. Each
/// time it starts listening, it also yields once: rings sent while nobody listened are lost, and
/// the worker should look. The worker's polling remains the safety net.
final class PostgresWakeupListener: WakeupListener {
    private let location: PostgresLocation
    private let channel: String
    private let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(location: PostgresLocation, channel: String, logger: Logger) {
        self.location = location
        self.channel = channel
        self.logger = logger
    }

    deinit { close() }

    func wakeups() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let listening = Task { [location, channel, logger] in
            await Self.listen(location: location, channel: channel, logger: logger, continuation: continuation)
            continuation.finish()
        }
        continuation.onTermination = { _ in listening.cancel() }
        task.withLock { previous in
            previous?.cancel()
            previous = listening
        }
        return stream
    }

    func close() {
        task.withLock { $0 }?.cancel()
    }

    private static func listen(
        location: PostgresLocation, channel: String, logger: Logger, continuation: AsyncStream<Void>.Continuation
    ) async {
        var pause = Duration.milliseconds(250)
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 1, logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: channel) { notifications in
                    if failures > 0 {
                        logger.notice("listening for wake-ups again", metadata: ["server": "\(location.server)"])
                    }
                    failures = 0
                    pause = .milliseconds(250)
                    continuation.yield()
                    for try await _ in notifications {
                        continuation.yield()
                    }
                }
            } catch {
                guard !Task.isCancelled else { return }
                failures += 1
                logger.warning(
                    "lost the wake-up connection; reconnecting",
                    metadata: ["server": "\(location.server)", "error": "\(PostgresFailure.describe(error))", "retry_in": "\(pause)"]
                )
            }
            guard !Task.isCancelled else { return }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }
}
