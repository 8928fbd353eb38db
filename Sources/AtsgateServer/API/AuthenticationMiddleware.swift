import AtsgateCore
import Hummingbird

/// Finds the caller of `Authorization: Bearer KEY` by the key's SHA-256. No key, an unknown key or
/// a revoked one is 401 before any route runs; which roles may call a route, the route decides.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let store: any APIKeyStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw Problem(.unauthorized, "send an API key as 'Authorization: Bearer KEY'", code: "unauthorized")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw Problem(.unauthorized, "the Authorization header must be 'Bearer KEY'", code: "unauthorized")
        }
        guard let key = try await store.activeAPIKey(secretHash: APIKeys.hash(String(parts[1]))) else {
            throw Problem(.unauthorized, "the API key is unknown or revoked", code: "unauthorized")
        }
        var context = context
        context.caller = key
        context.logger[metadataKey: "api_key"] = "\(key.id)"
        return try await next(request, context)
    }
}
