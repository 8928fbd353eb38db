public import AsyncHTTPClient
public import AtsgateCore
import AtsgateHTTP
import Foundation
import NIOCore
import NIOHTTP1

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
    private let token: Secret?
    private let transport: HTTPTransport

    /// - Parameter token: the bearer token's value, read from the environment by the caller.
    public init(target: TargetName, settings: TargetConfiguration.WebhookSettings, token: Secret?, timeout: Duration, client: HTTPClient) {
        self.target = target
        self.collectionURL = settings.url.hasSuffix("/") ? String(settings.url.dropLast()) : settings.url
        self.token = token
        self.transport = HTTPTransport(client: client, timeout: timeout)
    }

    public func submit(_ request: SubmissionRequest) async throws(ConnectorError) -> SubmissionReceipt {
        let document = WebhookJobDocument(request)
        switch request.operation {
        case .create:
            if request.outcomeOfEarlierAttemptUnknown, let existing = try await findJobs(carrying: request.snapshot.marker).first {
                return SubmissionReceipt(externalID: existing.remoteID, adoptedExisting: true, summary: "adopted remote job \(existing.remoteID)")
            }
            let (status, body) = try await send(.POST, collectionURL, body: document.json, idempotencyKey: request.snapshot.marker.description)
            let created: WebhookCreated = try decode(body, status: status, what: "create")
            guard let id = created.id?.value, !id.isEmpty else {
                throw .rejected("the target answered \(status) without an id", httpStatus: status)
            }
            return SubmissionReceipt(externalID: id, httpStatus: status, summary: "created remote job \(id)")
        case .update, .close:
            guard let id = request.externalID else {
                throw .mapping(field: "external_id", job: request.snapshot.job.id, reason: "an \(request.operation.rawValue) needs the remote id from the create")
            }
            let (status, _) = try await send(.PUT, "\(collectionURL)/\(HTTPTransport.pathComponent(id))", body: document.json, idempotencyKey: nil)
            return SubmissionReceipt(externalID: id, httpStatus: status, summary: "\(request.operation.rawValue)d remote job \(id)")
        }
    }

    public func findJobs(carrying marker: JobMarker) async throws(ConnectorError) -> [RemoteJob] {
        let (status, body) = try await send(.GET, "\(collectionURL)?marker=\(HTTPTransport.queryValue(marker.description))", body: nil, idempotencyKey: nil)
        let page: WebhookPage = try decode(body, status: status, what: "lookup")
        return page.results.map(\.remoteJob).filter { $0.marker == marker }
    }

    /// The first page of the listing: a read that needs the token (if any) and changes nothing.
    public func checkConnection() async throws(ConnectorError) -> String {
        let page = try await listJobs(page: nil)
        return "\(collectionURL) answers; \(page.jobs.count) job(s) on its first page"
    }

    public func listJobs(page token: RemotePageToken?) async throws(ConnectorError) -> RemoteJobPage {
        let url = token.map { "\(collectionURL)?page_token=\(HTTPTransport.queryValue($0.value))" } ?? collectionURL
        let (status, body) = try await send(.GET, url, body: nil, idempotencyKey: nil)
        let page: WebhookPage = try decode(body, status: status, what: "listing")
        return RemoteJobPage(jobs: page.results.map(\.remoteJob), next: page.nextPageToken.map(RemotePageToken.init))
    }

    // MARK: - HTTP

    private func send(_ method: HTTPMethod, _ url: String, body: ByteBuffer?, idempotencyKey: String?) async throws(ConnectorError) -> (Int, ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token.value)") }
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let answer = try await transport.send(request)
        switch answer.status {
        case 200..<300:
            return (answer.status, answer.body)
        case 401, 403:
            throw .auth("the target refused the credentials (\(answer.status))", httpStatus: answer.status)
        case 300..<400:
            throw .config(setting: "url", reason: "the target answered \(answer.status), \(answer.redirectDescription): atsgate does not follow redirects; set url to the address the target wants")
        case 408, 500...:
            throw .transient("the target answered \(answer.status)", httpStatus: answer.status, mayHaveReachedTarget: method != .GET)
        case 429:
            throw .rateLimited("the target asked us to slow down (429)", retryAfter: answer.retryAfter(now: Date()))
        default:
            throw .rejected("the target refused the request (\(answer.status)): \(Self.reason(in: answer.body))", httpStatus: answer.status)
        }
    }

    private func decode<Value: Decodable>(_ bytes: ByteBuffer, status: Int, what: String) throws(ConnectorError) -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: Data(bytes.readableBytesView))
        } catch {
            throw .rejected("the target's \(what) answer (\(status)) is not the expected JSON", httpStatus: status)
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
}
