import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

@Suite("Import parsing and validation")
struct DatasetParserTests {
    @Test("A valid file parses into typed values")
    func validFile() throws {
        let dataset = try Fixtures.dataset()
        #expect(dataset.organisations.count == 2)
        #expect(dataset.people.count == 4)
        let job = try #require(dataset.jobs.first { $0.value.id == "job-1" && $0.value.organisationID == "org-a" }).value
        #expect(job.salary == SalaryRange(minimum: 90_000, maximum: Decimal(string: "120000.5"), currency: "EUR"))
        #expect(job.employmentType == .fullTime)
        #expect(job.qualificationStatus == .new)
        #expect(dataset.associations.first { $0.value.personID == "per-1" }?.value.isPrimary == true)
    }

    /// Replaces one job field in an otherwise valid file and returns the issues the parser reports.
    private func issues(forJobField field: String, value: String) throws -> [ImportIssue] {
        var fields = ["id": "\"job-1\"", "organisation_id": "\"org-a\"", "company_id": "\"cmp-1\"", "title": "\"T\"", "status": "\"open\""]
        fields[field] = value
        let object = fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        let json = #"{"jobs": [{"# + object + "}]}"
        do {
            _ = try DatasetParser().parse(Fixtures.records(fromJSON: json, file: "crm.json"))
            return []
        } catch let error as ImportError {
            return error.issues
        }
    }

    @Test("Each invalid job field is reported with file, row, field and reason", arguments: [
        ("status", "\"paused\"", "'paused' is not one of: open, closed, filled"),
        ("salary_min", "\"12abc\"", "'12abc' is not a number"),
        ("salary_min", "-5", "must not be negative"),
        ("job_url", "\"ftp://x.example/j\"", "'ftp://x.example/j' is not an http(s) URL"),
        ("qualified_at", "\"yesterday\"", "'yesterday' is not an ISO-8601 timestamp (e.g. 2026-10-14T09:30:00Z)"),
        ("title", "42", "must be a string, found a number"),
        ("title", "{\"a\": 1}", "must be a string, found an array or object"),
        ("employment_type", "\"gig\"", "'gig' is not one of: full_time, part_time, contract, temporary, internship"),
        ("salry_max", "1", "unknown field"),
    ])
    func invalidJobField(field: String, value: String, reason: String) throws {
        let issues = try issues(forJobField: field, value: value)
        let issue = try #require(issues.first { $0.field == field })
        #expect(issue.reason.hasPrefix(reason))
        #expect(issue.location == ImportLocation(file: "crm.json", entity: .jobs, row: 0, style: .jsonIndex))
        #expect(issue.description.hasPrefix("crm.json: jobs[0]: field '\(field)': "))
    }

    @Test("Salary rules: currency required with an amount, minimum not above maximum, ISO code")
    func salaryRules() throws {
        #expect(try issues(forJobField: "salary_max", value: "100").map(\.field) == ["salary_currency"])
        let inverted = """
        {"jobs": [{"id": "j", "organisation_id": "o", "company_id": "c", "title": "T", "status": "open",
                   "salary_min": 10, "salary_max": 5, "salary_currency": "USD"}]}
        """
        #expect(throws: ImportError.self) { try DatasetParser().parse(Fixtures.records(fromJSON: inverted)) }
        let badCurrency = """
        {"jobs": [{"id": "j", "organisation_id": "o", "company_id": "c", "title": "T", "status": "open",
                   "salary_min": 10, "salary_currency": "EURO"}]}
        """
        do {
            _ = try DatasetParser().parse(Fixtures.records(fromJSON: badCurrency))
            Issue.record("a four-letter currency was accepted")
        } catch let error as ImportError {
            #expect(error.issues.map(\.reason) == ["'EURO' is not a three-letter ISO 4217 code"])
        }
    }

    @Test("Missing required fields are each named")
    func missingRequired() throws {
        let json = #"{"jobs": [{"title": " "}]}"#
        do {
            _ = try DatasetParser().parse(Fixtures.records(fromJSON: json))
            Issue.record("an empty job was accepted")
        } catch let error as ImportError {
            #expect(Set(error.issues.compactMap(\.field)) == ["id", "organisation_id", "company_id", "title", "status"])
            #expect(error.issues.allSatisfy { $0.reason == "is required" })
        }
    }

    @Test("An invalid email is reported without echoing the address")
    func invalidEmail() throws {
        let json = #"{"people": [{"id": "p", "organisation_id": "o", "first_name": "A", "last_name": "B", "email": "secret-person at example"}]}"#
        do {
            _ = try DatasetParser().parse(Fixtures.records(fromJSON: json))
            Issue.record("a bad email was accepted")
        } catch let error as ImportError {
            #expect(error.issues.map(\.reason) == ["is not a valid email address"])
            #expect(!error.description.contains("secret-person"))
        }
    }

    @Test("An id defined twice is refused, naming the first definition")
    func duplicateID() throws {
        let json = #"{"organisations": [{"id": "o", "name": "A"}, {"id": "o", "name": "B"}]}"#
        do {
            _ = try DatasetParser().parse(Fixtures.records(fromJSON: json, file: "x.json"))
            Issue.record("a duplicate id was accepted")
        } catch let error as ImportError {
            #expect(error.issues.map(\.description) == ["x.json: organisations[1]: organisation 'o' is defined twice (first at x.json: organisations[0])"])
        }
    }

