/// The CRM's own identifier of an entity, kept exactly as given.
///
/// The phantom `Entity` keeps a job id from being passed where a company id is expected.
public struct EntityID<Entity>: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension EntityID: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self.rawValue = value
    }
}

public typealias OrganisationID = EntityID<Organisation>
public typealias CompanyID = EntityID<Company>
public typealias PersonID = EntityID<Person>
public typealias JobID = EntityID<Job>
