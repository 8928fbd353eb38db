import AtsgateCore
import Foundation
import PostgresNIO

/// One row read from a table, with its values decoded into domain types. States and kinds are
/// enums everywhere else; only here (and in SQL) are they strings. A column that is missing,
/// NULL where the schema forbids it, or unreadable is a ``StoreError/Code/corruptRow`` naming it.
struct StoredRow {
    let row: PostgresRandomAccessRow
    let table: String

    init(_ row: PostgresRow, table: String) {
        self.row = row.makeRandomAccess()
        self.table = table
    }

    func optional<Value: PostgresDecodable>(_ column: String, as _: Value.Type = Value.self) throws(StoreError) -> Value? {
        guard row.contains(column) else { throw StoreError(.corruptRow, "\(table).\(column) is missing from the query") }
        let cell = row[column]
        guard cell.bytes != nil else { return nil }
        do {
            return try cell.decode(Value.self)
        } catch {
            throw StoreError(.corruptRow, "\(table).\(column) is unreadable as \(Value.self)")
        }
    }

    func required<Value: PostgresDecodable>(_ column: String, as _: Value.Type = Value.self) throws(StoreError) -> Value {
        guard let value = try optional(column, as: Value.self) else {
            throw StoreError(.corruptRow, "\(table).\(column) is NULL")
        }
        return value
    }

    func enumValue<Value: RawRepresentable>(_ column: String, as _: Value.Type = Value.self) throws(StoreError) -> Value where Value.RawValue == String {
        guard let value = try optionalEnumValue(column, as: Value.self) else {
            throw StoreError(.corruptRow, "\(table).\(column) is NULL")
        }
        return value
    }

    func optionalEnumValue<Value: RawRepresentable>(_ column: String, as _: Value.Type = Value.self) throws(StoreError) -> Value? where Value.RawValue == String {
        guard let raw = try optional(column, as: String.self) else { return nil }
        guard let value = Value(rawValue: raw) else {
            throw StoreError(.corruptRow, "\(table).\(column) holds unknown value '\(raw)'")
        }
        return value
    }

    func targetName(_ column: String) throws(StoreError) -> TargetName {
        let raw = try required(column, as: String.self)
        guard let name = TargetName(rawValue: raw) else {
            throw StoreError(.corruptRow, "\(table).\(column) holds invalid target name '\(raw)'")
        }
        return name
    }
}

extension PostgresRowSequence {
    /// Every row, decoded by `decode`.
    func collect<Value>(table: String, _ decode: (StoredRow) throws -> Value) async throws -> [Value] {
        var values: [Value] = []
        for try await row in self {
            values.append(try decode(StoredRow(row, table: table)))
        }
        return values
    }

    /// The first row, decoded by `decode`, if any.
    func first<Value>(table: String, _ decode: (StoredRow) throws -> Value) async throws -> Value? {
        for try await row in self {
            return try decode(StoredRow(row, table: table))
        }
        return nil
    }
}

extension Company {
    init(postgres row: StoredRow) throws {
        self.init(
            organisationID: OrganisationID(try row.required("organisation_id")),
            id: CompanyID(try row.required("id")),
            name: try row.required("name"),
            domain: try row.optional("domain"),
            industry: try row.optional("industry"),
            website: try row.optional("website"),
            phone: try row.optional("phone"),
            address: try row.optional("address"),
            pipelineStage: try row.optional("pipeline_stage")
        )
    }
}

extension Person {
    init(postgres row: StoredRow) throws {
        self.init(
            organisationID: OrganisationID(try row.required("organisation_id")),
            id: PersonID(try row.required("id")),
            firstName: try row.required("first_name"),
            lastName: try row.required("last_name"),
            email: try row.optional("email"),
            phone: try row.optional("phone"),
            companyRole: try row.optional("company_role"),
            companyID: try row.optional("company_id", as: String.self).map(CompanyID.init(rawValue:)),
            peopleStage: try row.optional("people_stage")
        )
    }
}

