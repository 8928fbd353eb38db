import AsyncHTTPClient
import AtsgateCore
import AtsgateHTTP
import Foundation
import NIOCore
import NIOHTTP1

/// Sends ``PlannedRequest``s to one Loxo agency and reads the answers (ATS_APIS.md A1, A6, A7):
/// a bearer API key, the agency slug in the path, JSON bodies; statuses mapped to error kinds.
struct LoxoAPI: Sendable {
    /// `https://app.loxo.co/api/{agency_slug}`.
    let agencyURL: String
    let agencySlug: String
    let apiKey: Secret?
    /// The environment variable the key comes from, named in errors (never the key itself).
    let apiKeyVariable: String
    let transport: HTTPTransport

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    init(settings: TargetConfiguration.LoxoSettings, apiKey: Secret?, transport: HTTPTransport) {
        let base = settings.baseURL.hasSuffix("/") ? String(settings.baseURL.dropLast()) : settings.baseURL
        agencyURL = "\(base)/api/\(HTTPTransport.pathComponent(settings.agencySlug))"
        agencySlug = settings.agencySlug
        self.apiKey = apiKey
        apiKeyVariable = settings.apiKeyEnvironmentVariable
        self.transport = transport
    }

    /// The answer's JSON; `null` for an empty body.
    func send(_ planned: PlannedRequest) async throws(ConnectorError) -> (status: Int, json: JSONValue) {
        guard let apiKey, !apiKey.value.isEmpty else {
            throw .config(setting: "api_key_env", reason: "the environment variable \(apiKeyVariable) holding the Loxo API key is not set")
        }
        let method = HTTPMethod(rawValue: planned.method)
        var request = HTTPClientRequest(url: agencyURL + planned.path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey.value)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body = planned.body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = try HTTPTransport.jsonBody(body, encoder: Self.encoder)
        }
        let answer = try await transport.send(request)
        let wrote = planned.method != "GET"
        let what = "\(planned.method) \(Self.pathWithoutQuery(planned.path))"
        switch answer.status {
        case 200..<300:
            guard !answer.body.readableBytesView.isEmpty else { return (answer.status, .null) }
            guard let json = JSONValue.parse(answer.data) else {
                throw .init(
                    kind: .rejected, message: "Loxo answered \(what) with \(answer.status) and a body that is not JSON",
                    httpStatus: answer.status, mayHaveReachedTarget: wrote
                )
            }
            return (answer.status, json)
        case 401:
            throw .auth("Loxo refused the API key from \(apiKeyVariable) (401)", httpStatus: 401)
        case 403:
            throw .auth("Loxo's API key from \(apiKeyVariable) lacks permission for \(what) (403)", httpStatus: 403)
        case 404 where Self.addressesOneRecord(planned.path):
            throw .rejected("Loxo has no such record for \(what) (404): deleted or merged at Loxo?", httpStatus: 404)
        case 404:
            throw .config(setting: "agency_slug", reason: "Loxo answered 404 for \(what): no agency '\(agencySlug)' at \(agencyURL)")
        case 300..<400:
            throw .config(setting: "base_url", reason: "Loxo answered \(what) with \(answer.status), \(answer.redirectDescription): atsgate does not follow redirects; check base_url")
        case 429:
            throw .rateLimited("Loxo asked us to slow down (429)", retryAfter: answer.retryAfter(now: Date()))
        case 408, 500...:
            throw .transient("Loxo answered \(what) with \(answer.status)", httpStatus: answer.status, mayHaveReachedTarget: wrote)
        default:
            throw .rejected("Loxo refused \(what) (\(answer.status)): \(Self.reason(in: answer.data))", httpStatus: answer.status)
        }
    }

    /// The reason in an error body: `{"errors": […]}`, `{"error": "…"}` or `{"message": "…"}`.
    static func reason(in data: Data) -> String {
        guard let json = JSONValue.parse(data) else { return data.isEmpty ? "no reason given" : "no JSON reason given" }
        if let errors = json["errors"]?.array {
            return String(errors.compactMap(\.text).joined(separator: "; ").prefix(300))
        }
        if let errors = json["errors"]?.object {
            return String(errors.map { field, value in "\(field) \(value.array?.compactMap(\.text).joined(separator: ", ") ?? value.text ?? "is invalid")" }
                .sorted().joined(separator: "; ").prefix(300))
        }
        return (json["error"]?.text ?? json["message"]?.text).map { String($0.prefix(300)) } ?? "no reason given"
    }

    /// `/jobs/123`, `/jobs/123/contacts`: a 404 there means the record, not the agency, is missing.
    static func addressesOneRecord(_ path: String) -> Bool {
        pathWithoutQuery(path).split(separator: "/").count >= 2
    }

    static func pathWithoutQuery(_ path: String) -> String {
        path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
    }
}
