// A webhook target that answers the gateway's contract and does nothing else, as cheaply as it can.
//
//   POST /jobs      → 201 {"id":"<n>"}   (n counts up from 1)
//   PUT  /jobs/:id  → 200 {"id":":id"}
//   GET  /jobs      → 200 {"results":[],"next_page_token":null}
//
// Usage: noop-target [PORT]   (default 8089; listens on 127.0.0.1 only)

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

let arguments = CommandLine.arguments.dropFirst()
guard let port = arguments.first.map({ Int($0) }) ?? 8089, (1...65535).contains(port) else {
    print("usage: noop-target [PORT]   (PORT defaults to 8089)")
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
