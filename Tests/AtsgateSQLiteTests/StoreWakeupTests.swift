import AtsgateCore
import AtsgateSQLite
import AtsgateTesting
import Foundation
import Synchronization
import Testing

/// The store rings its workers after every commit that queues or re-queues work; callers never do.
@Suite("Store wake-ups", .timeLimit(.minutes(1)))
struct StoreWakeupTests {
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

    @Test("A file's workers hear a qualification and a replay; a dry run and reads ring nothing")
    func fileStore() async throws {
        let temporary = try TemporaryStore()
        _ = try await temporary.importSmallDataset()
        let ears = Ears(temporary.store)
        // The listener's pipe exists once it listens; give its reader thread a moment.
        try await Task.sleep(for: .milliseconds(50))

        _ = try await temporary.qualify("job-1", targets: [Fixtures.loxo])
        #expect(await ears.rang(), "a qualification queued a row")

        _ = try await temporary.store.outboxEntries(matching: OutboxFilter())
        #expect(await !ears.rang(within: .milliseconds(300)), "a read rings nothing")

        let row = try #require(try await temporary.entries().first)
        try await temporary.execute("UPDATE job_external_submissions SET status = 'failed', last_error_kind = 'rejected' WHERE id = ?", [row.id])
        _ = try await temporary.store.replay(.ids([row.id]), dryRun: true, actor: "op", now: Fixtures.now)
        #expect(await !ears.rang(within: .milliseconds(300)), "a dry run changes nothing")
        _ = try await temporary.store.replay(.ids([row.id]), dryRun: false, actor: "op", now: Fixtures.now)
        #expect(await ears.rang(), "a replay re-queued a row")
    }
}
