import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

@Suite("Mapping engine")
struct MappingEngineTests {
    let snapshot = JobSnapshot(
        job: Job(
            organisationID: "org-a", id: "job-1", companyID: "cmp-1", title: "Backend Engineer", location: "Berlin, DE",
            employmentType: .contract, salary: SalaryRange(minimum: 85, maximum: Decimal(string: "95.5"), currency: "EUR"),
            status: .open, qualificationStatus: .qualify, qualifiedAt: Date(timeIntervalSince1970: 1_790_000_000)
        ),
        version: 4,
        company: Company(organisationID: "org-a", id: "cmp-1", name: "Halcyon Robotics", website: "https://halcyon.example"),
        decisionMakers: [Person(organisationID: "org-a", id: "per-1", firstName: "Ada", lastName: "Lind", email: "ada@halcyon.example")]
    )

    func engine(_ yaml: String) throws -> MappingEngine {
        MappingEngine(mapping: try MappingLoader.parse(yaml, file: "mappings/test.yaml"))
    }

    func mappingError(_ body: () throws(ConnectorError) -> Void) -> ConnectorError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test("Paths, constants, templates, tables with defaults and every format")
    func constructs() throws {
        let mapped = try engine("""
        entities:
          job:
            title: { from: job.title, required: true }
            marker: { from: marker }
            published: { value: false }
            openings: { value: 2 }
            rate: { value: 1.25 }
            headline: { template: "{{job.title}} at {{company.name}} ({{job.location}})" }
            job_type_id: { from: job.employment_type, map: { full_time: 1, contract: 3 }, default: 9 }
            category: { from: job.employment_type, map: { full_time: Permanent }, default: Other }
            salary: { from: job.salary_max, format: money }
            salary_min: { from: job.salary_min, format: integer }
            salary_exact: { from: job.salary_max, format: decimal }
            opened_on: { from: job.qualified_at, format: iso_date }
            opened_at: { from: job.qualified_at, format: iso_datetime }
            start_ms: { from: job.qualified_at, format: epoch_ms }
            open: { from: job.is_open }
            notes: { from: job.notes }
            owner_email: { from: decision_maker.email }
            version: { from: job.version }
        """).map("job", snapshot: snapshot)
        #expect(mapped["title"] == .string("Backend Engineer"))
        #expect(mapped["marker"] == .string("atsgate:org-a:job-1"))
        #expect(mapped["published"] == .bool(false))
        #expect(mapped["openings"] == .integer(2))
        #expect(mapped["rate"] == .decimal(Decimal(string: "1.25")!))
        #expect(mapped["headline"] == .string("Backend Engineer at Halcyon Robotics (Berlin, DE)"))
        #expect(mapped["job_type_id"] == .integer(3))
        #expect(mapped["category"] == .string("Other"))
        #expect(mapped["salary"] == .string("95.50"))
        #expect(mapped["salary_min"] == .integer(85))
        #expect(mapped["salary_exact"] == .decimal(Decimal(string: "95.5")!))
        #expect(mapped["opened_on"] == .string("2026-09-21"))
        #expect(mapped["opened_at"] == .string("2026-09-21T14:13:20Z"))
        #expect(mapped["start_ms"] == .integer(1_790_000_000_000))
        #expect(mapped["open"] == .bool(true))
        #expect(mapped["notes"] == .null)
        #expect(mapped["owner_email"] == .string("ada@halcyon.example"))
        #expect(mapped["version"] == .integer(4))
    }

    @Test("A per-contact entity reads the person it is applied to")
    func person() throws {
        let mapped = try engine("""
        entities:
          contact:
            name: { template: "{{person.first_name}} {{person.last_name}}", required: true }
            email: { from: person.email, required: true }
        """).map("contact", snapshot: snapshot, person: snapshot.decisionMakers[0])
        #expect(mapped == ["name": .string("Ada Lind"), "email": .string("ada@halcyon.example")])
    }

    @Test("Send-time failures are mapping errors naming the field and the job")
    func sendTimeErrors() throws {
        let required = try engine("entities:\n  job:\n    description: { from: job.description, required: true }\n")
        #expect(mappingError { () throws(ConnectorError) in _ = try required.map("job", snapshot: snapshot) }
            == .mapping(field: "job.description", job: "job-1", reason: "is required, but job.description is empty"))
        let noDefault = try engine("entities:\n  job:\n    type: { from: job.employment_type, map: { full_time: 1 } }\n")
        #expect(mappingError { () throws(ConnectorError) in _ = try noDefault.map("job", snapshot: snapshot) }?.kind == .mapping)
        let badFormat = try engine("entities:\n  job:\n    n: { from: job.salary_max, format: integer }\n")
        #expect(mappingError { () throws(ConnectorError) in _ = try badFormat.map("job", snapshot: snapshot) }
            == .mapping(field: "job.n", job: "job-1", reason: "'95.5' cannot be written as integer"))
        let noHiringManager = try engine("entities:\n  job:\n    contact: { from: hiring_manager.email, required: true }\n")
        #expect(mappingError { () throws(ConnectorError) in _ = try noHiringManager.map("job", snapshot: snapshot) }?.message
            == "job job-1: field 'job.contact': is required, but hiring_manager.email is empty")
        #expect(mappingError { () throws(ConnectorError) in _ = try required.map("company", snapshot: snapshot) }?.kind == .config)
    }

    @Test("A broken mapping file names file, line, field and reason", arguments: [
        ("entities:\n  job:\n    title: { from: job.titel }\n", "mappings/test.yaml:3: field 'entities.job.title.from': 'job.titel': job has no field 'titel'"),
        ("entities:\n  job:\n    title: { from: job.title, value: x }\n", "mappings/test.yaml:3: field 'entities.job.title': needs exactly one of from, value, template"),
        ("entities:\n  job:\n    title: { form: job.title }\n", "mappings/test.yaml:3: field 'entities.job.title.form': unknown key"),
        ("entities:\n  job:\n    t: { template: \"{{job.title\" }\n", "mappings/test.yaml:3: field 'entities.job.t.template': template has '{{' without a closing '}}'"),
        ("entities:\n  job:\n    t: { template: \"{{ owner.name }}\" }\n", "mappings/test.yaml:3: field 'entities.job.t.template': 'owner.name' does not start with one of"),
        ("entities:\n  job:\n    t: { from: job.title, format: yen }\n", "mappings/test.yaml:3: field 'entities.job.t.format': 'yen' is not one of"),
        ("entities:\n  job: {}\n", "mappings/test.yaml:2: field 'entities.job': maps no fields"),
        ("jobs:\n  title: x\n", "mappings/test.yaml:1: field 'jobs': unknown key"),
        ("entities:\n  job:\n    t: { from: job.title, required: maybe }\n", "mappings/test.yaml:3: field 'entities.job.t.required': must be true or false"),
    ])
    func brokenFiles(yaml: String, expected: String) {
        do {
            _ = try MappingLoader.parse(yaml, file: "mappings/test.yaml")
            Issue.record("accepted a broken mapping")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
        }
    }

    @Test("The shipped mapping files load")
    func shippedMappings() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let mappings = try MappingLoader(configurationDirectory: root).loadAll()
        #expect(!mappings.isEmpty)
        for mapping in mappings {
            let job = MappingEngine(mapping: mapping)
            if mapping.entities["job"] != nil {
                _ = try job.map("job", snapshot: snapshot)
            }
        }
    }
}
