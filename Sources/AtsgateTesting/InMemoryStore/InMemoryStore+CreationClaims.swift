public import AtsgateCore
public import Foundation

/// Mirrors SQLiteStore+CreationClaims.swift: one claim per (target, key), its answer kept for the waiters.
extension InMemoryStore: CreationClaimStore {
    public func claimCreation(_ key: CreationKey, owner: String, now: Date, leaseUntil: Date, answersSince: Date) async throws -> CreationClaim {
        try write { state in
            let claim = CreationClaimRecord.claim(state.creationClaims[key], owner: owner, now: now, answersSince: answersSince)
            if claim == .claimed {
                state.creationClaims[key] = .claimed(by: owner, until: leaseUntil.atStoragePrecision, now: now.atStoragePrecision)
            }
            return claim
        }
    }

    public func finishCreation(_ key: CreationKey, owner: String, remoteID: String?, now: Date) async throws {
        try write { state in
            guard state.creationClaims[key]?.owner == owner else { return }
            state.creationClaims[key] = remoteID.map { .finished(remoteID: $0, now: now.atStoragePrecision) }
            state.creationClaims = state.creationClaims.filter { claimKey, claim in claimKey.target != key.target || !claim.isExpired(at: now) }
        }
    }
}
