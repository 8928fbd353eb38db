import AsyncHTTPClient
import AtsgateCore
import AtsgateHTTP
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends ``PlannedRequest``s below a session's `restUrl` and reads the answers (ATS_APIS.md B1,
/// B6, B7): `BhRestToken` in a header (never in the URL), JSON bodies, statuses mapped to error kinds.
///
/// - 401 (bad or timed-out session) and 412 (no session): the session is renewed once and the
///   request sent again — Bullhorn refused it before doing anything. A second refusal is `auth`.
/// - 429: `rate_limited`. Bullhorn sends no Retry-After and documents "wait 1 second then retry",
///   so the first 429 in a row asks for 1 s; further ones in a row leave the wait to the
///   dispatcher's backoff (which also pauses the target and halves its send rate).
/// - 400 and other 4xx: `rejected`, with Bullhorn's message and every property its `errors[]` names.
/// - 408, 5xx (503 is maintenance): `transient`; a write may have been stored (B7).
struct BullhornAPI: Sendable {
    let keeper: BullhornSessionKeeper
    let transport: HTTPTransport
    private let rateLimitStreak = RateLimitStreak()

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    init(keeper: BullhornSessionKeeper, transport: HTTPTransport) {
        self.keeper = keeper
        self.transport = transport
    }

    /// The answer's JSON; `null` for an empty body.
    func send(_ planned: PlannedRequest) async throws(ConnectorError) -> (status: Int, json: JSONValue) {
        var session = try await keeper.session()
        var answer = try await perform(planned, in: session)
        if answer.status == 401 || answer.status == 412 {
            session = try await keeper.renew(replacing: session.restToken)
            answer = try await perform(planned, in: session)
        }
        return try read(answer, of: planned)
    }

    private func perform(_ planned: PlannedRequest, in session: BullhornSession) async throws(ConnectorError) -> HTTPAnswer {
        let path = planned.path.hasPrefix("/") ? String(planned.path.dropFirst()) : planned.path
        var request = HTTPClientRequest(url: session.restURL + path)
        request.method = HTTPMethod(rawValue: planned.method)
        request.headers.add(name: "BhRestToken", value: session.restToken)
        request.headers.add(name: "Accept", value: "application/json")
        if let body = planned.body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = try HTTPTransport.jsonBody(body, encoder: Self.encoder)
        }
        return try await transport.send(request)
    }

    private func read(_ answer: HTTPAnswer, of planned: PlannedRequest) throws(ConnectorError) -> (status: Int, json: JSONValue) {
        let wrote = planned.method != "GET"
        let what = "\(planned.method) \(Self.pathWithoutQuery(planned.path))"
        if answer.status != 429 { rateLimitStreak.reset() }
        switch answer.status {
        case 200..<300:
            guard !answer.body.readableBytesView.isEmpty else { return (answer.status, .null) }
            guard let json = JSONValue.parse(answer.data) else {
                throw .init(
                    kind: .rejected, message: "Bullhorn answered \(what) with \(answer.status) and a body that is not JSON",
                    httpStatus: answer.status, mayHaveReachedTarget: wrote
                )
            }
            return (answer.status, json)
        case 401, 412:
            throw .auth("Bullhorn refused a freshly renewed session for \(what) (\(answer.status)): \(BullhornErrorBody(answer.data).reason)", httpStatus: answer.status)
        case 429:
            let first = rateLimitStreak.record() == 1
            let wait = answer.retryAfter(now: Date()) ?? (first ? .seconds(1) : nil)
            throw .rateLimited("Bullhorn asked us to slow down (429): \(BullhornErrorBody(answer.data).reason)", retryAfter: wait)
        case 408, 500...:
            throw .transient(
                "Bullhorn answered \(what) with \(answer.status): \(BullhornErrorBody(answer.data).reason)",
                httpStatus: answer.status, mayHaveReachedTarget: wrote
            )
        case 300..<400:
            throw .config(setting: "login_info_url", reason: "Bullhorn answered \(what) with \(answer.status): the session's restUrl is at the wrong data center")
        default:
            throw .rejected("Bullhorn refused \(what) (\(answer.status)): \(BullhornErrorBody(answer.data).reason)", httpStatus: answer.status)
        }
    }

    static func pathWithoutQuery(_ path: String) -> String {
        path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
    }
}

/// 429s in a row at one target, across deliveries: the first waits Bullhorn's documented second,
/// the rest back off.
private final class RateLimitStreak: Sendable {
    private let count = Mutex(0)

    /// Counts a 429 and returns how many came in a row.
    func record() -> Int {
        count.withLock { count in
            count += 1
            return count
        }
    }

    func reset() {
        count.withLock { $0 = 0 }
    }
}

/// Bullhorn's error body (B7): `{"errorMessage", "errorMessageKey", "errorCode", "errors": [{"propertyName",
/// "severity", "type", "detailMessage"}], "entityName"}`, as one line that names every property.
struct BullhornErrorBody: Sendable {
    var message: String?
    var key: String?
    var properties: [String]
    var reason: String

    init(_ data: Data) {
        let json = JSONValue.parse(data)
        message = json?["errorMessage"]?.text
        key = json?["errorMessageKey"]?.text
        let errors = json?["errors"]?.array ?? []
        properties = errors.compactMap { $0["propertyName"]?.text }
        let details = errors.compactMap { error -> String? in
            let detail = error["detailMessage"]?.text ?? error["type"]?.text
            switch (error["propertyName"]?.text, detail) {
            case let (name?, detail?): return "\(name): \(detail)"
            case let (name?, nil): return name
            case let (nil, detail?): return detail
            case (nil, nil): return nil
            }
        }
        var parts: [String] = []
        if let message { parts.append(message) }
        if !details.isEmpty { parts.append(details.joined(separator: "; ")) }
        if parts.isEmpty { parts.append(json == nil ? (data.isEmpty ? "no reason given" : "no JSON reason given") : "no reason given") }
        reason = String(parts.joined(separator: " — ").prefix(500))
    }
}
