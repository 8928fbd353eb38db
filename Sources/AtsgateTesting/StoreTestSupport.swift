public import AtsgateCore
public import Foundation

/// What the store conformance suite needs from an engine beyond the ``GatewayStore`` seam:
/// planting states the public API cannot reach (a row already delivered, a failure midway
/// through a transaction) and reading what the seam keeps to itself (the audit log, links,
/// `outcome_unknown`). Every engine implements it once for its tests; the suite never writes
/// an engine's query language.
public protocol StoreTestSupport: GatewayStore {
    /// Everything stored, in a canonical form: equal before and after an operation exactly when
    /// the operation changed nothing.
    func contents() async throws -> StoreContents

    /// Marks a row as delivered: `sent`, with the remote id and the job version the target holds.
    func plantSent(entryID: Int64, externalID: String, jobVersion: Int) async throws

    /// Marks a row as failed for good with an error.
    func plantFailed(entryID: Int64, kind: ErrorKind, message: String) async throws

    /// Makes later writes fail midway, at the step `failure` names, until the store is gone: the
    /// transaction must leave nothing behind.
    func plantFailure(_ failure: PlantedFailure) async throws

    /// Whether the row's earlier create may have reached the target (its next attempt looks the job up first).
    func outcomeUnknown(entryID: Int64) async throws -> Bool

    /// The audit log, oldest first.
    func auditLog() async throws -> [AuditEntry]

    /// The remote records the store links to local ones, in no particular order.
    func remoteLinks() async throws -> [RemoteLink]
}

/// A failure a test plants in the middle of a write.
public enum PlantedFailure: Hashable, Sendable {
    /// Storing the job with this id fails (an import of several jobs fails partway).
    case storingJob(JobID)
    /// Storing any audit entry fails (the last write of a qualification).
    case storingAuditEntry
}

/// One row of `external_refs`: which remote record at a target is a local company, person or job.
public struct RemoteLink: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        case company, person, job
    }

    public var organisationID: OrganisationID
    public var kind: Kind
    public var localID: String
    public var target: TargetName
    public var remoteID: String

    public init(organisationID: OrganisationID, kind: Kind, localID: String, target: TargetName, remoteID: String) {
        self.organisationID = organisationID
        self.kind = kind
        self.localID = localID
        self.target = target
        self.remoteID = remoteID
    }

    public var description: String { "\(kind.rawValue) \(localID) → \(target) \(remoteID)" }
}
