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

    /// Returns once LISTEN is active (or after `firstListenTimeout` if the server cannot be
    /// reached yet: the stream then yields when listening begins).
    func wakeups() async -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let started = StartSignal()
        let listening = Task { [location, channel, logger] in
            await Self.listen(location: location, channel: channel, logger: logger, continuation: continuation, started: started)
            started.fire()
            continuation.finish()
        }
        continuation.onTermination = { _ in listening.cancel() }
        task.withLock { previous in
            previous?.cancel()
            previous = listening
        }
        await started.wait(atMost: Self.firstListenTimeout)
        return stream
    }

    static let firstListenTimeout = Duration.seconds(5)

    func close() {
        task.withLock { $0 }?.cancel()
    }

    private static func listen(
        location: PostgresLocation, channel: String, logger: Logger, continuation: AsyncStream<Void>.Continuation, started: StartSignal
    ) async {
        var pause = Duration.milliseconds(250)
        var failures = 0
        var listenedBefore = false
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
                    // Rings sent while nobody listened are lost: after a gap, look once.
                    if listenedBefore || !started.fire() { continuation.yield() }
                    listenedBefore = true
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

/// Fired once, when listening first begins (or the listener gives up); waited for with a limit.
private final class StartSignal: Sendable {
    private struct State {
        var fired = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Returns whether this call fired it (false when it had fired already, e.g. by the time limit).
    @discardableResult
    func fire() -> Bool {
        let (firstTime, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.fired else { return (false, nil) }
            state.fired = true
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume()
        return firstTime
    }

    func wait(atMost limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let firedAlready = self.state.withLock { state -> Bool in
                        guard !state.fired else { return true }
                        state.waiter = continuation
                        return false
                    }
                    if firedAlready { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                self.fire()
            }
            await group.next()
            group.cancelAll()
        }
    }
}
