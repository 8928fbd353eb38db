public import AtsgateCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Wakes workers on the same machine the moment work is committed, for the SQLite store.
///
/// Each listening worker owns a named pipe in `<database>-wakeup/`; a notifier writes one byte
/// to every pipe there. Pipes whose reader died (`ENXIO`) are removed by the next notifier.
/// Missing a ring costs at most one poll interval: the worker polls the store as well.
/// (The PostgreSQL store uses LISTEN/NOTIFY instead.)
public final class FIFODoorbell: WakeupNotifier, WakeupListener {
    public let directory: String

    private struct Listening {
        var path: String
        var descriptor: Int32
        var closed = false
    }

    private let listening = Mutex<Listening?>(nil)

    public init(databasePath: String) {
        self.directory = databasePath + "-wakeup"
    }

    public func notifyWorkers() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasSuffix(".fifo") {
            let path = directory + "/" + name
            let descriptor = open(path, O_WRONLY | O_NONBLOCK)
            guard descriptor >= 0 else {
                if errno == ENXIO { unlink(path) }
                continue
            }
            var byte: UInt8 = 1
            _ = write(descriptor, &byte, 1)
            Glibc.close(descriptor)
        }
    }

    /// Creates this worker's pipe and yields once per ring (rings close together coalesce).
    public func wakeups() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/\(getpid())-\(UInt32.random(in: 0...UInt32.max)).fifo"
        guard mkfifo(path, 0o600) == 0 else {
            continuation.finish()
            return stream
        }
        // Read-write, so the pipe never reports end-of-file while no notifier has it open.
        let descriptor = open(path, O_RDWR)
        guard descriptor >= 0 else {
            unlink(path)
            continuation.finish()
            return stream
        }
        listening.withLock { $0 = Listening(path: path, descriptor: descriptor) }
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                let closed = self.listening.withLock { $0?.closed ?? true }
                if closed || (count < 0 && errno != EINTR) { break }
                if count > 0 { continuation.yield() }
            }
            continuation.finish()
            Glibc.close(descriptor)
        }
        thread.name = "atsgate-doorbell"
        thread.start()
        return stream
    }

    /// Stops listening and removes this worker's pipe.
    public func close() {
        let state = listening.withLock { state -> Listening? in
            guard var current = state, !current.closed else { return nil }
            current.closed = true
            state = current
            return current
        }
        guard let state else { return }
        unlink(state.path)
        var byte: UInt8 = 0
        _ = write(state.descriptor, &byte, 1)
    }
}
