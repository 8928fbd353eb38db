public import AtsgateCore
public import Hummingbird
public import Foundation

/// Every request's context: who is calling (once authenticated), and the body-size limit.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The API key the request was authenticated with.
    public var caller: APIKeyRecord?
    /// Bodies above this are refused with 413; set by the server's configuration.
    public var maxUploadSize: Int

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.maxUploadSize = APIRequestContext.defaultMaxUploadSize
    }

    /// 16 MiB: a bulk qualification of 10,000 jobs is well under 1 MiB; imports are the large ones.
    public static let defaultMaxUploadSize = 16 << 20

    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }

    /// The caller, who must hold one of `roles`; a missing key is 401, a role that may not is 403.
    func caller(allowing roles: Set<APIRole> = Set(APIRole.allCases)) throws(Problem) -> APIKeyRecord {
        guard let caller else { throw Problem(.unauthorized, "send an API key as 'Authorization: Bearer KEY'", code: "unauthorized") }
        guard roles.contains(caller.role) else {
            let allowed = roles.map(\.rawValue).sorted().joined(separator: " or ")
            throw Problem(.forbidden, "a \(caller.role.rawValue) key may not do this; it takes a \(allowed) key", code: "forbidden")
        }
        return caller
    }
}

extension APIRequestContext {
    /// The path's `{name}` segment, percent-decoded. One that does not decode, is blank or holds
    /// a NUL names nothing: 404.
    func pathID(_ name: String = "id") throws(Problem) -> String {
        guard let raw = parameters.get(name), let decoded = raw.removingPercentEncoding,
              !decoded.trimmingCharacters(in: .whitespaces).isEmpty, !decoded.unicodeScalars.contains("\u{0}")
        else { throw Problem.notFound("'\(parameters.get(name) ?? "")'") }
        return decoded
    }
}
