/// A tenant. Every other row belongs to exactly one organisation.
public struct Organisation: Hashable, Sendable, Codable {
    public var id: OrganisationID
    public var name: String

    public init(id: OrganisationID, name: String) {
        self.id = id
        self.name = name
    }
}
