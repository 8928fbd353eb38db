import AtsgateCore
import AtsgateHTTP
import AtsgateTesting
import Foundation
import Synchronization
import Testing

extension StoreConformance {
    /// One find-or-create per key across processes: claims, their answers, lapsed claims.
    @Suite("Creation claims", .timeLimit(.minutes(1)))
    struct CreationClaims {
        static let key = CreationKey(target: "loxo", key: "company:acme")
        static let now = Fixtures.now

        func claim(
            _ store: any CreationClaimStore, _ owner: String, at now: Date = Self.now, key: CreationKey = Self.key
        ) async throws -> CreationClaim {
            try await store.claimCreation(key, owner: owner, now: now, leaseUntil: now.addingTimeInterval(60), answersSince: now.addingTimeInterval(-600))
        }

        @Test("A claim holds the key against other owners; its answer is handed to them; a failed one lets the next try", arguments: StoreEngine.allCases)
        func claimsAndAnswers(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            defer { withExtendedLifetime(subject) {} }
            let store = subject.store
            #expect(try await claim(store, "node-a") == .claimed)
            #expect(try await claim(store, "node-b") == .busy(until: Self.now.addingTimeInterval(60)))
            #expect(try await claim(store, "node-b", key: CreationKey(target: "bullhorn", key: Self.key.key)) == .claimed, "another target's key is another key")
            // Not the holder: finishing changes nothing.
            try await store.finishCreation(Self.key, owner: "node-b", remoteID: "wrong", now: Self.now)
            #expect(try await claim(store, "node-c") == .busy(until: Self.now.addingTimeInterval(60)))

            try await store.finishCreation(Self.key, owner: "node-a", remoteID: "C-7", now: Self.now.addingTimeInterval(1))
            #expect(try await claim(store, "node-b", at: Self.now.addingTimeInterval(2)) == .found(remoteID: "C-7"))
            // An answer older than the caller trusts is searched for again.
            let muchLater = Self.now.addingTimeInterval(3_600)
            #expect(try await claim(store, "node-b", at: muchLater) == .claimed)
            try await store.finishCreation(Self.key, owner: "node-b", remoteID: nil, now: muchLater)
            #expect(try await claim(store, "node-c", at: muchLater) == .claimed, "a failed find-or-create leaves no answer")
        }

        @Test("A claim whose worker died lapses: another owner takes it", arguments: StoreEngine.allCases)
        func lapsedClaim(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            defer { withExtendedLifetime(subject) {} }
            let store = subject.store
            #expect(try await claim(store, "killed") == .claimed)
            #expect(try await claim(store, "survivor", at: Self.now.addingTimeInterval(59)) == .busy(until: Self.now.addingTimeInterval(60)))
            #expect(try await claim(store, "survivor", at: Self.now.addingTimeInterval(61)) == .claimed)
            // The dead owner's late finish does not overwrite the new claim.
            try await store.finishCreation(Self.key, owner: "killed", remoteID: "stale", now: Self.now.addingTimeInterval(62))
            #expect(try await claim(store, "third", at: Self.now.addingTimeInterval(63)) == .busy(until: Self.now.addingTimeInterval(121)))
        }

        @Test("Finished claims of a target are removed a day after their answer, when another claim of it finishes", arguments: StoreEngine.allCases)
        func expiredClaimsRemoved(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            defer { withExtendedLifetime(subject) {} }
            let store = subject.store
            let other = CreationKey(target: "loxo", key: "company:globex")
            let elsewhere = CreationKey(target: "bullhorn", key: "company:acme")
            for key in [Self.key, elsewhere] {
                #expect(try await claim(store, "node-a", key: key) == .claimed)
                try await store.finishCreation(key, owner: "node-a", remoteID: "C-1", now: Self.now)
            }
            #expect(try await subject.snapshot().counts["creation_claims"] == 2)

            let nextDay = Self.now.addingTimeInterval(86_400 + 60)
            #expect(try await claim(store, "node-b", at: nextDay, key: other) == .claimed)
            try await store.finishCreation(other, owner: "node-b", remoteID: "C-2", now: nextDay)
            // The day-old answer of this target is gone; another target's stays until one of its own finishes.
            let lines = try await subject.snapshot().tables["creation_claims"] ?? []
            #expect(lines.count == 2, "\(lines)")
            #expect(!lines.contains { $0.contains("loxo") && $0.contains("company:acme") }, "\(lines)")
            #expect(lines.contains { $0.contains("bullhorn") && $0.contains("company:acme") }, "\(lines)")
        }

        @Test("Two processes' directories on one store find or create a company once; every caller gets its id", arguments: StoreEngine.allCases)
        func directoriesShareOneCreation(_ engine: StoreEngine) async throws {
            let subject = try await engine.open()
            defer { withExtendedLifetime(subject) {} }
            let store = subject.store
            let directories = ["process-1", "process-2", "process-3"].map { owner in
                FindOrCreateDirectory(shared: SharedCreations(store: store, target: "loxo", owner: owner, lease: .seconds(30), maximumWait: .seconds(20)))
            }
            let creations = Counter()
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for caller in 0..<12 {
                    group.addTask {
                        try await directories[caller % directories.count].id(for: "company:acme") { () throws(ConnectorError) in
                            let made = creations.increment()
                            // A target's search and create take a while: the others arrive meanwhile.
                            try? await Task.sleep(for: .milliseconds(100))
                            return "C-\(made)"
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(creations.value == 1)
            #expect(Set(ids) == ["C-1"])
            #expect(ids.count == 12)
        }
    }
}

/// A count shared by concurrent tasks.
private final class Counter: Sendable {
    private let count = Mutex(0)

    var value: Int { count.withLock { $0 } }

    func increment() -> Int {
        count.withLock { count in
            count += 1
            return count
        }
    }
}
