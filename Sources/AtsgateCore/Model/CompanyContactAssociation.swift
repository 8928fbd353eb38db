/// The role a person plays for a company.
public enum AssociationLabel: String, Hashable, Sendable, Codable, CaseIterable {
    case decisionMaker = "decision_maker"
    case hiringManager = "hiring_manager"
    case primaryContact = "primary_contact"
    case billingContact = "billing_contact"
}

/// Links a person to a company under one label; unique on (company, person, label).
public struct CompanyContactAssociation: Hashable, Sendable, Codable {
    public var organisationID: OrganisationID
    public var companyID: CompanyID
    public var personID: PersonID
    public var label: AssociationLabel
    public var isPrimary: Bool

    public init(
        organisationID: OrganisationID,
        companyID: CompanyID,
        personID: PersonID,
        label: AssociationLabel,
        isPrimary: Bool = false
    ) {
        self.organisationID = organisationID
        self.companyID = companyID
        self.personID = personID
        self.label = label
        self.isPrimary = isPrimary
    }
}
