import AtsgateCore
import Foundation
import GRDB

/// Translation between rows and domain values. States and kinds are enums everywhere else;
/// only here are they strings.
extension Row {
    func required<Value: DatabaseValueConvertible>(_ column: String, in table: String) throws -> Value {
        guard let value: Value = self[column] else {
            throw StoreError(.corruptRow, "\(table).\(column) is NULL or unreadable")
        }
        return value
    }

    func enumValue<Value: RawRepresentable>(_ column: String, in table: String) throws -> Value where Value.RawValue == String {
        let raw: String = try required(column, in: table)
        guard let value = Value(rawValue: raw) else {
            throw StoreError(.corruptRow, "\(table).\(column) holds unknown value '\(raw)'")
        }
        return value
    }

    func optionalEnumValue<Value: RawRepresentable>(_ column: String, in table: String) throws -> Value? where Value.RawValue == String {
        guard let raw: String = self[column] else { return nil }
        guard let value = Value(rawValue: raw) else {
            throw StoreError(.corruptRow, "\(table).\(column) holds unknown value '\(raw)'")
        }
        return value
    }

    func targetName(_ column: String, in table: String) throws -> TargetName {
        let raw: String = try required(column, in: table)
        guard let name = TargetName(rawValue: raw) else {
            throw StoreError(.corruptRow, "\(table).\(column) holds invalid target name '\(raw)'")
        }
        return name
    }
}

extension Company {
    init(row: Row) throws {
        self.init(
            organisationID: OrganisationID(try row.required("organisation_id", in: "companies")),
            id: CompanyID(try row.required("id", in: "companies")),
            name: try row.required("name", in: "companies"),
            domain: row["domain"],
            industry: row["industry"],
            website: row["website"],
            phone: row["phone"],
            address: row["address"],
            pipelineStage: row["pipeline_stage"]
        )
    }
}

extension Person {
    init(row: Row) throws {
        self.init(
            organisationID: OrganisationID(try row.required("organisation_id", in: "people")),
            id: PersonID(try row.required("id", in: "people")),
            firstName: try row.required("first_name", in: "people"),
            lastName: try row.required("last_name", in: "people"),
            email: row["email"],
            phone: row["phone"],
            companyRole: row["company_role"],
            companyID: (row["company_id"] as String?).map(CompanyID.init(rawValue:)),
            peopleStage: row["people_stage"]
        )
    }
}

extension StoredJob {
    init(row: Row) throws {
        let salaryMin: Decimal? = row["salary_min"]
        let salaryMax: Decimal? = row["salary_max"]
        let currency: String? = row["salary_currency"]
        let salary = currency.map { SalaryRange(minimum: salaryMin, maximum: salaryMax, currency: $0) }
        let job = Job(
            organisationID: OrganisationID(try row.required("organisation_id", in: "jobs")),
            id: JobID(try row.required("id", in: "jobs")),
            companyID: CompanyID(try row.required("company_id", in: "jobs")),
            title: try row.required("title", in: "jobs"),
            description: row["description"],
            location: row["location"],
            employmentType: try row.optionalEnumValue("employment_type", in: "jobs"),
            salary: salary,
            jobURL: row["job_url"],
            status: try row.enumValue("status", in: "jobs"),
            qualificationStatus: try row.enumValue("qualification_status", in: "jobs"),
            qualifiedAt: row["qualified_at"],
            qualifiedBy: row["qualified_by"],
            notes: row["notes"]
        )
        self.init(job: job, version: try row.required("version", in: "jobs"))
    }
}

extension OutboxEntry {
    init(row: Row) throws {
        let table = "job_external_submissions"
        self.init(
            id: try row.required("id", in: table),
            organisationID: OrganisationID(try row.required("organisation_id", in: table)),
            jobID: JobID(try row.required("job_id", in: table)),
            target: try row.targetName("external_system", in: table),
            operation: try row.enumValue("operation", in: table),
            status: try row.enumValue("status", in: table),
            attempts: try row.required("attempts", in: table),
            nextAttemptAt: row["next_attempt_at"],
            leaseOwner: row["lease_owner"],
            leaseExpiresAt: row["lease_expires_at"],
            externalID: row["external_id"],
            jobVersion: try row.required("job_version", in: table),
            sentJobVersion: row["sent_job_version"],
            lastErrorKind: try row.optionalEnumValue("last_error_kind", in: table),
            lastErrorMessage: row["last_error_message"],
            submittedBy: row["submitted_by"],
            createdAt: try row.required("created_at", in: table),
            updatedAt: try row.required("updated_at", in: table),
            sentAt: row["sent_at"]
        )
    }
}

extension DecisionMakerNotification {
    init(row: Row) throws {
        let table = "decision_maker_notifications"
        self.init(
            id: try row.required("id", in: table),
            organisationID: OrganisationID(try row.required("organisation_id", in: table)),
            jobID: JobID(try row.required("job_id", in: table)),
            personID: PersonID(try row.required("person_id", in: table)),
            companyID: CompanyID(try row.required("company_id", in: table)),
            type: try row.enumValue("notification_type", in: table),
            channel: try row.enumValue("notification_channel", in: table),
            status: try row.enumValue("status", in: table),
            attempts: try row.required("attempts", in: table),
            error: row["error"],
            sentAt: row["sent_at"],
            createdAt: try row.required("created_at", in: table)
        )
    }
}

extension Job {
    /// Column values for an insert or update of `jobs`, without keys and timestamps.
    var contentArguments: [String: (any DatabaseValueConvertible)?] {
        [
            "company_id": companyID.rawValue,
            "title": title,
            "description": description,
            "location": location,
            "employment_type": employmentType?.rawValue,
            "salary_min": salary?.minimum,
            "salary_max": salary?.maximum,
            "salary_currency": salary?.currency,
            "job_url": jobURL,
            "status": status.rawValue,
            "qualification_status": qualificationStatus.rawValue,
            "qualified_at": qualifiedAt,
            "qualified_by": qualifiedBy,
            "notes": notes,
        ]
    }
}
