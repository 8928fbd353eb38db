public import Foundation

/// What an API key may do within its organisation (`atsgate api-keys create --role`).
public enum APIRole: String, Hashable, Sendable, Codable, CaseIterable {
    /// Writes CRM data and decisions; reads.
    case crm
    /// Replays, cancels and reconciles; reads.
    case `operator`
    /// Reads only.
    case reader
}

/// A stored API key: never the key itself, only its SHA-256.
public struct APIKeyRecord: Hashable, Sendable {
    /// The key's public part (`ak_…`), printed by `api-keys list` and in logs.
    public var id: String
    public var organisationID: OrganisationID
    public var role: APIRole
    public var name: String?
    /// Lowercase hex SHA-256 of the whole key.
    public var secretHash: String
    public var createdAt: Date
    public var createdBy: String
    public var revokedAt: Date?

    public init(
        id: String, organisationID: OrganisationID, role: APIRole, name: String?, secretHash: String,
        createdAt: Date, createdBy: String, revokedAt: Date? = nil
    ) {
        self.id = id
        self.organisationID = organisationID
        self.role = role
        self.name = name
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revokedAt = revokedAt
    }
}

/// API keys, and the organisations the service's schedules visit.
public protocol APIKeyStore: Sendable {
    /// Stores a new key and its `api_key_created` audit entry.
    func createAPIKey(_ key: APIKeyRecord) async throws
    /// Every key (revoked ones too), or one organisation's, oldest first.
    func apiKeys(organisationID: OrganisationID?) async throws -> [APIKeyRecord]
    /// The key with this hash, unless it was revoked.
    func activeAPIKey(secretHash: String) async throws -> APIKeyRecord?
    /// Revokes a key (a revoked key stays revoked); `nil` when there is no such key.
    func revokeAPIKey(id: String, actor: String, now: Date) async throws -> APIKeyRecord?
    /// Every organisation the CRM's data holds, by id.
    func organisationIDs() async throws -> [OrganisationID]
}

/// The answer stored for an `Idempotency-Key`, replayed to a retry of the same request.
public struct RecordedResponse: Hashable, Sendable {
    public var status: Int
    public var contentType: String
    /// The `Location` header (a 202's run), if the answer had one.
    public var location: String?
    public var body: Data

    public init(status: Int, contentType: String, location: String? = nil, body: Data) {
        self.status = status
        self.contentType = contentType
        self.location = location
        self.body = body
    }
}

/// What a request carrying an `Idempotency-Key` may do.
public enum IdempotencyClaim: Hashable, Sendable {
    /// The key is this request's: do the work, then record or release it.
    case claimed
    /// The same request was answered before: answer the same.
    case answered(RecordedResponse)
    /// The key was used with another request.
    case usedForAnotherRequest
    /// The same request is being worked on (by this node or another) right now.
    case inProgress
}

/// `Idempotency-Key`s of POST requests, per organisation.
public protocol IdempotencyStore: Sendable {
    /// Claims `key` for a request whose method, path and body hash to `requestHash`. A key first
    /// used before `expiredBefore` is forgotten; one claimed before `abandonedBefore` and never
    /// answered (its node died) is claimed again.
    func claimIdempotencyKey(
        _ key: String, organisationID: OrganisationID, requestHash: String, now: Date, expiredBefore: Date, abandonedBefore: Date
    ) async throws -> IdempotencyClaim
    /// Stores the answer of a claimed key.
    func recordIdempotentResponse(_ response: RecordedResponse, key: String, organisationID: OrganisationID) async throws
    /// Gives a claimed key up (the request failed in a way worth retrying).
    func releaseIdempotencyKey(_ key: String, organisationID: OrganisationID) async throws
    /// Forgets keys first used before `date`; returns how many.
    func purgeIdempotencyKeys(usedBefore date: Date) async throws -> Int
}

/// The audit entry of an API key's creation or revocation, as every engine writes it.
public enum APIKeyAudit {
    /// `organisationKnown`: the audit log names an organisation only once the CRM's data holds it.
    public static func entry(_ action: AuditAction, _ key: APIKeyRecord, actor: String, at now: Date, organisationKnown: Bool) -> AuditEntry {
        var details = ["organisation": key.organisationID.rawValue, "role": key.role.rawValue]
        if let name = key.name { details["name"] = name }
        return AuditEntry(
            organisationID: organisationKnown ? key.organisationID : nil, occurredAt: now, actor: actor, action: action,
            subject: "api_key:\(key.id)", details: details
        )
    }
}
