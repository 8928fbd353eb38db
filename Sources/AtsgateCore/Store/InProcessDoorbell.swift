import Synchronization

/// Wakes the workers of this process only: for a store that no other process can reach (an
/// in-memory database in tests and benchmarks).
public final class InProcessDoorbell: WakeupNotifier, Sendable {
    private let listeners = Mutex<[ObjectIdentifier: AsyncStream<Void>.Continuation]>([:])

    public init() {}

    public func notifyWorkers() {
        for continuation in listeners.withLock({ Array($0.values) }) { continuation.yield() }
    }

    /// A listener that hears every later ring of this doorbell.
    public func listener() -> any WakeupListener {
        Listener(doorbell: self)
    }

    private final class Listener: WakeupListener {
        let doorbell: InProcessDoorbell
        let stream: AsyncStream<Void>

        init(doorbell: InProcessDoorbell) {
            self.doorbell = doorbell
            let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            self.stream = stream
            doorbell.listeners.withLock { $0[ObjectIdentifier(self)] = continuation }
        }

        deinit { close() }

        func wakeups() -> AsyncStream<Void> { stream }

        func close() {
            doorbell.listeners.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) }?.finish()
        }
    }
}
