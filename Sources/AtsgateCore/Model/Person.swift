/// A contact at a client company (decision maker, hiring manager, …).
public struct Person: Hashable, Sendable, Codable {
    public var organisationID: OrganisationID
    public var id: PersonID
    public var firstName: String
    public var lastName: String
    public var email: String?
    public var phone: String?
    /// The person's title at their company.
    public var companyRole: String?
    public var companyID: CompanyID?
    public var peopleStage: String?

    public init(
        organisationID: OrganisationID,
        id: PersonID,
        firstName: String,
        lastName: String,
        email: String? = nil,
        phone: String? = nil,
        companyRole: String? = nil,
        companyID: CompanyID? = nil,
        peopleStage: String? = nil
    ) {
        self.organisationID = organisationID
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.phone = phone
        self.companyRole = companyRole
        self.companyID = companyID
        self.peopleStage = peopleStage
    }

    public var fullName: String { "\(firstName) \(lastName)" }
}
