/// A client company of the agency: the employer behind a job.
public struct Company: Hashable, Sendable, Codable {
    public var organisationID: OrganisationID
    public var id: CompanyID
    public var name: String
    public var domain: String?
    public var industry: String?
    public var website: String?
    public var phone: String?
    public var address: String?
    public var pipelineStage: String?

    public init(
        organisationID: OrganisationID,
        id: CompanyID,
        name: String,
        domain: String? = nil,
        industry: String? = nil,
        website: String? = nil,
        phone: String? = nil,
        address: String? = nil,
        pipelineStage: String? = nil
    ) {
        self.organisationID = organisationID
        self.id = id
        self.name = name
        self.domain = domain
        self.industry = industry
        self.website = website
        self.phone = phone
        self.address = address
        self.pipelineStage = pipelineStage
    }
}
