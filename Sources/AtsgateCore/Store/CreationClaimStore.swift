public import Foundation

/// One find-or-create of a company or person at a target at a time, across every process and
/// node on the store, and its answer shared with the ones that waited.
///
/// Two workers delivering a new company's first jobs at the same instant would otherwise both
/// search, both miss (a target's search is an index that may lag), and both create. A claim is a
/// lease in the store, not a lock held through the target's request: no transaction stays open
/// while the target answers, and a claim whose worker died lapses by itself.
public protocol CreationClaimStore: Sendable {
    /// Claims `key` for `owner` until `leaseUntil`; or reports the remote id another claim found
    /// since `answersSince`; or that another owner holds the claim.
    func claimCreation(_ key: CreationKey, owner: String, now: Date, leaseUntil: Date, answersSince: Date) async throws -> CreationClaim

    /// Ends `owner`'s claim: with the remote id it found or created, for those waiting; with `nil`
    /// when it failed, so the next one tries. A claim `owner` no longer holds is left alone.
    /// Finished claims of the target older than ``CreationClaimRecord/retention`` are removed.
    func finishCreation(_ key: CreationKey, owner: String, remoteID: String?, now: Date) async throws
}

/// What is being found or created: a connector's key for a record at one target
/// (`company:acme`, `ClientContact:…`).
public struct CreationKey: Hashable, Sendable, CustomStringConvertible {
    public var target: TargetName
    public var key: String

    public init(target: TargetName, key: String) {
        self.target = target
        self.key = key
    }

    public var description: String { "\(key) at \(target)" }
}

/// The outcome of ``CreationClaimStore/claimCreation(_:owner:now:leaseUntil:answersSince:)``.
public enum CreationClaim: Hashable, Sendable {
    /// The caller holds the claim: it finds or creates, then finishes the claim.
    case claimed
    /// Another claim found or created the record recently: use its id.
    case found(remoteID: String)
    /// Another owner holds the claim until then.
    case busy(until: Date)
}

/// A stored claim, as every engine keeps it.
public struct CreationClaimRecord: Hashable, Sendable {
    public var owner: String?
    public var leaseExpiresAt: Date?
    public var remoteID: String?
    public var updatedAt: Date

    public init(owner: String?, leaseExpiresAt: Date?, remoteID: String?, updatedAt: Date) {
        self.owner = owner
        self.leaseExpiresAt = leaseExpiresAt
        self.remoteID = remoteID
        self.updatedAt = updatedAt
    }

    /// What a claim by `owner` finds in this record (`nil`: none stored). Engines read the record
    /// under their write lock and store ``claimed(by:until:now:)`` when the answer is `.claimed`.
    public static func claim(_ stored: CreationClaimRecord?, owner: String, now: Date, answersSince: Date) -> CreationClaim {
        guard let stored else { return .claimed }
        if let holder = stored.owner, holder != owner, let until = stored.leaseExpiresAt, until > now {
            return .busy(until: until)
        }
        if stored.owner == nil, let remoteID = stored.remoteID, stored.updatedAt >= answersSince {
            return .found(remoteID: remoteID)
        }
        return .claimed
    }

    /// How long a finished claim is kept: far longer than any caller trusts its answer, so a
    /// removed row never held one still in use; the table stays as small as a day's new records.
    public static let retention: Duration = .seconds(86_400)

    /// Whether a stored claim may be removed at `now`: finished, and older than ``retention``.
    public func isExpired(at now: Date) -> Bool {
        owner == nil && updatedAt < now.addingTimeInterval(-Self.retention.timeInterval)
    }

    public static func claimed(by owner: String, until: Date, now: Date) -> CreationClaimRecord {
        CreationClaimRecord(owner: owner, leaseExpiresAt: until, remoteID: nil, updatedAt: now)
    }

    public static func finished(remoteID: String, now: Date) -> CreationClaimRecord {
        CreationClaimRecord(owner: nil, leaseExpiresAt: nil, remoteID: remoteID, updatedAt: now)
    }
}

/// Creation claims of one connection: its keys are its own, so two organisations' "Acme", each
/// in its own ATS account, are two companies, and one's id is never handed to the other.
public struct ScopedCreationClaims: CreationClaimStore {
    public var store: any CreationClaimStore
    /// The connection's name, e.g. `org-a/loxo`.
    public var scope: String

    public init(_ store: any CreationClaimStore, scope: String) {
        self.store = store
        self.scope = scope
    }

    public func claimCreation(_ key: CreationKey, owner: String, now: Date, leaseUntil: Date, answersSince: Date) async throws -> CreationClaim {
        try await store.claimCreation(scoped(key), owner: owner, now: now, leaseUntil: leaseUntil, answersSince: answersSince)
    }

    public func finishCreation(_ key: CreationKey, owner: String, remoteID: String?, now: Date) async throws {
        try await store.finishCreation(scoped(key), owner: owner, remoteID: remoteID, now: now)
    }

    private func scoped(_ key: CreationKey) -> CreationKey {
        CreationKey(target: key.target, key: "\(scope):\(key.key)")
    }
}
