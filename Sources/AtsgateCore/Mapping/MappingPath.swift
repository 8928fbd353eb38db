/// Where a mapped value comes from: `job.title`, `company.name`, `decision_maker.email`, `person.first_name`, `marker`.
public struct MappingPath: Hashable, Sendable, CustomStringConvertible {
    public enum Root: String, Hashable, Sendable, CaseIterable {
        case job
        case company
        /// The company's first decision maker (by id).
        case decisionMaker = "decision_maker"
        /// The company's first hiring manager (by id).
        case hiringManager = "hiring_manager"
        case primaryContact = "primary_contact"
        /// The contact an entity mapping is applied to (e.g. each hiring contact of a job).
        case person
        /// The job's marker, `atsgate:<organisation>:<job>`.
        case marker
        case organisation
    }

    public var root: Root
    public var field: String?

    public var description: String { field.map { "\(root.rawValue).\($0)" } ?? root.rawValue }

    static let jobFields: Set = [
        "id", "title", "description", "location", "employment_type", "salary_min", "salary_max", "salary_currency",
        "job_url", "status", "qualification_status", "qualified_at", "qualified_by", "notes", "version", "is_open",
    ]
    static let companyFields: Set = ["id", "name", "domain", "industry", "website", "phone", "address", "pipeline_stage"]
    static let personFields: Set = ["id", "first_name", "last_name", "full_name", "email", "phone", "company_role", "people_stage"]

    /// Parses `root.field`, refusing roots and fields that do not exist, so a typo fails `mappings check`, not a delivery.
    public init(parsing text: String) throws(MappingPathError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let rootText = parts.first, let root = Root(rawValue: rootText) else {
            throw MappingPathError(reason: "'\(text)' does not start with one of: \(Root.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        switch root {
        case .marker, .organisation:
            guard parts.count == 1 || (root == .organisation && parts == ["organisation", "id"]) else {
                throw MappingPathError(reason: "'\(text)': \(root.rawValue) has no fields")
            }
            self.init(root: root, field: nil)
        default:
            guard parts.count == 2 else { throw MappingPathError(reason: "'\(text)' must be ROOT.FIELD") }
            let allowed = root == .job ? Self.jobFields : root == .company ? Self.companyFields : Self.personFields
            guard allowed.contains(parts[1]) else {
                throw MappingPathError(reason: "'\(text)': \(root.rawValue) has no field '\(parts[1])' (known: \(allowed.sorted().joined(separator: ", ")))")
            }
            self.init(root: root, field: parts[1])
        }
    }

    init(root: Root, field: String?) {
        self.root = root
        self.field = field
    }
}

public struct MappingPathError: Error, Hashable, Sendable {
    public var reason: String
}
