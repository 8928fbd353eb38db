public import Foundation

/// Turns a job (with its company and contacts) into a target's payload, following a ``TargetMapping``.
///
/// Pure: it runs at send time on the job as it is then. A value that cannot be produced — a
/// required field that is empty, a value missing from an enum table without a default, a
/// value that does not fit its format — is a `mapping` error naming the field and the job.
public struct MappingEngine: Sendable {
    public var mapping: TargetMapping

    public init(mapping: TargetMapping) {
        self.mapping = mapping
    }

    /// Maps `entity` for `snapshot`; `person` is the contact an entity such as `contact` is applied to.
    public func map(_ entity: String, snapshot: JobSnapshot, person: Person? = nil) throws(ConnectorError) -> [String: MappedValue] {
        guard let entityMapping = mapping[entity] else {
            throw .config(setting: mapping.file, reason: "has no '\(entity)' entity")
        }
        let resolver = PathResolver(snapshot: snapshot, person: person)
        var payload: [String: MappedValue] = [:]
        for field in entityMapping.fields {
            payload[field.name] = try value(of: field, entity: entity, resolver: resolver, job: snapshot.job.id)
        }
        return payload
    }

    private func value(of field: FieldMapping, entity: String, resolver: PathResolver, job: JobID) throws(ConnectorError) -> MappedValue {
        let name = "\(entity).\(field.name)"
        var resolved: Resolved
        switch field.source {
        case .path(let path): resolved = resolver.value(at: path)
        case .constant(let value): resolved = Resolved(value)
        case .template(let template): resolved = .string(template.parts.map { part in
            switch part {
            case .text(let text): text
            case .path(let path): resolver.value(at: path).text ?? ""
            }
        }.joined())
        }

        if resolved.isEmpty, let defaultValue = field.defaultValue {
            resolved = Resolved(defaultValue)
        } else if let table = field.table, !resolved.isEmpty {
            let key = resolved.text ?? ""
            if let mapped = table[key] {
                resolved = Resolved(mapped)
            } else if let defaultValue = field.defaultValue {
                resolved = Resolved(defaultValue)
            } else {
                throw .mapping(field: name, job: job, reason: "'\(key)' is not in the field's table (\(table.keys.sorted().joined(separator: ", "))) and there is no default")
            }
        }
        if resolved.isEmpty {
            guard !field.isRequired else {
                throw .mapping(field: name, job: job, reason: "is required, but \(sourceDescription(field.source)) is empty")
            }
            return .null
        }
        guard let format = field.format else { return resolved.plain }
        guard let formatted = resolved.formatted(as: format) else {
            throw .mapping(field: name, job: job, reason: "'\(resolved.text ?? "?")' cannot be written as \(format.rawValue)")
        }
        return formatted
    }

    private func sourceDescription(_ source: FieldMapping.Source) -> String {
        switch source {
        case .path(let path): "\(path)"
        case .constant: "its value"
        case .template: "its template"
        }
    }
}

/// A value read from the job before formatting; dates stay dates until a format says how to write them.
enum Resolved: Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case decimal(Decimal)
    case string(String)
    case date(Date)

    init(_ value: MappedValue) {
        switch value {
        case .null, .array, .object: self = .null
        case .bool(let value): self = .bool(value)
        case .integer(let value): self = .integer(value)
        case .decimal(let value): self = .decimal(value)
        case .string(let value): self = .string(value)
        }
    }

    var isEmpty: Bool {
        switch self {
        case .null: true
        case .string(let text): text.isEmpty
        default: false
        }
    }

    var text: String? {
        switch self {
        case .null: nil
        case .date(let date): date.formatted(.iso8601)
        case .bool(let value): MappedValue.bool(value).text
        case .integer(let value): MappedValue.integer(value).text
        case .decimal(let value): MappedValue.decimal(value).text
        case .string(let value): value
        }
    }

    var plain: MappedValue {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .integer(let value): .integer(value)
        case .decimal(let value): .decimal(value)
        case .string(let value): .string(value)
        case .date(let date): .string(date.formatted(.iso8601))
        }
    }

    func formatted(as format: ValueFormat) -> MappedValue? {
        switch (format, self) {
        case (.string, _): return text.map(MappedValue.string)
        case (.integer, .integer(let value)): return .integer(value)
        case (.integer, .decimal(let value)):
            var whole = Decimal()
            var copy = value
            NSDecimalRound(&whole, &copy, 0, .plain)
            guard whole == value else { return nil }
            return .integer(NSDecimalNumber(decimal: whole).int64Value)
        case (.integer, .string(let text)): return Int64(text).map(MappedValue.integer)
        case (.decimal, .integer(let value)): return .decimal(Decimal(value))
        case (.decimal, .decimal(let value)): return .decimal(value)
        case (.decimal, .string(let text)): return RecordReader.strictDecimal(text).map(MappedValue.decimal)
        case (.money, _):
            let amount: Decimal? = switch self {
            case .integer(let value): Decimal(value)
            case .decimal(let value): value
            case .string(let text): RecordReader.strictDecimal(text)
            default: nil
            }
            guard var amount else { return nil }
            var rounded = Decimal()
            NSDecimalRound(&rounded, &amount, 2, .bankers)
            // Exact: the decimal's own digits, padded to two places (never through a Double).
            let digits = (MappedValue.decimal(rounded).text ?? "0").split(separator: ".", omittingEmptySubsequences: false)
            let fraction = (digits.count > 1 ? String(digits[1]) : "").padding(toLength: 2, withPad: "0", startingAt: 0)
            return .string("\(digits[0]).\(fraction)")
        case (.boolean, .bool(let value)): return .bool(value)
        case (.boolean, .string(let text)): return ["true": true, "false": false][text.lowercased()].map(MappedValue.bool)
        case (.isoDate, .date(let date)): return .string(date.formatted(.iso8601.year().month().day()))
        case (.isoDatetime, .date(let date)): return .string(date.formatted(.iso8601))
        case (.epochMilliseconds, .date(let date)): return .integer(Int64((date.timeIntervalSince1970 * 1_000).rounded()))
        default: return nil
        }
    }
}

