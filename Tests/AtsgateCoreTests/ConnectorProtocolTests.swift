import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

@Suite("Connector protocol")
struct ConnectorProtocolTests {
    let snapshot = JobSnapshot(
        job: Job(organisationID: "org-a", id: "job-1", companyID: "cmp-1", title: "Backend Engineer"),
        version: 3,
        company: Company(organisationID: "org-a", id: "cmp-1", name: "Halcyon Robotics")
    )

    @Test("Markers carry the organisation and read back; foreign values are not markers")
    func markers() {
        let marker = JobMarker(organisationID: "org-a", jobID: "job:1")
        #expect(marker.description == "atsgate:org-a:job:1")
        #expect(JobMarker(parsing: marker.description) == marker)
        #expect(JobMarker(parsing: "CRM-123") == nil)
        #expect(JobMarker(parsing: "atsgate::job") == nil)
    }

    @Test("An ATS-style connector: create, adopt a record found by marker, report duplicates")
    func atsStyle() async throws {
        let ats = ScriptedConnector(target: Fixtures.loxo, capabilities: .ats)
        ats.scriptSubmits(.success(SubmissionReceipt(externalID: "3406638", httpStatus: 200)))
        let receipt = try await ats.submit(SubmissionRequest(operation: .create, snapshot: snapshot))
        #expect(receipt.externalID == "3406638")
        #expect(!receipt.adoptedExisting)

        ats.scriptLookup(snapshot.marker, returns: [
            RemoteJob(remoteID: "1", marker: snapshot.marker, isOpen: true),
            RemoteJob(remoteID: "2", marker: snapshot.marker, isOpen: true),
        ])
        let found = try await ats.findJobs(carrying: snapshot.marker)
        #expect(found.map(\.remoteID) == ["1", "2"])
        #expect(ats.lookedUpMarkers == [snapshot.marker])
        #expect(ats.submittedRequests.map(\.snapshot.version) == [3])
    }

    @Test("Every error kind travels typed, with its status and Retry-After", arguments: ErrorKind.allCases)
    func errorKinds(kind: ErrorKind) async throws {
        let ats = ScriptedConnector(target: Fixtures.bullhorn, capabilities: .ats)
        let error = ConnectorError(kind: kind, message: "target said no", httpStatus: 400 + kind.rawValue.count, retryAfter: kind == .rateLimited ? .seconds(1) : nil)
        ats.scriptSubmits(.failure(error))
        do {
            _ = try await ats.submit(SubmissionRequest(operation: .update, snapshot: snapshot, externalID: "46"))
            Issue.record("the scripted failure did not surface")
        } catch {
            #expect(error.kind == kind)
            #expect(error.httpStatus == 400 + kind.rawValue.count)
            #expect(error.kind.isRetryable == [.transient, .rateLimited, .auth].contains(kind))
        }
    }

    @Test("A mailbox declares what it lacks: no lookup, no listing")
    func mailbox() async {
        let mailbox = ScriptedConnector(target: Fixtures.email, capabilities: .mailbox)
        #expect(mailbox.capabilities.contains(.notifications))
        #expect(!mailbox.capabilities.contains(.remoteListing))
        await #expect(throws: ConnectorError.unsupported("remote listing", target: Fixtures.email)) {
            _ = try await mailbox.listJobs(page: nil)
        }
        await #expect(throws: ConnectorError.unsupported("lookup by marker", target: Fixtures.email)) {
            _ = try await mailbox.findJobs(carrying: snapshot.marker)
        }
    }

    @Test("A paged listing streams every job and passes each page's token on")
    func listing() async throws {
        let ats = ScriptedConnector(target: Fixtures.loxo, capabilities: .ats)
        ats.scriptPages(
            .success(RemoteJobPage(jobs: [RemoteJob(remoteID: "1", marker: nil, isOpen: true), RemoteJob(remoteID: "2", marker: nil, isOpen: false)], next: RemotePageToken("p2"))),
            .success(RemoteJobPage(jobs: [], next: RemotePageToken("p3"))),
            .success(RemoteJobPage(jobs: [RemoteJob(remoteID: "3", marker: snapshot.marker, isOpen: true)], next: nil))
        )
        var ids: [String] = []
        for try await job in ats.allJobs() {
            ids.append(job.remoteID)
        }
        #expect(ids == ["1", "2", "3"])
        #expect(ats.requestedPages == [nil, RemotePageToken("p2"), RemotePageToken("p3")])
    }

    @Test("A page that fails ends the listing with the connector's error, so it is never taken as complete")
    func partialListing() async {
        let ats = ScriptedConnector(target: Fixtures.loxo, capabilities: .ats)
        ats.scriptPages(
            .success(RemoteJobPage(jobs: [RemoteJob(remoteID: "1", marker: nil, isOpen: true)], next: RemotePageToken("p2"))),
            .failure(.rejected("Paginating past the first 10000 results is not supported", httpStatus: 400))
        )
        var seen = 0
        await #expect(throws: ConnectorError.rejected("Paginating past the first 10000 results is not supported", httpStatus: 400)) {
            for try await _ in ats.allJobs() { seen += 1 }
        }
        #expect(seen == 1)
    }
}
