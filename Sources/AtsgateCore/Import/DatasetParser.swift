/// Turns unvalidated rows into a ``CRMDataset``, reporting every problem with its file, row and field.
public struct DatasetParser: Sendable {
    public init() {}

    public func parse(_ records: [ImportRecord]) throws(ImportError) -> CRMDataset {
        var dataset = CRMDataset()
        var issues: [ImportIssue] = []
        var seen: [String: ImportLocation] = [:]

        func checkUnique(_ key: String, _ description: String, _ location: ImportLocation) -> Bool {
            if let first = seen[key] {
                issues.append(ImportIssue(location: location, field: nil, reason: "\(description) is defined twice (first at \(first))"))
                return false
            }
            seen[key] = location
            return true
        }

        for record in records.sorted(by: { $0.location.entity < $1.location.entity }) {
            var reader = RecordReader(record)
            let location = record.location
            switch location.entity {
            case .organisations:
                if let value = Self.organisation(&reader), reader.issues.isEmpty,
                   checkUnique("org|\(value.id)", "organisation '\(value.id)'", location) {
                    dataset.organisations.append(Located(value, at: location))
                }
            case .companies:
                if let value = Self.company(&reader), reader.issues.isEmpty,
                   checkUnique("company|\(value.organisationID)|\(value.id)", "company '\(value.id)'", location) {
                    dataset.companies.append(Located(value, at: location))
                }
            case .people:
                if let value = Self.person(&reader), reader.issues.isEmpty,
                   checkUnique("person|\(value.organisationID)|\(value.id)", "person '\(value.id)'", location) {
                    dataset.people.append(Located(value, at: location))
                }
            case .associations:
                if let value = Self.association(&reader), reader.issues.isEmpty,
                   checkUnique(
                       "association|\(value.organisationID)|\(value.companyID)|\(value.personID)|\(value.label.rawValue)",
                       "association (\(value.companyID), \(value.personID), \(value.label.rawValue))",
                       location
                   ) {
                    dataset.associations.append(Located(value, at: location))
                }
            case .jobs:
                if let value = Self.job(&reader), reader.issues.isEmpty,
                   checkUnique("job|\(value.organisationID)|\(value.id)", "job '\(value.id)'", location) {
                    dataset.jobs.append(Located(value, at: location))
                }
            }
            issues += reader.issues
        }

        guard issues.isEmpty else { throw ImportError(issues: issues) }
        return dataset
    }

    // MARK: - Entities

    static let organisationFields: Set = ["id", "name"]
    static let companyFields: Set = ["id", "organisation_id", "name", "domain", "industry", "website", "phone", "address", "pipeline_stage"]
    static let personFields: Set = ["id", "organisation_id", "first_name", "last_name", "email", "phone", "company_role", "company_id", "people_stage"]
    static let associationFields: Set = ["organisation_id", "company_id", "person_id", "association_label", "is_primary"]
    static let jobFields: Set = [
        "id", "organisation_id", "company_id", "title", "description", "location", "employment_type",
        "salary_min", "salary_max", "salary_currency", "job_url", "status", "qualification_status",
        "qualified_at", "qualified_by", "notes",
    ]

    public static func fields(of entity: ImportEntity) -> Set<String> {
        switch entity {
        case .organisations: organisationFields
        case .companies: companyFields
        case .people: personFields
        case .associations: associationFields
        case .jobs: jobFields
        }
    }

    private static func organisation(_ reader: inout RecordReader) -> Organisation? {
        reader.rejectUnknownFields(allowed: organisationFields)
        let id: OrganisationID? = reader.requiredID("id")
        let name = reader.requiredString("name")
        guard let id, let name else { return nil }
        return Organisation(id: id, name: name)
    }

    private static func company(_ reader: inout RecordReader) -> Company? {
        reader.rejectUnknownFields(allowed: companyFields)
        let id: CompanyID? = reader.requiredID("id")
        let organisationID: OrganisationID? = reader.requiredID("organisation_id")
        let name = reader.requiredString("name")
        let company = Company(
            organisationID: organisationID ?? "",
            id: id ?? "",
            name: name ?? "",
            domain: reader.optionalString("domain"),
            industry: reader.optionalString("industry"),
            website: reader.optionalWebURL("website"),
            phone: reader.optionalString("phone", maximumLength: 50),
            address: reader.optionalString("address", maximumLength: 1_000),
            pipelineStage: reader.optionalString("pipeline_stage")
        )
        guard id != nil, organisationID != nil, name != nil else { return nil }
        return company
    }