    @Test("A job keeps its qualification fields consistent")
    func qualificationConsistency() throws {
        let issues = try issues(forJobField: "qualified_by", value: "\"maria@agency.example\"")
        #expect(issues.map(\.reason) == ["is set but qualification_status is 'new', not 'qualify'"])
    }

    @Test("References to rows outside the file are listed for the store to check")
    func externalReferences() throws {
        let json = """
        {"jobs": [{"id": "j", "organisation_id": "org-x", "company_id": "cmp-x", "title": "T", "status": "open"}],
         "companies": [{"id": "cmp-y", "organisation_id": "org-x", "name": "Y"}]}
        """
        let dataset = try DatasetParser().parse(Fixtures.records(fromJSON: json))
        let references = dataset.externalReferences.map { "\($0.kind.rawValue):\($0.id):\($0.field)" }
        #expect(Set(references) == ["organisation:org-x:organisation_id", "company:cmp-x:company_id"])
        #expect(try Fixtures.dataset().externalReferences.isEmpty)
    }
}

@Suite("Import file reading")
struct ImportFileReaderTests {
    private func issues(_ body: () throws(ImportError) -> [ImportRecord]) -> [ImportIssue] {
        do {
            _ = try body()
            return []
        } catch {
            return error.issues
        }
    }

    @Test("Malformed JSON names the file and where parsing stopped")
    func malformedJSON() {
        let found = issues { () throws(ImportError) in try ImportFileReader().jsonRecords(Data(#"{"jobs": [ {"id": }"#.utf8), file: "bad.json") }
        #expect(found.count == 1)
        #expect(found.first?.description.hasPrefix("bad.json: is not a JSON object of entity arrays") == true)
    }

    @Test("Unknown top-level keys, non-array entities and non-object rows are each reported")
    func structuralProblems() {
        let json = #"{"candidates": [], "jobs": {"id": 1}, "people": [1, {"id": "p"}]}"#
        let found = issues { () throws(ImportError) in try ImportFileReader().jsonRecords(Data(json.utf8), file: "s.json") }
        #expect(found.map(\.description).sorted() == [
            "s.json: 'jobs' must be an array of objects",
            "s.json: people[0]: must be a JSON object",
            "s.json: unknown top-level key 'candidates' (expected: organisations, companies, people, associations, jobs)",
        ])
    }

    @Test("CSV rows carry their row number; bad headers and ragged rows are refused")
    func csv() throws {
        let good = "id,organisation_id,name\ncmp-1,org-a,\"Halcyon, Inc.\"\n"
        let records = try ImportFileReader().csvRecords(Data(good.utf8), entity: .companies, file: "companies.csv")
        #expect(records.count == 1)
        #expect(records.first?.location.description == "companies.csv: row 2")
        #expect(records.first?.fields["name"] == .string("Halcyon, Inc."))

        let bad = "id,organisation_id,nmae\ncmp-1,org-a\n"
        let found = issues { () throws(ImportError) in try ImportFileReader().csvRecords(Data(bad.utf8), entity: .companies, file: "companies.csv") }
        #expect(found.map(\.description) == [
            "companies.csv: row 1: field 'nmae': unknown column (expected some of: address, domain, id, industry, name, organisation_id, phone, pipeline_stage, website)",
            "companies.csv: row 2: has 2 cells, the header has 3",
        ])
    }

    @Test("CSV cells are typed by the parser: numbers, booleans, empty cells")
    func csvTyping() throws {
        let csv = "organisation_id,company_id,person_id,association_label,is_primary\norg-a,cmp-1,per-1,decision_maker,yes\norg-a,cmp-1,per-2,hiring_manager,\n"
        let records = try ImportFileReader().csvRecords(Data(csv.utf8), entity: .associations, file: "associations.csv")
        let dataset = try DatasetParser().parse(records)
        #expect(dataset.associations.map(\.value.isPrimary) == [true, false])

        let badBool = "organisation_id,company_id,person_id,association_label,is_primary\norg-a,cmp-1,per-1,decision_maker,perhaps\n"
        do {
            _ = try DatasetParser().parse(ImportFileReader().csvRecords(Data(badBool.utf8), entity: .associations, file: "associations.csv"))
            Issue.record("'perhaps' was read as a boolean")
        } catch {
            #expect(error.issues.map(\.description) == ["associations.csv: row 2: field 'is_primary': 'perhaps' is not a boolean (true or false)"])
        }
    }

    @Test("A file that is neither .json nor a known entity .csv is refused")
    func unknownFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("contacts.csv")
        try Data("id\n1\n".utf8).write(to: csv)
        let found = issues { () throws(ImportError) in try ImportFileReader().records(fromFileAt: csv.path) }
        #expect(found.first?.reason.hasPrefix("cannot tell which entity the file holds") == true)
        let missing = issues { () throws(ImportError) in try ImportFileReader().records(fromFileAt: directory.appendingPathComponent("nope.json").path) }
        #expect(missing.map(\.reason) == ["cannot read the file"])
    }
}
