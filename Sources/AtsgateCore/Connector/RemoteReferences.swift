/// Remote ids of the companies and people a job brings along, at one target (`external_refs`).
///
/// A company or person created at a target once is reused, never created twice: the dispatcher
/// hands a connector what is already known, and stores what the connector learned in the
/// transaction that settles the attempt.
public struct RemoteReferences: Hashable, Sendable, Codable {
    public var companies: [CompanyID: String]
    public var people: [PersonID: String]

    public init(companies: [CompanyID: String] = [:], people: [PersonID: String] = [:]) {
        self.companies = companies
        self.people = people
    }

    public var isEmpty: Bool { companies.isEmpty && people.isEmpty }

    /// `other`'s ids win where both know an entity.
    public func merging(_ other: RemoteReferences) -> RemoteReferences {
        RemoteReferences(
            companies: companies.merging(other.companies) { _, new in new },
            people: people.merging(other.people) { _, new in new }
        )
    }
}