    private static func person(_ reader: inout RecordReader) -> Person? {
        reader.rejectUnknownFields(allowed: personFields)
        let id: PersonID? = reader.requiredID("id")
        let organisationID: OrganisationID? = reader.requiredID("organisation_id")
        let firstName = reader.requiredString("first_name", maximumLength: 100)
        let lastName = reader.requiredString("last_name", maximumLength: 100)
        let person = Person(
            organisationID: organisationID ?? "",
            id: id ?? "",
            firstName: firstName ?? "",
            lastName: lastName ?? "",
            email: reader.optionalEmail("email"),
            phone: reader.optionalString("phone", maximumLength: 50),
            companyRole: reader.optionalString("company_role"),
            companyID: reader.optionalID("company_id"),
            peopleStage: reader.optionalString("people_stage")
        )
        guard id != nil, organisationID != nil, firstName != nil, lastName != nil else { return nil }
        return person
    }

    private static func association(_ reader: inout RecordReader) -> CompanyContactAssociation? {
        reader.rejectUnknownFields(allowed: associationFields)
        let organisationID: OrganisationID? = reader.requiredID("organisation_id")
        let companyID: CompanyID? = reader.requiredID("company_id")
        let personID: PersonID? = reader.requiredID("person_id")
        let label = reader.requiredEnum("association_label", as: AssociationLabel.self)
        let isPrimary = reader.bool("is_primary", default: false)
        guard let organisationID, let companyID, let personID, let label else { return nil }
        return CompanyContactAssociation(
            organisationID: organisationID, companyID: companyID, personID: personID, label: label, isPrimary: isPrimary
        )
    }

    private static func job(_ reader: inout RecordReader) -> Job? {
        reader.rejectUnknownFields(allowed: jobFields)
        let id: JobID? = reader.requiredID("id")
        let organisationID: OrganisationID? = reader.requiredID("organisation_id")
        let companyID: CompanyID? = reader.requiredID("company_id")
        let title = reader.requiredString("title")
        let status = reader.requiredEnum("status", as: JobStatus.self)
        let qualificationStatus = reader.optionalEnum("qualification_status", as: QualificationStatus.self) ?? .new
        let salary = salaryRange(&reader)
        let job = Job(
            organisationID: organisationID ?? "",
            id: id ?? "",
            companyID: companyID ?? "",
            title: title ?? "",
            description: reader.optionalString("description", maximumLength: RecordReader.maximumTextLength),
            location: reader.optionalString("location"),
            employmentType: reader.optionalEnum("employment_type", as: EmploymentType.self),
            salary: salary,
            jobURL: reader.optionalWebURL("job_url"),
            status: status ?? .open,
            qualificationStatus: qualificationStatus,
            qualifiedAt: reader.optionalDate("qualified_at"),
            qualifiedBy: reader.optionalString("qualified_by"),
            notes: reader.optionalString("notes", maximumLength: RecordReader.maximumTextLength)
        )
        if qualificationStatus != .qualify, job.qualifiedAt != nil || job.qualifiedBy != nil {
            reader.fail("qualified_at", "is set but qualification_status is '\(qualificationStatus.rawValue)', not 'qualify'")
        }
        guard id != nil, organisationID != nil, companyID != nil, title != nil, status != nil else { return nil }
        return job
    }

    private static func salaryRange(_ reader: inout RecordReader) -> SalaryRange? {
        let minimum = reader.optionalDecimal("salary_min")
        let maximum = reader.optionalDecimal("salary_max")
        let currency = reader.optionalString("salary_currency")?.uppercased()
        for (field, amount) in [("salary_min", minimum), ("salary_max", maximum)] {
            if let amount, amount < 0 { reader.fail(field, "must not be negative") }
        }
        if let minimum, let maximum, minimum > maximum {
            reader.fail("salary_max", "must be at least salary_min")
        }
        guard minimum != nil || maximum != nil else {
            if currency != nil { reader.fail("salary_currency", "is set but neither salary_min nor salary_max is") }
            return nil
        }
        guard let currency else {
            reader.fail("salary_currency", "is required when a salary is given")
            return nil
        }
        guard currency.count == 3, currency.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            reader.fail("salary_currency", "'\(currency)' is not a three-letter ISO 4217 code")
            return nil
        }
        return SalaryRange(minimum: minimum, maximum: maximum, currency: currency)
    }
}
