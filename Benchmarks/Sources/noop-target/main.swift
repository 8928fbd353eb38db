// A webhook target that answers the gateway's contract and does nothing else, as cheaply as it can.
//
//   POST /jobs      → 201 {"id":"<n>"}   (n counts up from 1)
//   PUT  /jobs/:id  → 200 {"id":":id"}
//   GET  /jobs      → 200 {"results":[],"next_page_token":null}
//
// Usage: noop-target [PORT]   (default 8089; listens on 127.0.0.1 only)

import Foundation
import Hummingbird
import Logging
import Synchronization

final class IDCounter: Sendable {
    private let value = Atomic<Int>(0)

    func next() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).newValue
    }
}

func jsonResponse(_ status: HTTPResponse.Status, _ text: String) -> Response {
    Response(
        status: status,
        headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: text))
    )
}

func makeRouter() -> Router<BasicRequestContext> {
    let ids = IDCounter()
    let emptyPage = #"{"results":[],"next_page_token":null}"#
    let router = Router()
    router.post("jobs") { request, _ -> Response in
        _ = try await request.body.collect(upTo: 1 << 20)
        return jsonResponse(.created, #"{"id":"\#(ids.next())"}"#)
    }
    router.put("jobs/:id") { request, context -> Response in
        _ = try await request.body.collect(upTo: 1 << 20)
        let id = context.parameters.get("id") ?? ""
        return jsonResponse(.ok, #"{"id":"\#(id)"}"#)
    }
    router.get("jobs") { _, _ -> Response in
        jsonResponse(.ok, emptyPage)
    }
    return router
}

/// The port from the first argument, 8089 without one, `nil` for anything but a port number.
func port(from arguments: [String]) -> Int? {
    guard let text = arguments.dropFirst().first else { return 8089 }
    guard let port = Int(text), (1...65535).contains(port) else { return nil }
    return port
}

guard let port = port(from: CommandLine.arguments) else {
    FileHandle.standardError.write(Data("usage: noop-target [PORT]   (PORT defaults to 8089)\n".utf8))
    exit(64)
}

var logger = Logger(label: "noop-target")
logger.logLevel = .critical
let app = Application(
    router: makeRouter(),
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "noop-target"),
    logger: logger
)
try await app.runService()
