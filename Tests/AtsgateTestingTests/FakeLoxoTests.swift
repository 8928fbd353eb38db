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
        var json: [String: Any]
    }

    func call(_ fake: FakeLoxo, _ method: HTTPMethod, _ path: String, json: String? = nil, form: String? = nil,
              key: String? = nil, slug: String? = nil) async throws -> Answer {
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
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        return Answer(status: Int(response.status.code), headers: Dictionary(response.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }), json: object)
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
}
