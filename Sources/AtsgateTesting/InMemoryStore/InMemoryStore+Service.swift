public import AtsgateCore
public import Foundation

/// An idempotency key's row: `answer` is nil while its request runs.
struct IdempotencyRow: Sendable {
    var requestHash: String
    var createdAt: Date
    var answer: RecordedResponse?
}

extension InMemoryStore: APIKeyStore {
    public func createAPIKey(_ key: APIKeyRecord) async throws {
        try write { state in
            guard state.apiKeys[key.id] == nil, !state.apiKeys.values.contains(where: { $0.secretHash == key.secretHash }) else {
                throw StoreError(.unavailable, "UNIQUE constraint failed: api_keys")
            }
            var stored = key
            stored.createdAt = key.createdAt.atStoragePrecision
            state.apiKeys[key.id] = stored
            try state.insert(APIKeyAudit.entry(.apiKeyCreated, key, actor: key.createdBy, at: key.createdAt, organisationKnown: state.organisations[key.organisationID] != nil))
        }
    }

    public func apiKeys(organisationID: OrganisationID?) async throws -> [APIKeyRecord] {
        try read { state in
            state.apiKeys.values.filter { organisationID == nil || $0.organisationID == organisationID }
                .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    public func activeAPIKey(secretHash: String) async throws -> APIKeyRecord? {
        try read { state in state.apiKeys.values.first { $0.secretHash == secretHash && $0.revokedAt == nil } }
    }

    public func revokeAPIKey(id: String, actor: String, now: Date) async throws -> APIKeyRecord? {
        try write { state in
            guard var key = state.apiKeys[id] else { return nil }
            if key.revokedAt == nil {
                key.revokedAt = now.atStoragePrecision
                state.apiKeys[id] = key
                try state.insert(APIKeyAudit.entry(.apiKeyRevoked, key, actor: actor, at: now, organisationKnown: state.organisations[key.organisationID] != nil))
            }
            return key
        }
    }

    public func organisationIDs() async throws -> [OrganisationID] {
        try read { state in state.organisations.keys.sorted { $0.rawValue < $1.rawValue } }
    }
}

extension InMemoryStore: IdempotencyStore {
    public func claimIdempotencyKey(
        _ key: String, organisationID: OrganisationID, requestHash: String, now: Date, expiredBefore: Date, abandonedBefore: Date
    ) async throws -> IdempotencyClaim {
        try write { state in
            let scoped = Scoped(organisationID, key)
            if let row = state.idempotencyKeys[scoped],
               !(row.createdAt < expiredBefore || (row.answer == nil && row.createdAt < abandonedBefore)) {
                guard row.requestHash == requestHash else { return .usedForAnotherRequest }
                guard let answer = row.answer else { return .inProgress }
                return .answered(answer)
            }
            state.idempotencyKeys[scoped] = IdempotencyRow(requestHash: requestHash, createdAt: now.atStoragePrecision, answer: nil)
            return .claimed
        }
    }

    public func recordIdempotentResponse(_ response: RecordedResponse, key: String, organisationID: OrganisationID) async throws {
        try write { state in state.idempotencyKeys[Scoped(organisationID, key)]?.answer = response }
    }

    public func releaseIdempotencyKey(_ key: String, organisationID: OrganisationID) async throws {
        try write { state in
            let scoped = Scoped(organisationID, key)
            if state.idempotencyKeys[scoped]?.answer == nil { state.idempotencyKeys[scoped] = nil }
        }
    }

    public func purgeIdempotencyKeys(usedBefore date: Date) async throws -> Int {
        try write { state in
            let old = state.idempotencyKeys.filter { $0.value.createdAt < date }.keys
            for key in old { state.idempotencyKeys[key] = nil }
            return old.count
        }
    }
}
