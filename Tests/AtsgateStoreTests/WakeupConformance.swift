import AtsgateCore
import AtsgateTesting
import Foundation
import Synchronization
import Testing

extension StoreConformance {
    /// The store rings its workers after every commit that queues or re-queues work; callers never do.
    @Suite("Wake-ups", .timeLimit(.minutes(1)))
    struct Wakeups {
        /// Counts the rings a listener hears.
        final class Ears: Sendable {
            let listener: any WakeupListener
            private let rings: Counter
            private let hearing: Task<Void, Never>

            final class Counter: Sendable {
                let value = Mutex(0)
            }

            init(_ store: some GatewayStore) {
                listener = store.wakeupListener()
                let rings = Counter()
                let stream = listener.wakeups()
                hearing = Task { for await _ in stream { rings.value.withLock { $0 += 1 } } }
                self.rings = rings
            }

            deinit {
                listener.close()
                hearing.cancel()
            }

            /// Whether a ring arrived since the last question, or arrives within `limit` (rings close
            /// together coalesce into one).
            func rang(within limit: Duration = .seconds(2)) async -> Bool {
                let deadline = ContinuousClock.now + limit
                while true {
                    if rings.value.withLock({ count in defer { count = 0 }; return count > 0 }) { return true }
                    if ContinuousClock.now >= deadline { return false }
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
        }

        @Test("Workers hear a qualification, a replay, rows given back and a reconcile repair; reads, dry runs and no-ops ring nothing", arguments: StoreEngine.allCases)
        func rings(_ engine: StoreEngine) async throws {
            let subject = try engine.open()
            _ = try await subject.importSmallDataset()
            let ears = Ears(subject.store)
            // A named pipe exists once its reader listens; give the reader thread a moment.
            try await Task.sleep(for: .milliseconds(50))

            _ = try await subject.qualify("job-1", targets: [Fixtures.loxo])
            #expect(await ears.rang(), "a qualification queued a row")

            _ = try await subject.store.outboxEntries(matching: OutboxFilter())
            #expect(await !ears.rang(within: .milliseconds(300)), "a read rings nothing")

            let row = try #require(try await subject.entries().first)
            try await subject.store.plantFailed(entryID: row.id, kind: .rejected, message: "refused")
            _ = try await subject.store.replay(.ids([row.id]), dryRun: true, actor: "op", now: Fixtures.now)
            #expect(await !ears.rang(within: .milliseconds(300)), "a dry run changes nothing")
            _ = try await subject.store.replay(.ids([row.id]), dryRun: false, actor: "op", now: Fixtures.now)
            #expect(await ears.rang(), "a replay re-queued a row")

            let claimed = try await subject.store.claimSubmissions(ClaimRequest(
                owner: "w1", now: Fixtures.now, limits: [Fixtures.loxo: 10], leaseDurations: [Fixtures.loxo: .seconds(30)]
            ))
            #expect(await !ears.rang(within: .milliseconds(300)), "a claim queues nothing")
            #expect(try await subject.store.releaseUnattempted(claimed.map { UnattemptedLease($0, owner: "w1") }, now: Fixtures.now) == 1)
            #expect(await ears.rang(), "a row given back is due again")

            let run = try await subject.store.startReconcileRun(organisationID: "org-a", target: Fixtures.loxo, now: Fixtures.now, staleAfter: .seconds(600))
            let unsynced = ReconcileFinding(
                category: .unsynced, jobID: "job-2", remoteID: nil, detail: "qualified here, nothing at the target", repair: .enqueueCreate
            )
            // job-2 qualified for Bullhorn only: at Loxo it is unsynced, which the repair queues.
            _ = try await subject.qualify("job-2", targets: [Fixtures.bullhorn])
            #expect(await ears.rang())
            let repaired = try await subject.store.applyRepairs([unsynced], organisationID: "org-a", target: Fixtures.loxo, runID: run, actor: "op", now: Fixtures.now)
            #expect(repaired == 1)
            #expect(await ears.rang(), "a reconcile repair queued a row")
            #expect(try await subject.store.applyRepairs([unsynced], organisationID: "org-a", target: Fixtures.loxo, runID: run, actor: "op", now: Fixtures.now) == 0)
            #expect(await !ears.rang(within: .milliseconds(300)), "a repair already under way queues nothing")
        }
    }
}
