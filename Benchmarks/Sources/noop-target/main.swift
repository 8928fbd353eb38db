// A webhook target that answers the gateway's contract and does nothing else, as cheaply as it can.
//
//   POST /jobs      → 201 {"id":"<n>"}   (n counts up from 1)
//   PUT  /jobs/:id  → 200 {"id":":id"}
//   GET  /jobs      → 200 {"results":[],"next_page_token":null}
//   anything else   → 404, empty body
//
// Usage: noop-target [PORT]   (default 8089; listens on 127.0.0.1 only)
//
// Plain SwiftNIO on one event loop thread, with a single handler (NoopHTTPHandler.swift), so that
// the CPU it takes per request is as little as it can be: it shares the machine with the gateway.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// The port from the first argument, 8089 without one, `nil` for anything but a port number.
func port(from arguments: [String]) -> Int? {
    guard let text = arguments.dropFirst().first else { return 8089 }
    guard let port = Int(text), (1...65535).contains(port) else { return nil }
    return port
}

/// Serves on 127.0.0.1:`port` until the process is stopped.
func serve(port: Int) throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let ids = IDCounter()
    let constants = ConstantResponses()
    let bootstrap = ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 256)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                try pipeline.addHandler(NoopHTTPHandler(ids: ids, constants: constants))
            }
        }
    let server = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
    try server.closeFuture.wait()
}

func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// A child spawned by `dispatch-benchmark` (Foundation's `Process`) inherits the spawning thread's
/// signal mask, which blocks SIGTERM; with the default action and no handler, it would never stop.
func unblockStopSignals() {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGTERM)
    sigaddset(&signals, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
}

unblockStopSignals()

guard let port = port(from: CommandLine.arguments) else {
    printError("usage: noop-target [PORT]   (PORT defaults to 8089)")
    exit(64)
}

do {
    try serve(port: port)
} catch {
    printError("noop-target: cannot serve on 127.0.0.1:\(port): \(error)")
    exit(1)
}
