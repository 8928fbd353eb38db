// The one handler behind NIO's HTTP/1.1 server pipeline: it routes on the request head, drops the
// body, and answers on `.end` with head + body + end in a single flush.

import NIOCore
import NIOHTTP1
import Synchronization

/// Hands out the ids of `POST /jobs`, counting up from 1, shared by every connection.
final class IDCounter: Sendable {
    private let value = Atomic<Int>(0)

    func next() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).newValue
    }
}

/// The parts of the answers that never change, made once and shared by every connection.
struct ConstantResponses: Sendable {
    /// `GET /jobs` on an HTTP/1.1 keep-alive connection: the whole head, ready to write.
    let pageHead: HTTPResponseHead
    let pageBody: ByteBuffer
    /// Anything else, on an HTTP/1.1 keep-alive connection.
    let notFoundHead: HTTPResponseHead

    init() {
        let page = #"{"results":[],"next_page_token":null}"#
        pageBody = ByteBuffer(string: page)
        pageHead = HTTPResponseHead(
            version: .http1_1,
            status: .ok,
            headers: ["Content-Type": "application/json", "Content-Length": String(page.utf8.count)]
        )
        notFoundHead = HTTPResponseHead(version: .http1_1, status: .notFound, headers: ["Content-Length": "0"])
    }
}

final class NoopHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Route {
        case create
        case update(id: Substring)
        case list
        case notFound
    }

    private let ids: IDCounter
    private let constants: ConstantResponses
    private var route = Route.notFound
    private var version = HTTPVersion.http1_1
    private var keepAlive = true

    init(ids: IDCounter, constants: ConstantResponses) {
        self.ids = ids
        self.constants = constants
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            route = Self.route(method: head.method, uri: head.uri)
            version = head.version
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            respond(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// `/jobs` (any query) for POST and GET, `/jobs/<id>` (one non-empty segment) for PUT.
    private static func route(method: HTTPMethod, uri: String) -> Route {
        let path = uri.utf8.firstIndex(of: UInt8(ascii: "?")).map { uri[..<$0] } ?? uri[...]
        switch method {
        case .POST where path.utf8.elementsEqual("/jobs".utf8):
            return .create
        case .GET where path.utf8.elementsEqual("/jobs".utf8):
            return .list
        case .PUT where path.utf8.starts(with: "/jobs/".utf8):
            let id = path[path.utf8.index(path.startIndex, offsetBy: "/jobs/".utf8.count)...]
            guard !id.isEmpty, !id.utf8.contains(UInt8(ascii: "/")) else { return .notFound }
            return .update(id: id)
        default:
            return .notFound
        }
    }

    private func respond(context: ChannelHandlerContext) {
        let standard = keepAlive && version == .http1_1
        switch route {
        case .create:
            var body = context.channel.allocator.buffer(capacity: 32)
            body.writeStaticString(#"{"id":""#)
            body.writeString(String(ids.next()))
            body.writeStaticString(#""}"#)
            write(context: context, head: jsonHead(status: .created, body: body), body: body)
        case .update(let id):
            var body = context.channel.allocator.buffer(capacity: id.utf8.count + 16)
            body.writeStaticString(#"{"id":""#)
            Self.writeJSONEscaped(id, to: &body)
            body.writeStaticString(#""}"#)
            write(context: context, head: jsonHead(status: .ok, body: body), body: body)
        case .list:
            let head = standard ? constants.pageHead : adjusted(constants.pageHead)
            write(context: context, head: head, body: constants.pageBody)
        case .notFound:
            let head = standard ? constants.notFoundHead : adjusted(constants.notFoundHead)
            write(context: context, head: head, body: nil)
        }
        route = .notFound
    }

    private func jsonHead(status: HTTPResponseStatus, body: ByteBuffer) -> HTTPResponseHead {
        let head = HTTPResponseHead(
            version: .http1_1,
            status: status,
            headers: ["Content-Type": "application/json", "Content-Length": String(body.readableBytes)]
        )
        return keepAlive && version == .http1_1 ? head : adjusted(head)
    }

    /// The head for anything but HTTP/1.1 keep-alive: the request's version, and a `Connection` header
    /// saying what happens next (close, or keep-alive for an HTTP/1.0 client that asked for it).
    private func adjusted(_ head: HTTPResponseHead) -> HTTPResponseHead {
        var head = head
        head.version = version
        head.headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        return head
    }

    private func write(context: ChannelHandlerContext, head: HTTPResponseHead, body: ByteBuffer?) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let loopBoundContext = context.loopBound
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                loopBoundContext.value.close(promise: nil)
            }
        }
    }

    /// Writes the id as the inside of a JSON string: `"`, `\` and control bytes escaped, the rest as is.
    private static func writeJSONEscaped(_ text: Substring, to buffer: inout ByteBuffer) {
        func needsEscape(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20
        }
        guard text.utf8.contains(where: needsEscape) else {
            buffer.writeSubstring(text)
            return
        }
        let hex: StaticString = "0123456789abcdef"
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                buffer.writeInteger(UInt8(ascii: "\\"))
                buffer.writeInteger(byte)
            } else if byte < 0x20 {
                buffer.writeStaticString("\\u00")
                hex.withUTF8Buffer { digits in
                    buffer.writeInteger(digits[Int(byte >> 4)])
                    buffer.writeInteger(digits[Int(byte & 0x0f)])
                }
            } else {
                buffer.writeInteger(byte)
            }
        }
    }
}