extension StoredJob {
    init(postgres row: StoredRow) throws {
        let salaryMin = try row.optional("salary_min", as: Decimal.self)
        let salaryMax = try row.optional("salary_max", as: Decimal.self)
        let salary = try row.optional("salary_currency", as: String.self).map { SalaryRange(minimum: salaryMin, maximum: salaryMax, currency: $0) }
        let job = Job(
            organisationID: OrganisationID(try row.required("organisation_id")),
            id: JobID(try row.required("id")),
            companyID: CompanyID(try row.required("company_id")),
            title: try row.required("title"),
            description: try row.optional("description"),
            location: try row.optional("location"),
            employmentType: try row.optionalEnumValue("employment_type"),
            salary: salary,
            jobURL: try row.optional("job_url"),
            status: try row.enumValue("status"),
            qualificationStatus: try row.enumValue("qualification_status"),
            qualifiedAt: try row.optional("qualified_at"),
            qualifiedBy: try row.optional("qualified_by"),
            notes: try row.optional("notes")
        )
        self.init(job: job, version: try row.required("version", as: Int.self))
    }
}

extension OutboxEntry {
    init(postgres row: StoredRow) throws {
        self.init(
            id: try row.required("id"),
            organisationID: OrganisationID(try row.required("organisation_id")),
            jobID: JobID(try row.required("job_id")),
            target: try row.targetName("external_system"),
            operation: try row.enumValue("operation"),
            status: try row.enumValue("status"),
            attempts: try row.required("attempts"),
            nextAttemptAt: try row.optional("next_attempt_at"),
            leaseOwner: try row.optional("lease_owner"),
            leaseExpiresAt: try row.optional("lease_expires_at"),
            externalID: try row.optional("external_id"),
            jobVersion: try row.required("job_version"),
            sentJobVersion: try row.optional("sent_job_version"),
            lastErrorKind: try row.optionalEnumValue("last_error_kind"),
            lastErrorMessage: try row.optional("last_error_message"),
            submittedBy: try row.optional("submitted_by"),
            createdAt: try row.required("created_at"),
            updatedAt: try row.required("updated_at"),
            sentAt: try row.optional("sent_at")
        )
    }
}

extension DecisionMakerNotification {
    init(postgres row: StoredRow) throws {
        self.init(
            id: try row.required("id"),
            organisationID: OrganisationID(try row.required("organisation_id")),
            jobID: JobID(try row.required("job_id")),
            personID: PersonID(try row.required("person_id")),
            companyID: CompanyID(try row.required("company_id")),
            type: try row.enumValue("notification_type"),
            channel: try row.enumValue("notification_channel"),
            status: try row.enumValue("status"),
            attempts: try row.required("attempts"),
            error: try row.optional("error"),
            sentAt: try row.optional("sent_at"),
            createdAt: try row.required("created_at")
        )
    }
}

extension TargetHealth {
    init(postgres row: StoredRow) throws {
        let circuit = try row.required("circuit", as: String.self)
        let until = try row.optional("circuit_until", as: Date.self)
        let state: Circuit
        switch (circuit, until) {
        case ("closed", _): state = .closed
        case ("open", let until?): state = .open(until: until)
        case ("half_open", let until?): state = .halfOpen(probeUntil: until)
        default: throw StoreError(.corruptRow, "target_states.circuit holds '\(circuit)' without a valid circuit_until")
        }
        let windowText = try row.required("request_window", as: String.self)
        guard let window = RequestWindow(storedText: windowText) else {
            throw StoreError(.corruptRow, "target_states.request_window holds '\(windowText.prefix(80))', not start_ms:requests:failures;…")
        }
        self.init(
            circuit: state, window: window, openings: try row.required("openings"),
            probeSuccesses: try row.required("probe_successes"), probingSince: try row.optional("probing_since"),
            consecutiveFailures: try row.required("consecutive_failures"), pausedUntil: try row.optional("paused_until")
        )
    }
}