/// Reads paths off a job snapshot.
struct PathResolver {
    let snapshot: JobSnapshot
    let person: Person?

    func value(at path: MappingPath) -> Resolved {
        switch path.root {
        case .marker: return .string(snapshot.marker.description)
        case .organisation: return .string(snapshot.job.organisationID.rawValue)
        case .job: return job(path.field ?? "")
        case .company: return company(path.field ?? "")
        case .decisionMaker: return Self.person(snapshot.decisionMakers.first, path.field ?? "")
        case .hiringManager: return Self.person(snapshot.hiringManagers.first, path.field ?? "")
        case .primaryContact: return Self.person(snapshot.primaryContact, path.field ?? "")
        case .person: return Self.person(person, path.field ?? "")
        }
    }

    private func job(_ field: String) -> Resolved {
        let job = snapshot.job
        switch field {
        case "id": return .string(job.id.rawValue)
        case "title": return .string(job.title)
        case "description": return optional(job.description)
        case "location": return optional(job.location)
        case "employment_type": return optional(job.employmentType?.rawValue)
        case "salary_min": return job.salary?.minimum.map(Resolved.decimal) ?? .null
        case "salary_max": return job.salary?.maximum.map(Resolved.decimal) ?? .null
        case "salary_currency": return optional(job.salary?.currency)
        case "job_url": return optional(job.jobURL)
        case "status": return .string(job.status.rawValue)
        case "is_open": return .bool(job.status == .open)
        case "qualification_status": return .string(job.qualificationStatus.rawValue)
        case "qualified_at": return job.qualifiedAt.map(Resolved.date) ?? .null
        case "qualified_by": return optional(job.qualifiedBy)
        case "notes": return optional(job.notes)
        case "version": return .integer(Int64(snapshot.version))
        default: return .null
        }
    }

    private func company(_ field: String) -> Resolved {
        let company = snapshot.company
        switch field {
        case "id": return .string(company.id.rawValue)
        case "name": return .string(company.name)
        case "domain": return optional(company.domain)
        case "industry": return optional(company.industry)
        case "website": return optional(company.website)
        case "phone": return optional(company.phone)
        case "address": return optional(company.address)
        case "pipeline_stage": return optional(company.pipelineStage)
        default: return .null
        }
    }

    private static func person(_ person: Person?, _ field: String) -> Resolved {
        guard let person else { return .null }
        switch field {
        case "id": return .string(person.id.rawValue)
        case "first_name": return .string(person.firstName)
        case "last_name": return .string(person.lastName)
        case "full_name": return .string(person.fullName)
        case "email": return person.email.map(Resolved.string) ?? .null
        case "phone": return person.phone.map(Resolved.string) ?? .null
        case "company_role": return person.companyRole.map(Resolved.string) ?? .null
        case "people_stage": return person.peopleStage.map(Resolved.string) ?? .null
        default: return .null
        }
    }

    private func optional(_ text: String?) -> Resolved {
        text.map(Resolved.string) ?? .null
    }
}
