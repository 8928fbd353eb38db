public import Foundation

/// What an audit entry records.
public enum AuditAction: String, Hashable, Sendable, Codable, CaseIterable {
    case jobQualified = "job_qualified"
    case jobSkipped = "job_skipped"
    case jobClosed = "job_closed"
    case dataImported = "data_imported"
    case outboxReplayed = "outbox_replayed"
    case outboxCancelled = "outbox_cancelled"
    case reconcileRepaired = "reconcile_repaired"
    /// A target's circuit breaker opened (subject `target:NAME`; details: until, reason).
    case circuitOpened = "circuit_opened"
    /// A target's circuit breaker closed after its probes were answered.
    case circuitClosed = "circuit_closed"
    /// An organisation's connection to a target was stored (subject `connection:ORG/TARGET`;
    /// details: target, keys changed — never values).
    case connectionSet = "connection_set"
    case connectionRemoved = "connection_removed"
    /// A connection's secrets were sealed again under a new key (`atsgate secrets rotate`).
    case secretsRotated = "secrets_rotated"
    /// An API key was created or revoked (subject `api_key:ID`; details: role, name — never the key).
    case apiKeyCreated = "api_key_created"
    case apiKeyRevoked = "api_key_revoked"
}

/// Who did what to which subject, and when. `details` is a small JSON-able map; it never holds secrets.
public struct AuditEntry: Hashable, Sendable {
    public var organisationID: OrganisationID?
    public var occurredAt: Date
    public var actor: String
    public var action: AuditAction
    public var subject: String
    public var details: [String: String]

    public init(
        organisationID: OrganisationID?,
        occurredAt: Date,
        actor: String,
        action: AuditAction,
        subject: String,
        details: [String: String] = [:]
    ) {
        self.organisationID = organisationID
        self.occurredAt = occurredAt
        self.actor = actor
        self.action = action
        self.subject = subject
        self.details = details
    }
}
