import AtsgateSQLite
import AtsgateTesting
import Foundation
import Testing

@Suite("atsgate binary end to end", .serialized)
struct WorkflowEndToEndTests {
    struct ListedRow: Decodable, Equatable {
        var id: Int
        var organisationId: String
        var jobId: String
        var externalSystem: String
        var operation: String
        var status: String
        var attempts: Int
        var externalId: String?
        var lastErrorKind: String?
    }

    func listed(_ result: AtsgateProcess.Result) async throws -> [ListedRow] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode([ListedRow].self, from: Data(result.stdout.utf8))
    }

    @Test("Import the example, qualify a job, and outbox list --json shows exactly its rows")
    func importQualifyList() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }

        let imported = try await atsgate.execute(["import", atsgate.exampleDataset, "--json"])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("\"inserted\" : 100"))

        let qualified = try await atsgate.execute(["jobs", "qualify", "job-001", "--organisation", "org-northwind", "--by", "maria"])
        #expect(qualified.exitCode == 0, "\(qualified.stderr)")
        #expect(qualified.stdout.contains("loxo: queued create"))

        let list = try await atsgate.execute(["outbox", "list", "--json"])
        #expect(list.exitCode == 0, "\(list.stderr)")
        let rows = try await listed(list)
        #expect(rows == [
            ListedRow(id: 1, organisationId: "org-northwind", jobId: "job-001", externalSystem: "bullhorn", operation: "create", status: "pending", attempts: 0),
            ListedRow(id: 2, organisationId: "org-northwind", jobId: "job-001", externalSystem: "email", operation: "create", status: "pending", attempts: 0),
            ListedRow(id: 3, organisationId: "org-northwind", jobId: "job-001", externalSystem: "loxo", operation: "create", status: "pending", attempts: 0),
        ])

        // Qualifying again changes nothing; a second job to one target adds exactly one row.
        #expect(try await atsgate.execute(["jobs", "qualify", "job-001", "--organisation", "org-northwind"]).exitCode == 0)
        #expect(try await atsgate.execute(["jobs", "qualify", "job-002", "--organisation", "org-northwind", "--target", "loxo"]).exitCode == 0)
        let after = try await listed(try await atsgate.execute(["outbox", "list", "--json", "--target", "loxo"]))
        #expect(after.map(\.jobId) == ["job-001", "job-002"])

        let table = try await atsgate.execute(["outbox", "list", "--status", "pending"])
        #expect(table.stdout.hasPrefix("ID  ORGANISATION   JOB      TARGET    OPERATION  STATUS"))
        #expect(table.stdout.split(separator: "\n").count == 5)
    }

    @Test("Every kind of bad import exits 2, names what is wrong, and stores nothing", arguments: [
        ("jobs.csv", "id,organisation_id,company_id,title,status\njob-new,org-northwind,cmp-001,New role,open\njob-001,org-northwind,cmp-001,Edited,paused\n",
         "jobs.csv: row 3: field 'status': 'paused' is not one of: open, closed, filled"),
        ("crm.json", #"{"jobs": [{"id": "job-new", "organisation_id": "org-northwind", "company_id": "cmp-999", "title": "T", "status": "open"}]}"#,
         "crm.json: jobs[0]: field 'company_id': no company 'cmp-999' in organisation 'org-northwind' in this import or the database"),
        ("crm.json", #"{"companies": [{"id": "cmp-001", "organisation_id": "org-northwind", "name": "Renamed"}], "jobs": [{"id": 7}]}"#,
         "crm.json: jobs[0]: field 'id': must be a string, found a number"),
        ("crm.json", #"{"jobs": [ {"id": "#, "crm.json: is not a JSON object of entity arrays"),
        ("contacts.csv", "id\n1\n", "contacts.csv: cannot tell which entity the file holds"),
        ("people.csv", "id,organisation_id,first_name,last_name,email\np-new,org-northwind,A,B,not-an-email\n",
         "people.csv: row 2: field 'email': is not a valid email address"),
    ])
    func badImport(name: String, contents: String, expected: String) async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        #expect(try await atsgate.execute(["import", atsgate.exampleDataset]).exitCode == 0)
        let before = try await StoreContents(tables: SQLiteStore.open(path: atsgate.databasePath).dumpTables())

        let bad = atsgate.workingDirectory.appendingPathComponent(name)
        try Data(contents.utf8).write(to: bad)
        let result = try await atsgate.execute(["import", bad.path])
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.contains("nothing was stored"))
        #expect(try await StoreContents(tables: SQLiteStore.open(path: atsgate.databasePath).dumpTables()) == before)
    }

    @Test("Exit codes: unknown target 2, usage 2, missing organisation 2, unreachable database 3, help 0")
    func exitCodes() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        #expect(try await atsgate.execute(["import", atsgate.exampleDataset]).exitCode == 0)

        let unknown = try await atsgate.execute(["jobs", "qualify", "job-001", "--organisation", "org-northwind", "--target", "workday"])
        #expect(unknown.exitCode == 2)
        #expect(unknown.stderr.contains("unknown target 'workday' (configured: bullhorn, email, loxo)"))
        #expect(try await listed(atsgate.execute(["outbox", "list", "--json"])).isEmpty)

        let usage = try await atsgate.execute(["jobs", "qualify"])
        #expect(usage.exitCode == 2)
        #expect(usage.stderr.contains("Missing expected argument"))

        let noOrganisation = try await atsgate.execute(["jobs", "skip", "job-001"])
        #expect(noOrganisation.exitCode == 2)
        #expect(noOrganisation.stderr.contains("--organisation is required"))

        let wrongTenant = try await atsgate.execute(["jobs", "close", "job-001", "--organisation", "org-bluepeak"])
        #expect(wrongTenant.exitCode == 2)
        #expect(wrongTenant.stderr.contains("no job 'job-001' in organisation 'org-bluepeak'"))

        let unreachable = try await atsgate.execute(["outbox", "list", "--database", "/nonexistent/folder/atsgate.sqlite"])
        #expect(unreachable.exitCode == 3, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("cannot open SQLite database"))

        let postgres = try await atsgate.execute(["outbox", "list", "--database", "postgres://localhost/atsgate"])
        #expect(postgres.exitCode == 2)

        let help = try await atsgate.execute(["--help"])
        #expect(help.exitCode == 0)
        #expect(help.stdout.contains("USAGE: atsgate <subcommand>"))
    }

    @Test("A broken connector file stops the command with file, line and field")
    func brokenConfiguration() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let connectors = atsgate.workingDirectory.appendingPathComponent("connectors")
        try FileManager.default.createDirectory(at: connectors, withIntermediateDirectories: true)
        try Data("kind: loxo\nagency_slug: a\napi_key: sk-123\n".utf8).write(to: connectors.appendingPathComponent("loxo.yaml"))
        #expect(try await atsgate.execute(["import", atsgate.exampleDataset]).exitCode == 0)
        let result = try await atsgate.execute(
            ["jobs", "qualify", "job-001", "--organisation", "org-northwind"],
            environment: ["ATSGATE_CONFIG": atsgate.workingDirectory.path]
        )
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("connectors/loxo.yaml:3: field 'api_key': unknown key"), "\(result.stderr)")
    }
}

