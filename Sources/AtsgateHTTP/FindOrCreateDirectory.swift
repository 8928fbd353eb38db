public import AtsgateCore
public import Foundation
import Synchronization

/// Finds or creates each company and person at a target at most once per key, and remembers the id.
///
/// Two deliveries of the same company's jobs running at once would otherwise both miss in the
/// search and both create; and a target's search is an index, which may not show a record created
/// a moment ago. So one find-or-create runs at a time per key, and the ones waiting for it reuse
/// its answer: within this process by waiting in line, and — given ``SharedCreations`` — across
/// every process and node on the same store, through a claim in the store.
public final class FindOrCreateDirectory: Sendable {
    private struct State {
        var known: [String: String] = [:]
        var busy: Set<String> = []
        var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let state = Mutex(State())
    private let shared: SharedCreations?

    /// - Parameter shared: the store's claims, for a guarantee across processes; `nil` keeps it to this process.
    public init(shared: SharedCreations? = nil) {
        self.shared = shared
    }

    public func id(for key: String, findOrCreate: () async throws(ConnectorError) -> String) async throws(ConnectorError) -> String {
        if let known = state.withLock({ $0.known[key] }) { return known }
        await acquire(key)
        defer { release(key) }
        if let known = state.withLock({ $0.known[key] }) { return known }
        let id = if let shared {
            try await shared.id(for: key, findOrCreate: findOrCreate)
        } else {
            try await findOrCreate()
        }
        state.withLock { $0.known[key] = id }
        return id
    }

    private func acquire(_ key: String) async {
        await withCheckedContinuation { continuation in
            let mustWait = state.withLock { state -> Bool in
                guard state.busy.insert(key).inserted else {
                    state.waiting[key, default: []].append(continuation)
                    return true
                }
                return false
            }
            if !mustWait { continuation.resume() }
        }
    }

    /// Hands the key to the next waiter, if any; it stays busy until nobody waits.
    private func release(_ key: String) {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard var queue = state.waiting[key], !queue.isEmpty else {
                state.busy.remove(key)
                return nil
            }
            let next = queue.removeFirst()
            state.waiting[key] = queue.isEmpty ? nil : queue
            return next
        }
        next?.resume()
    }
}

/// One find-or-create per key across every process using the store (``CreationClaimStore``):
/// a worker claims the key, finds or creates, and leaves the id for the others, who wait for it.
public struct SharedCreations: Sendable {
    public var store: any CreationClaimStore
    public var target: TargetName
    /// This process's name in the claims (unique per process).
    public var owner: String
    /// How long a claim holds if its worker dies without finishing it.
    public var lease: Duration
    /// How long an id another worker found is trusted without searching again.
    public var answersFor: Duration
    /// How long a worker waits for another's claim before giving up on this attempt (it is retried).
    public var maximumWait: Duration

    public init(
        store: any CreationClaimStore, target: TargetName, owner: String, lease: Duration = .seconds(60),
        answersFor: Duration = .seconds(600), maximumWait: Duration = .seconds(30)
    ) {
        self.store = store
        self.target = target
        self.owner = owner
        self.lease = lease
        self.answersFor = answersFor
        self.maximumWait = maximumWait
    }

    /// Claims for `target`'s connector in this process: a claim outlives a search, a create and a
    /// search after a failed create (three requests of `requestTimeout`), so it never lapses while
    /// its worker is still working.
    public static func forConnector(store: (any CreationClaimStore)?, target: TargetName, requestTimeout: Duration) -> SharedCreations? {
        guard let store else { return nil }
        return SharedCreations(
            store: store, target: target, owner: OutboxDispatcher.Configuration.defaultWorkerID(),
            lease: requestTimeout * 3 + .seconds(5), maximumWait: requestTimeout * 3 + .seconds(5)
        )
    }

    func id(for key: String, findOrCreate: () async throws(ConnectorError) -> String) async throws(ConnectorError) -> String {
        let claimKey = CreationKey(target: target, key: key)
        let clock = ContinuousClock()
        let giveUp = clock.now.advanced(by: maximumWait)
        var pause = Duration.milliseconds(20)
        while true {
            let now = Date()
            let claim: CreationClaim
            do {
                claim = try await store.claimCreation(
                    claimKey, owner: owner, now: now, leaseUntil: now.adding(lease),
                    answersSince: now.addingTimeInterval(-answersFor.timeInterval)
                )
            } catch {
                throw ConnectorError(kind: .transient, message: "could not claim the creation of \(claimKey) in the store: \(error)")
            }
            switch claim {
            case .found(let remoteID):
                return remoteID
            case .claimed:
                do throws(ConnectorError) {
                    let id = try await findOrCreate()
                    try? await store.finishCreation(claimKey, owner: owner, remoteID: id, now: Date())
                    return id
                } catch {
                    try? await store.finishCreation(claimKey, owner: owner, remoteID: nil, now: Date())
                    throw error
                }
            case .busy:
                guard clock.now < giveUp else {
                    throw ConnectorError(
                        kind: .transient,
                        message: "another worker has been finding or creating \(claimKey) for over \(maximumWait); trying again later"
                    )
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(500))
            }
        }
    }
}
