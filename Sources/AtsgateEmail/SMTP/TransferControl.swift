import Foundation
import Synchronization

/// Lets the awaiting task stop a transfer running on another thread.
///
/// libcurl's progress callback sees the cancellation within a second in most phases, but libcurl
/// waits for the reply to the end of DATA (and to QUIT) in a blocking loop that calls no
/// callback. So the control also knows the connection's socket and shuts it down: the wait then
/// ends at once with an error. The socket is registered when libcurl creates it and removed,
/// under the same lock, before it is closed, so a descriptor number reused elsewhere is never touched.
final class TransferControl: Sendable {
    private struct State {
        var isCancelled = false
        var socket: Int32?
    }

    private let state = Mutex(State())

    var isCancelled: Bool {
        state.withLock { $0.isCancelled }
    }

    func cancel() {
        state.withLock { state in
            state.isCancelled = true
            if let socket = state.socket { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// Records libcurl's new socket; `false` when the transfer was cancelled already.
    func opened(_ socket: Int32) -> Bool {
        state.withLock { state in
            state.socket = socket
            return !state.isCancelled
        }
    }

    /// Forgets the socket, then closes it (libcurl leaves closing to us once it has a close callback).
    func close(_ socket: Int32) -> Int32 {
        state.withLock { state in
            if state.socket == socket { state.socket = nil }
        }
        return Foundation.close(socket)
    }
}
