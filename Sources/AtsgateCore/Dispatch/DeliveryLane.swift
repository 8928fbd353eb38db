/// Where deliveries queue for their limits: one ATS account. Either a target's default
/// connection (the target file's credentials, shared by every organisation without one of its
/// own) or one organisation's own connection to it. Rate limit, concurrency, 429 pause and
/// circuit breaker are each lane's own, so one tenant's broken account never slows another's.
public struct DeliveryLane: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var target: TargetName
    /// The organisation whose own connection this is; `nil` for the target's default connection.
    public var organisationID: OrganisationID?

    public init(_ target: TargetName, connectionOf organisationID: OrganisationID? = nil) {
        self.target = target
        self.organisationID = organisationID
    }

    /// The lane a row of `organisation` to `target` queues in, given the organisations with a
    /// connection of their own to each target.
    public static func of(_ organisation: OrganisationID, to target: TargetName, ownConnections: [TargetName: Set<OrganisationID>]) -> Self {
        ownConnections[target]?.contains(organisation) == true ? Self(target, connectionOf: organisation) : Self(target)
    }

    /// `loxo` for the default connection, `org-a/loxo` for an organisation's own (as connections are named).
    public var description: String {
        organisationID.map { "\($0.rawValue)/\(target.rawValue)" } ?? target.rawValue
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.target.rawValue, lhs.organisationID?.rawValue ?? "") < (rhs.target.rawValue, rhs.organisationID?.rawValue ?? "")
    }
}
