import AsyncHTTPClient
import AtsgateTesting
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The fake Loxo behaves as ATS_APIS.md part A says, checked with a plain HTTP client.
@Suite("Fake Loxo follows ATS_APIS.md", .timeLimit(.minutes(1)))
struct FakeLoxoTests {
    struct Answer {
        var status: Int
        var headers: [String: String]
        /// The decoded body: an object, an array, or nil when it is not JSON.
        var body: Any?
        var json: [String: Any] { body as? [String: Any] ?? [:] }
        var array: [[String: Any]]? { body as? [[String: Any]] }
    }

    func call(_ fake: FakeLoxo, _ method: HTTPMethod, _ path: String, json: String? = nil, form: String? = nil,
              key: String? = nil, slug: String? = nil, timeout: TimeAmount = .seconds(5)) async throws -> Answer {
        var request = HTTPClientRequest(url: "\(fake.baseURL)/api/\(slug ?? fake.agencySlug)\(path)")
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key ?? fake.apiKey)")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        } else if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 1 << 20)
        let decoded = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))
        return Answer(status: Int(response.status.code), headers: Dictionary(response.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }), body: decoded)
    }

    @Test("A wrong key is 401 and a wrong agency slug 404")
    func authentication() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            #expect(try await call(fake, .GET, "/jobs", key: "nope").status == 401)
            #expect(try await call(fake, .GET, "/jobs", slug: "other-agency").status == 404)
            #expect(try await call(fake, .GET, "/jobs").status == 200)
        }
    }

    @Test("A create missing required fields answers 200 with a null id and stores nothing")
    func nullID() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            let answer = try await call(fake, .POST, "/jobs", json: #"{"job": {"title": "Backend Engineer"}}"#)
            #expect(answer.status == 200)
            let job = answer.json["job"] as? [String: Any]
            #expect(job?["id"] is NSNull)
            #expect(job?["title"] as? String == "Backend Engineer")
            #expect(fake.jobs.isEmpty)
        }
    }

    @Test("JSON and form bodies both create; the read shape has {id, name} objects and money as strings")
    func createAndRead() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            let company = try await call(fake, .POST, "/companies", json: #"{"company": {"name": "Halcyon Robotics"}}"#)
            let companyID = try #require((company.json["company"] as? [String: Any])?["id"] as? Int)
            let created = try await call(fake, .POST, "/jobs", json: #"{"job": {"title": "Backend Engineer", "company_id": \#(companyID), "job_type_id": 3, "salary": "120000"}}"#)
            let job = try #require(created.json["job"] as? [String: Any])
            #expect(job["id"] is Int)
            #expect((job["status"] as? [String: Any])?["name"] as? String == "Active")
            #expect((job["job_type"] as? [String: Any])?["name"] as? String == "Contract")
            #expect((job["company"] as? [String: Any])?["name"] as? String == "Halcyon Robotics")
            #expect(job["salary"] as? String == "120000.0")

            let form = try await call(fake, .POST, "/jobs", form: "job[title]=Data+Engineer&job[raw_company_name]=Bramble%20%26%20Finch")
            #expect(((form.json["job"] as? [String: Any])?["id"]) is Int)
            #expect(fake.jobs.map { $0.fields["title"] } == ["Backend Engineer", "Data Engineer"])
            #expect(fake.jobs.last?.fields["raw_company_name"] == "Bramble & Finch")
        }
    }

    @Test("Jobs page with top-level cursor fields; paging past 10,000 results is a 400")
    func paging() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            fake.seedJobs(7)
            let page = try await call(fake, .GET, "/jobs?page=2&per_page=3")
            #expect(page.json["current_page"] as? Int == 2)
            #expect(page.json["total_pages"] as? Int == 3)
            #expect(page.json["per_page"] as? Int == 3)
            #expect(page.json["total_count"] as? Int == 7)
            #expect((page.json["results"] as? [Any])?.count == 3)
            let wall = try await call(fake, .GET, "/jobs?page=101&per_page=100")
            #expect(wall.status == 400)
            #expect((wall.json["errors"] as? [String])?.first?.contains("10000") == true)
        }
    }

    @Test("Companies page by scroll_id and refuse per_page with 422; query finds by field")
    func companies() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            for index in 0..<25 {
                _ = try await call(fake, .POST, "/companies", json: #"{"company": {"name": "Company \#(index)"}}"#)
            }
            #expect(try await call(fake, .GET, "/companies?per_page=50").status == 422)
            let first = try await call(fake, .GET, "/companies")
            #expect((first.json["companies"] as? [Any])?.count == 20)
            #expect(first.json["total_count"] as? Int == 25)
            let scrollID = try #require(first.json["scroll_id"] as? String)
            let second = try await call(fake, .GET, "/companies?scroll_id=\(scrollID)")
            #expect((second.json["companies"] as? [Any])?.count == 5)
            let found = try await call(fake, .GET, "/companies?query=name:%22Company%207%22")
            #expect((found.json["companies"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Company 7"])
        }
    }

    @Test("Scripted 429s, with and without Retry-After")
    func rateLimits() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            fake.script(.status(429, retryAfter: "3"), .status(429))
            let first = try await call(fake, .GET, "/jobs")
            #expect(first.status == 429)
            #expect(first.headers["Retry-After"] == "3" || first.headers["retry-after"] == "3")
            let second = try await call(fake, .GET, "/jobs")
            #expect(second.status == 429)
            #expect(second.headers.keys.allSatisfy { $0.lowercased() != "retry-after" })
            #expect(try await call(fake, .GET, "/jobs").status == 200)
        }
    }

    /// Creates a resource and returns the id the fake gave it.
    func create(_ fake: FakeLoxo, _ path: String, _ key: String, _ fields: String) async throws -> Int {
        let answer = try await call(fake, .POST, path, json: #"{"\#(key)": \#(fields)}"#)
        return try #require((answer.json[key] as? [String: Any])?["id"] as? Int)
    }

    // MARK: - Faults

    @Test("A latency delays every answer by at least that long")
    func latency() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            fake.setLatency(.milliseconds(300))
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try await call(fake, .GET, "/jobs")
            #expect(clock.now - start >= .milliseconds(300))
            #expect(answer.status == 200)
        }
    }

    @Test("An error rate fails the same requests for the same seed, and only some of them")
    func seededErrorRate() async throws {
        @Sendable func statuses(seed: UInt64) async throws -> [Int] {
            try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
                fake.setErrorRate(0.3, status: 503, seed: seed)
                var statuses: [Int] = []
                for _ in 0..<60 { statuses.append(try await call(fake, .GET, "/jobs").status) }
                return statuses
            }
        }
        let first = try await statuses(seed: 42)
        let again = try await statuses(seed: 42)
        #expect(first == again)
        #expect(Set(first) == [200, 503])
        #expect((8...30).contains(first.count { $0 == 503 }))
    }

    @Test("An error rate comes after the auth checks, keeps to its scope, and a failed write stores nothing")
    func errorRateScope() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            fake.setErrorRate(1, status: 502, seed: 7, on: .writesOnly)
            #expect(try await call(fake, .GET, "/jobs", key: "nope").status == 401)
            #expect(try await call(fake, .GET, "/jobs").status == 200)
            #expect(try await call(fake, .POST, "/companies", json: #"{"company": {"name": "Acme"}}"#).status == 502)
            #expect(fake.companies.isEmpty)
            fake.setErrorRate(0, seed: 7)
            #expect(try await call(fake, .POST, "/companies", json: #"{"company": {"name": "Acme"}}"#).status == 200)
        }
    }

    @Test("Commit, then hang: the write is stored, the client times out, reads pass the fault by")
    func commitThenHang() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            let companyID = try await create(fake, "/companies", "company", #"{"name": "Acme"}"#)
            fake.script(.commitThenHang)
            #expect(try await call(fake, .GET, "/jobs").status == 200)
            await #expect(throws: HTTPClientError.deadlineExceeded) {
                try await call(fake, .POST, "/jobs", json: #"{"job": {"title": "Held", "company_id": \#(companyID)}}"#, timeout: .seconds(2))
            }
            #expect(fake.jobs.map { $0.fields["title"] } == ["Held"])
            #expect(try await call(fake, .POST, "/jobs", json: #"{"job": {"title": "Next", "company_id": \#(companyID)}}"#).status == 200)
        }
    }

    @Test("Commit, then drop the connection: the record is stored and the client gets a connection error, not a status")
    func commitThenDropConnection() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            fake.script(.commitThenDropConnection)
            #expect(try await call(fake, .GET, "/companies").status == 200)
            await #expect(throws: HTTPClientError.remoteConnectionClosed) {
                try await call(fake, .POST, "/companies", json: #"{"company": {"name": "Dropped Inc"}}"#)
            }
            #expect(fake.companies.map { $0.fields["name"] } == ["Dropped Inc"])
            #expect(fake.requests.filter { $0.method == "POST" }.count == 1)
            #expect(try await call(fake, .POST, "/companies", json: #"{"company": {"name": "Answered Inc"}}"#).status == 200)
        }
    }

    @Test("The request log keeps the body of writes")
    func requestBodies() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            _ = try await call(fake, .POST, "/jobs", form: "job[title]=Data+Engineer&job[raw_company_name]=Bramble")
            _ = try await call(fake, .GET, "/jobs?page=1")
            #expect(fake.requests.map(\.body) == ["job[title]=Data+Engineer&job[raw_company_name]=Bramble", nil])
            #expect(fake.requests.last?.query == "page=1")
        }
    }

    // MARK: - Routes

    @Test("Job statuses come as one top-level list; a cursor parameter is a 422")
    func jobStatuses() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            let statuses = try #require(try await call(fake, .GET, "/job_statuses").array)
            #expect(statuses.map { $0["id"] as? Int } == [1, 2, 3])
            #expect(statuses.map { $0["name"] as? String } == ["Active", "Closed", "Filled"])
            let paged = try await call(fake, .GET, "/job_statuses?page=2&per_page=50")
            #expect(paged.status == 422)
            #expect(paged.json["errors"] as? [String] == ["Invalid parameters: [:page, :per_page]"])
            #expect(try await call(fake, .GET, "/job_statuses?scroll_id=ab").status == 422)
        }
    }

    @Test("A job's hiring contacts are listed with the person's name and emails")
    func jobContacts() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            let companyID = try await create(fake, "/companies", "company", #"{"name": "Acme"}"#)
            let personID = try await create(fake, "/people", "person", #"{"name": "Ada Byron", "email": "ada@acme.com", "title": "CTO"}"#)
            let jobID = try await create(fake, "/jobs", "job", #"{"title": "Backend Engineer", "company_id": \#(companyID)}"#)
            #expect(try await call(fake, .GET, "/jobs/\(jobID)/contacts").array?.isEmpty == true)
            let added = try await call(fake, .POST, "/jobs/\(jobID)/contacts", json: #"{"job_contact": {"person_id": \#(personID), "job_contact_type_id": 3}}"#)
            #expect((added.json["job_contact"] as? [String: Any])?["person_id"] as? Int == personID)

            let contacts = try #require(try await call(fake, .GET, "/jobs/\(jobID)/contacts").array)
            #expect(contacts.count == 1)
            #expect(contacts.first?["person_id"] as? Int == personID)
            #expect(contacts.first?["job_contact_type_id"] as? Int == 3)
            #expect(contacts.first?["name"] as? String == "Ada Byron")
            #expect((contacts.first?["emails"] as? [[String: Any]])?.first?["value"] as? String == "ada@acme.com")
            #expect(try await call(fake, .GET, "/jobs/1/contacts").status == 404)
        }
    }

    @Test("Companies and people are read one at a time; an unknown id is a 404")
    func showRecords() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            let companyID = try await create(fake, "/companies", "company", #"{"name": "Acme"}"#)
            let personID = try await create(fake, "/people", "person", #"{"name": "Ada Byron", "email": "ada@acme.com"}"#)
            let company = try await call(fake, .GET, "/companies/\(companyID)")
            #expect(company.json["id"] as? Int == companyID)
            #expect(company.json["name"] as? String == "Acme")
            let person = try await call(fake, .GET, "/people/\(personID)")
            #expect(person.json["email"] as? String == "ada@acme.com")
            #expect(try await call(fake, .GET, "/companies/\(personID)").status == 404)
            #expect(try await call(fake, .GET, "/people/\(companyID)").status == 404)
        }
    }

    @Test("query is loose like a ranked search: field:\"value\" also returns near matches")
    func looseSearch() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            for name in ["Acme", "Acme Holdings", "ACME Logistics", "Bramble"] {
                _ = try await create(fake, "/companies", "company", #"{"name": "\#(name)"}"#)
            }
            for (name, email) in [("Ann", "ann@acme.com"), ("Jo Ann", "joann@acme.com"), ("Bob", "bob@acme.com")] {
                _ = try await call(fake, .POST, "/people", form: "person[name]=\(name)&person[email]=\(email)")
            }
            let companies = try await call(fake, .GET, "/companies?query=name:%22Acme%22")
            #expect((companies.json["companies"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Acme", "Acme Holdings", "ACME Logistics"])
            let people = try await call(fake, .GET, "/people?query=email:%22ann@acme.com%22")
            #expect((people.json["people"] as? [[String: Any]])?.compactMap { $0["email"] as? String } == ["ann@acme.com", "joann@acme.com"])
        }
    }

    @Test("GET /jobs combines job_status_id with query")
    func statusAndQuery() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            for (title, status) in [("Backend Engineer", 1), ("Data Engineer", 2), ("Office Manager", 2)] {
                _ = try await call(fake, .POST, "/jobs", json: #"{"job": {"title": "\#(title)", "raw_company_name": "Acme", "job_status_id": \#(status)}}"#)
            }
            let found = try await call(fake, .GET, "/jobs?job_status_id=2&query=title:%22Engineer%22")
            #expect((found.json["results"] as? [[String: Any]])?.compactMap { $0["title"] as? String } == ["Data Engineer"])
            #expect(found.json["total_count"] as? Int == 1)
        }
    }

    @Test("A known job_status_id sets the status; an unknown one is a 422 on create and update; PUT to an unknown job is a 404")
    func jobStatusValidation() async throws {
        try await FakeLoxo.withRunning { (fake: FakeLoxo) async throws in
            let closed = try await call(fake, .POST, "/jobs", json: #"{"job": {"title": "Backend Engineer", "raw_company_name": "Acme", "job_status_id": 2}}"#)
            let job = try #require(closed.json["job"] as? [String: Any])
            #expect((job["status"] as? [String: Any])?["name"] as? String == "Closed")
            let jobID = try #require(job["id"] as? Int)

            let unknown = try await call(fake, .POST, "/jobs", json: #"{"job": {"title": "Data Engineer", "raw_company_name": "Acme", "job_status_id": 99}}"#)
            #expect(unknown.status == 422)
            #expect((unknown.json["errors"] as? [String])?.isEmpty == false)
            #expect(fake.jobs.count == 1)

            #expect(try await call(fake, .PUT, "/jobs/\(jobID)", form: "job[job_status_id]=99").status == 422)
            #expect(fake.jobs.first?.fields["job_status_id"] == "2")
            #expect(try await call(fake, .PUT, "/jobs/\(jobID)", form: "job[job_status_id]=3").status == 200)
            #expect(fake.jobs.first?.fields["job_status_id"] == "3")
            #expect(try await call(fake, .PUT, "/jobs/1", form: "job[title]=Nope").status == 404)
        }
    }
}
