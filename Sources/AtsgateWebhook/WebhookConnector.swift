public import AsyncHTTPClient
public import AtsgateCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Delivers jobs to a generic JSON endpoint (`kind: webhook`).
///
/// The contract (README, "The webhook target"):
/// - create: `POST {url}` with the job document → 2xx `{"id": "…"}`;
/// - update and close: `PUT {url}/{id}` with the job document (`"operation"` says which);
/// - lookup by marker: `GET {url}?marker=…` → `{"results": [{"id", "marker", "open"}]}`;
/// - listing: `GET {url}?page_token=…` → `{"results": […], "next_page_token": "…" | null}`.
/// Every request has a deadline; a create whose outcome is unknown is looked up by marker first.
public struct WebhookConnector: Connector {
    public let target: TargetName
    public let capabilities: ConnectorCapabilities = .ats

    private let collectionURL: String
    private let token: String?
    private let timeout: Duration
    private let client: HTTPClient

    /// - Parameter token: the bearer token's value, read from the environment by the caller.
    public init(target: TargetName, settings: TargetConfiguration.WebhookSettings, token: String?, timeout: Duration, client: HTTPClient) {
        self.target = target
        self.collectionURL = settings.url.hasSuffix("/") ? String(settings.url.dropLast()) : settings.url
        self.token = token
        self.timeout = timeout
        self.client = client
    }

    public func submit(_ request: SubmissionRequest) async throws(ConnectorError) -> SubmissionReceipt {
        let document = WebhookJobDocument(request)
        switch request.operation {
        case .create:
            if request.outcomeOfEarlierAttemptUnknown, let existing = try await findJobs(carrying: request.snapshot.marker).first {
                return SubmissionReceipt(externalID: existing.remoteID, adoptedExisting: true, summary: "adopted remote job \(existing.remoteID)")
            }
            let (status, body) = try await send(.POST, collectionURL, body: document, idempotencyKey: request.snapshot.marker.description)
            let created: WebhookCreated = try decode(body, status: status, what: "create")
            guard let id = created.id?.value, !id.isEmpty else {
                throw .rejected("the target answered \(status) without an id", httpStatus: status)
            }
            return SubmissionReceipt(externalID: id, httpStatus: status, summary: "created remote job \(id)")
        case .update, .close:
            guard let id = request.externalID else {
                throw .mapping(field: "external_id", job: request.snapshot.job.id, reason: "an \(request.operation.rawValue) needs the remote id from the create")
            }
            let (status, _) = try await send(.PUT, "\(collectionURL)/\(Self.pathComponent(id))", body: document, idempotencyKey: nil)
            return SubmissionReceipt(externalID: id, httpStatus: status, summary: "\(request.operation.rawValue)d remote job \(id)")
        }
    }

    public func findJobs(carrying marker: JobMarker) async throws(ConnectorError) -> [RemoteJob] {
        let (status, body) = try await send(.GET, "\(collectionURL)?marker=\(Self.queryValue(marker.description))", body: Optional<WebhookJobDocument>.none, idempotencyKey: nil)
        let page: WebhookPage = try decode(body, status: status, what: "lookup")
        return page.results.map(\.remoteJob).filter { $0.marker == marker }
    }

    public func listJobs(page token: RemotePageToken?) async throws(ConnectorError) -> RemoteJobPage {
        let url = token.map { "\(collectionURL)?page_token=\(Self.queryValue($0.value))" } ?? collectionURL
        let (status, body) = try await send(.GET, url, body: Optional<WebhookJobDocument>.none, idempotencyKey: nil)
        let page: WebhookPage = try decode(body, status: status, what: "listing")
        return RemoteJobPage(jobs: page.results.map(\.remoteJob), next: page.nextPageToken.map(RemotePageToken.init))
    }

    // MARK: - HTTP

    private func send<Body: Encodable>(_ method: HTTPMethod, _ url: String, body: Body?, idempotencyKey: String?) async throws(ConnectorError) -> (Int, ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            do {
                request.body = .bytes(ByteBuffer(bytes: try WebhookJobDocument.encoder.encode(body)))
            } catch {
                throw .mapping(field: "document", job: "?", reason: "could not be encoded as JSON")
            }
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .milliseconds(Int64(timeout.timeInterval * 1_000)))
            bytes = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw Self.classify(error, method: method)
        }
        let status = Int(response.status.code)
        switch status {
        case 200..<300:
            return (status, bytes)
        case 401, 403:
            throw .auth("the target refused the credentials (\(status))", httpStatus: status)
        case 408, 500...:
            throw .transient("the target answered \(status)", httpStatus: status, mayHaveReachedTarget: method != .GET)
        case 429:
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { RetryAfter.parse($0, now: Date()) }
            throw .rateLimited("the target asked us to slow down (429)", retryAfter: retryAfter)
        default:
            throw .rejected("the target refused the request (\(status)): \(Self.reason(in: bytes))", httpStatus: status)
        }
    }

    private func decode<Value: Decodable>(_ bytes: ByteBuffer, status: Int, what: String) throws(ConnectorError) -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: Data(bytes.readableBytesView))
        } catch {
            throw .rejected("the target's \(what) answer (\(status)) is not the expected JSON", httpStatus: status)
        }
    }

    /// Connection failures before the request left are safe to repeat; anything later may have reached the target.
    static func classify(_ error: any Error, method: HTTPMethod) -> ConnectorError {
        let sent = method != .GET
        switch error {
        case let error as HTTPClientError where error == .connectTimeout:
            return .transient("could not connect to the target (timeout)")
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            return .transient("the target did not answer in time", mayHaveReachedTarget: sent)
        case let error as HTTPClientError where error == .cancelled:
            return .transient("the request was cancelled", mayHaveReachedTarget: sent)
        case is NIOConnectionError, is ChannelError:
            return .transient("could not connect to the target: \(type(of: error))")
        case let error as IOError where [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode):
            return .transient("could not connect to the target: \(String(cString: strerror(error.errnoCode)))")
        default:
            return .transient("the connection to the target failed: \(String(describing: error).prefix(200))", mayHaveReachedTarget: sent)
        }
    }

    /// The target's own reason, from `{"error": "…"}` or `{"message": "…"}`, shortened.
    static func reason(in bytes: ByteBuffer) -> String {
        let data = Data(bytes.readableBytesView)
        if let object = try? JSONDecoder().decode([String: WebhookScalar].self, from: data),
           let reason = object["error"]?.value ?? object["message"]?.value {
            return String(reason.prefix(300))
        }
        return data.isEmpty ? "no reason given" : "no JSON reason given"
    }

    static func pathComponent(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? id
    }

    static func queryValue(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }
}
