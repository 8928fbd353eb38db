/// A value and the import row it came from.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var location: ImportLocation

    public init(_ value: Value, at location: ImportLocation) {
        self.value = value
        self.location = location
    }
}

/// A validated import: every row well-formed, no id defined twice.
///
/// References to rows not in the file (a job of a company imported earlier) are listed in
/// ``externalReferences`` for the store to check against what it already holds.
public struct CRMDataset: Sendable {
    public var organisations: [Located<Organisation>] = []
    public var companies: [Located<Company>] = []
    public var people: [Located<Person>] = []
    public var associations: [Located<CompanyContactAssociation>] = []
    public var jobs: [Located<Job>] = []

    public init() {}

    public var externalReferences: [ExternalReference] {
        var references: [ExternalReference] = []
        let organisationIDs = Set(organisations.map(\.value.id))
        let companyKeys = Set(companies.map { ScopedKey($0.value.organisationID, $0.value.id.rawValue) })
        let personKeys = Set(people.map { ScopedKey($0.value.organisationID, $0.value.id.rawValue) })

        func organisation(_ id: OrganisationID, _ location: ImportLocation) {
            if !organisationIDs.contains(id) {
                references.append(.init(kind: .organisation, organisationID: id, id: id.rawValue, location: location, field: "organisation_id"))
            }
        }
        func company(_ organisationID: OrganisationID, _ id: CompanyID, _ location: ImportLocation) {
            if !companyKeys.contains(ScopedKey(organisationID, id.rawValue)) {
                references.append(.init(kind: .company, organisationID: organisationID, id: id.rawValue, location: location, field: "company_id"))
            }
        }

        for row in companies { organisation(row.value.organisationID, row.location) }
        for row in people {
            organisation(row.value.organisationID, row.location)
            if let companyID = row.value.companyID { company(row.value.organisationID, companyID, row.location) }
        }
        for row in associations {
            organisation(row.value.organisationID, row.location)
            company(row.value.organisationID, row.value.companyID, row.location)
            if !personKeys.contains(ScopedKey(row.value.organisationID, row.value.personID.rawValue)) {
                references.append(.init(kind: .person, organisationID: row.value.organisationID, id: row.value.personID.rawValue, location: row.location, field: "person_id"))
            }
        }
        for row in jobs {
            organisation(row.value.organisationID, row.location)
            company(row.value.organisationID, row.value.companyID, row.location)
        }
        return references
    }

    private struct ScopedKey: Hashable {
        var organisationID: OrganisationID
        var id: String
        init(_ organisationID: OrganisationID, _ id: String) {
            self.organisationID = organisationID
            self.id = id
        }
    }
}

/// A row's reference to an entity the import file does not define.
public struct ExternalReference: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case organisation
        case company
        case person
    }

    public var kind: Kind
    public var organisationID: OrganisationID
    public var id: String
    public var location: ImportLocation
    public var field: String

    /// The issue to report when the store does not hold the entity either.
    public var missingIssue: ImportIssue {
        let scope = kind == .organisation ? "" : " in organisation '\(organisationID)'"
        return ImportIssue(location: location, field: field, reason: "no \(kind.rawValue) '\(id)'\(scope) in this import or the database")
    }
}
