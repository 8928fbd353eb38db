@testable import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

@Suite("Rows claimed ahead of free slots")
struct ClaimedAheadTests {
    let now = Fixtures.now
    let webhook: TargetName = "webhook"

    func claim(_ id: Int64, target: TargetName = Fixtures.loxo) -> ClaimedSubmission {
        let entry = OutboxEntry(
            id: id, organisationID: "org-a", jobID: JobID("job-\(id)"), target: target, operation: .create, status: .inFlight,
            attempts: 1, leaseOwner: "w1", leaseExpiresAt: now.addingTimeInterval(40), jobVersion: 1, createdAt: now, updatedAt: now
        )
        let snapshot = JobSnapshot(
            job: Job(organisationID: "org-a", id: entry.jobID, companyID: "cmp-1", title: "Backend Engineer"),
            version: 1,
            company: Company(organisationID: "org-a", id: "cmp-1", name: "Halcyon Robotics")
        )
        return ClaimedSubmission(entry: entry, snapshot: snapshot, outcomeUnknown: false, enqueuedAt: now)
    }

    @Test("Rows are taken oldest first, per target, at most as many as asked")
    func takesInOrder() {
        var ahead = ClaimedAhead()
        ahead.append([claim(1), claim(2), claim(3, target: webhook)], claimedAt: now)
        ahead.append([claim(4)], claimedAt: now.addingTimeInterval(1))
        #expect(ahead.count(DeliveryLane(Fixtures.loxo)) == 3)
        #expect(ahead.take(2, of: DeliveryLane(Fixtures.loxo)).map(\.entry.id) == [1, 2])
        #expect(ahead.take(0, of: DeliveryLane(Fixtures.loxo)).isEmpty)
        #expect(ahead.take(5, of: DeliveryLane(Fixtures.loxo)).map(\.entry.id) == [4])
        #expect(!ahead.isEmpty)
        #expect(ahead.removeAll(of: DeliveryLane(webhook)).map(\.entry.id) == [3])
        #expect(ahead.isEmpty)
    }

    @Test("A row held for a quarter of its target's lease is stale; younger ones stay")
    func staleAfterAQuarterOfTheLease() {
        var ahead = ClaimedAhead()
        ahead.append([claim(1), claim(2)], claimedAt: now)
        ahead.append([claim(3)], claimedAt: now.addingTimeInterval(5))
        ahead.append([claim(4, target: webhook)], claimedAt: now)
        let leases: [TargetName: Duration] = [Fixtures.loxo: .seconds(40), webhook: .seconds(80)]
        #expect(ahead.removeStale(now: now.addingTimeInterval(9.9), leaseDurations: leases).isEmpty)
        let stale = ahead.removeStale(now: now.addingTimeInterval(10), leaseDurations: leases)
        #expect(stale.map(\.entry.id) == [1, 2])
        #expect(ahead.count(DeliveryLane(Fixtures.loxo)) == 1)
        #expect(ahead.count(DeliveryLane(webhook)) == 1, "the webhook's lease is longer")
        #expect(ahead.removeStale(now: now.addingTimeInterval(20), leaseDurations: leases).map(\.entry.id).sorted() == [3, 4])
        #expect(ahead.isEmpty)
    }
}
