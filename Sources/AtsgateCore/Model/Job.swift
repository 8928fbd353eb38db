public import Foundation

/// Whether the role itself is still open at the client.
public enum JobStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case open
    case closed
    case filled

    /// Closed and filled jobs must be closed at every target that holds them.
    public var isTerminal: Bool { self != .open }
}

/// The recruiter's decision about sending the job out.
public enum QualificationStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case new
    case qualify
    case skip
}

public enum EmploymentType: String, Hashable, Sendable, Codable, CaseIterable {
    case fullTime = "full_time"
    case partTime = "part_time"
    case contract
    case temporary
    case internship
}

/// A salary range in one currency. Amounts are exact decimals, never floating point.
public struct SalaryRange: Hashable, Sendable, Codable {
    public var minimum: Decimal?
    public var maximum: Decimal?
    /// ISO 4217 code, upper case.
    public var currency: String

    public init(minimum: Decimal?, maximum: Decimal?, currency: String) {
        self.minimum = minimum
        self.maximum = maximum
        self.currency = currency
    }
}

/// A job (requisition) as the CRM holds it.
public struct Job: Hashable, Sendable, Codable {
    public var organisationID: OrganisationID
    public var id: JobID
    public var companyID: CompanyID
    public var title: String
    public var description: String?
    public var location: String?
    public var employmentType: EmploymentType?
    public var salary: SalaryRange?
    public var jobURL: String?
    public var status: JobStatus
    public var qualificationStatus: QualificationStatus
    public var qualifiedAt: Date?
    public var qualifiedBy: String?
    public var notes: String?

    public init(
        organisationID: OrganisationID,
        id: JobID,
        companyID: CompanyID,
        title: String,
        description: String? = nil,
        location: String? = nil,
        employmentType: EmploymentType? = nil,
        salary: SalaryRange? = nil,
        jobURL: String? = nil,
        status: JobStatus = .open,
        qualificationStatus: QualificationStatus = .new,
        qualifiedAt: Date? = nil,
        qualifiedBy: String? = nil,
        notes: String? = nil
    ) {
        self.organisationID = organisationID
        self.id = id
        self.companyID = companyID
        self.title = title
        self.description = description
        self.location = location
        self.employmentType = employmentType
        self.salary = salary
        self.jobURL = jobURL
        self.status = status
        self.qualificationStatus = qualificationStatus
        self.qualifiedAt = qualifiedAt
        self.qualifiedBy = qualifiedBy
        self.notes = notes
    }
}

/// A job as stored, with the version that increases on every content edit.
public struct StoredJob: Hashable, Sendable {
    public var job: Job
    public var version: Int

    public init(job: Job, version: Int) {
        self.job = job
        self.version = version
    }
}
