import AtsgateCore
import AtsgateTesting
import Foundation
import Synchronization
import Testing

extension StoreConformance {
    /// The store rings its workers after every commit that queues or re-queues work; callers never do.
    @Suite("Wake-ups", .timeLimit(.minutes(1)))
    struct Wakeups {
        /// Hears the rings a listener gets: each question is answered by the next ring, or by the
        /// time limit when none comes.
        final class Ears: Sendable {
            let listener: any WakeupListener
            private let shared = Shared()
            private let hearing: Task<Void, Never>

            private struct State {
                /// Rings heard and not asked about yet (rings close together coalesce into one).
                var unheard = 0
                var waiter: CheckedContinuation<Bool, Never>?
            }

            /// The state the hearing task, the question and its time limit share.
            private final class Shared: Sendable {
                let state = Mutex(State())
            }

            init(_ store: some GatewayStore) async {
                // Listening has begun once `wakeups()` returns (a pipe, an in-process queue, a
                // LISTEN), so no ring after this is lost, even before the reader runs.
                listener = store.wakeupListener()
                let stream = await listener.wakeups()
                let shared = self.shared
                hearing = Task {
                    for await _ in stream {
                        let waiter = shared.state.withLock { state -> CheckedContinuation<Bool, Never>? in
                            guard let waiter = state.waiter else { state.unheard += 1; return nil }
                            state.waiter = nil
                            return waiter
                        }
                        waiter?.resume(returning: true)
                    }
                }
            }

            deinit {
                listener.close()
                hearing.cancel()
            }

            /// Whether a ring arrived since the last question, or arrives within `limit`.
            func rang(within limit: Duration = .seconds(2)) async -> Bool {
                let shared = self.shared
                var timeout: Task<Void, Never>?
                defer { timeout?.cancel() }
                return await withCheckedContinuation { continuation in
                    let heard = shared.state.withLock { state -> Bool in
                        if state.unheard > 0 { state.unheard = 0; return true }
                        state.waiter = continuation
                        return false
                    }
                    if heard { return continuation.resume(returning: true) }
                    // Started once the question waits, so the limit can only answer a waiting question.
                    timeout = Task {
                        // Cancelled: the question was answered; the next one is not this limit's.
                        guard (try? await Task.sleep(for: limit)) != nil else { return }
                        shared.state.withLock { state in defer { state.waiter = nil }; return state.waiter }?.resume(returning: false)
                    }
                }
            }
        }

        @Test("Workers hear a qualification, a replay, rows given back and a reconcile repair; reads, dry runs and no-ops ring nothing", arguments: StoreEngine.allCases)
        func rings(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            _ = try await subject.importSmallDataset()
            let ears = await Ears(subject.store)

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
                owner: "w1", now: Fixtures.now, limits: [DeliveryLane(Fixtures.loxo): 10], leaseDurations: [Fixtures.loxo: .seconds(30)]
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