@Suite("atsgate mappings end to end")
struct MappingsEndToEndTests {
    @Test("mappings check passes on the shipped files and names file, line and field on a broken one (exit 2)")
    func check() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        let shipped = try await atsgate.execute(["mappings", "check"])
        #expect(shipped.exitCode == 0, "\(shipped.stderr)")
        #expect(shipped.stdout.contains("ok  mappings/loxo.yaml"))

        try atsgate.writeTarget("loxo", "kind: loxo\nagency_slug: a\napi_key_env: K\n")
        let mappings = atsgate.workingDirectory.appendingPathComponent("mappings")
        try FileManager.default.createDirectory(at: mappings, withIntermediateDirectories: true)
        try Data("entities:\n  job:\n    title: { from: job.title }\n    salary: { from: job.salary, format: money }\n".utf8)
            .write(to: mappings.appendingPathComponent("loxo.yaml"))
        let broken = try await atsgate.execute(["mappings", "check"], environment: atsgate.localConfig)
        #expect(broken.exitCode == 2)
        #expect(broken.stderr.contains("mappings/loxo.yaml:4: field 'entities.job.salary.from': 'job.salary': job has no field 'salary'"), "\(broken.stderr)")

        try FileManager.default.removeItem(at: mappings.appendingPathComponent("loxo.yaml"))
        let missing = try await atsgate.execute(["mappings", "check"], environment: atsgate.localConfig)
        #expect(missing.exitCode == 2)
        #expect(missing.stderr.contains("connectors/loxo.yaml: field 'mapping': names mappings/loxo.yaml, which does not exist"))
    }

    @Test("mappings preview prints the Bullhorn JobOrder create with the target's own field names")
    func preview() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        #expect(try await atsgate.execute(["import", atsgate.exampleDataset]).exitCode == 0)
        let result = try await atsgate.execute(["mappings", "preview", "--job", "job-001", "--target", "bullhorn", "--organisation", "org-northwind", "--json"])
        #expect(result.exitCode == 0, "\(result.stderr)")
        let requests = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let create = try #require(requests.first { $0["method"] as? String == "PUT" && $0["path"] as? String == "/entity/JobOrder" })
        let job = create["body"] as? [String: Any]
        #expect(job?["externalID"] as? String == "atsgate:org-northwind:job-001")
        #expect(job?["isOpen"] as? Bool == true)
        #expect(requests.contains { $0["path"] as? String == "/entity/ClientContact" })

        // An email target previews the whole message it would send.
        let email = try await atsgate.execute(["mappings", "preview", "--job", "job-001", "--target", "email", "--organisation", "org-northwind"])
        #expect(email.exitCode == 0, "\(email.stderr)")
        #expect(email.stdout.contains("X-Atsgate-Marker: atsgate:org-northwind:job-001"))
        #expect(email.stdout.contains("Content-Type: multipart/alternative"))
    }

    @Test("mappings preview lists the exact Loxo requests of a create, and a close as a PUT of the mapped job")
    func loxoPreview() async throws {
        let atsgate = try AtsgateProcess()
        defer { atsgate.removeWorkingDirectory() }
        #expect(try await atsgate.execute(["import", atsgate.exampleDataset]).exitCode == 0)
        let create = try await atsgate.execute(["mappings", "preview", "--job", "job-001", "--target", "loxo", "--organisation", "org-northwind", "--json"])
        #expect(create.exitCode == 0, "\(create.stderr)")
        let requests = try #require(try JSONSerialization.jsonObject(with: Data(create.stdout.utf8)) as? [[String: Any]])
        #expect(requests.prefix(3).map { "\($0["method"] ?? "") \(($0["path"] as? String)?.split(separator: "?").first ?? "")" }
            == ["GET /companies", "POST /companies", "POST /jobs"])
        #expect(requests[1]["condition"] as? String == "only if no company is named exactly 'Halcyon Robotics'")
        let job = (requests[2]["body"] as? [String: Any])?["job"] as? [String: Any]
        #expect(job?["custom_text_1"] as? String == "atsgate:org-northwind:job-001")
        #expect(job?["company_id"] as? String == "<id of company 'Halcyon Robotics'>")
        #expect(requests.contains { ($0["path"] as? String)?.removingPercentEncoding == "/jobs/<id of the new job>/contacts" })

        let close = try await atsgate.execute(["mappings", "preview", "--job", "job-001", "--target", "loxo", "--organisation", "org-northwind", "--operation", "close"])
        #expect(close.exitCode == 0, "\(close.stderr)")
        #expect(close.stdout.contains("PUT /jobs/%3CLoxo%20job%20id%3E\n   (decoded: /jobs/<Loxo job id>)"))
        #expect(close.stdout.contains("Authorization: Bearer $ATSGATE_LOXO_API_KEY"))
    }
}
