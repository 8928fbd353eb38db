import Synchronization

/// Group commit: attempts finishing at about the same time are settled in one transaction.
///
/// Each delivery waits for its own result, so a row's lease is never given up before its
/// outcome is durable. The queue's `run()` is a task of its own, so a delivery cancelled at
/// shutdown still has its outcome written.
final class SettlementQueue: Sendable {
    private enum Item {
        case submission(DeliveryRecord, CheckedContinuation<Settlement.Result, any Error>)
        case notification(NotificationRecord, CheckedContinuation<Bool, any Error>)
    }

    private let pending = Mutex<[Item]>([])
    /// Records handed in and not yet written (queued, or in the batch being written).
    private let unsettled = Mutex(0)
    private let pings: AsyncStream<Void>
    private let ping: AsyncStream<Void>.Continuation
    private let store: any DispatchStore
    private let outage: StoreOutage

    /// The longest a store outage is waited out for one batch: past it, the rows' leases have
    /// lapsed anyway and the next attempts find out what happened.
    static let longestOutage = Duration.seconds(60)

    init(store: any DispatchStore, outage: StoreOutage) {
        self.store = store
        self.outage = outage
        (pings, ping) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Whether more records wait to be written than a target of `concurrency` has slots: its
    /// deliveries then keep their slots until settled, so the backlog stops growing.
    func isBehind(forConcurrency concurrency: Int) -> Bool {
        unsettled.withLock { $0 } > max(concurrency, 1)
    }

    func settle(_ record: DeliveryRecord) async throws -> Settlement.Result {
        unsettled.withLock { $0 += 1 }
        defer { unsettled.withLock { $0 -= 1 } }
        return try await withCheckedThrowingContinuation { continuation in
            pending.withLock { $0.append(.submission(record, continuation)) }
            ping.yield()
        }
    }

    func settle(_ record: NotificationRecord) async throws -> Bool {
        unsettled.withLock { $0 += 1 }
        defer { unsettled.withLock { $0 -= 1 } }
        return try await withCheckedThrowingContinuation { continuation in
            pending.withLock { $0.append(.notification(record, continuation)) }
            ping.yield()
        }
    }

    /// Stops after writing everything already queued.
    func finish() {
        ping.finish()
    }

    /// Writes what is queued until ``finish()``. It runs in a task of its own, so cancelling the
    /// worker does not end it: cancelled deliveries still wait here for their outcomes to be
    /// written, and the worker waits for them.
    func run() async {
        await Task {
            for await _ in pings {
                await flush()
            }
            await flush()
        }.value
    }

    private func flush() async {
        let batch = pending.withLock { items -> [Item] in
            defer { items.removeAll() }
            return items
        }
        var submissions: [(DeliveryRecord, CheckedContinuation<Settlement.Result, any Error>)] = []
        var notifications: [(NotificationRecord, CheckedContinuation<Bool, any Error>)] = []
        for item in batch {
            switch item {
            case let .submission(record, continuation): submissions.append((record, continuation))
            case let .notification(record, continuation): notifications.append((record, continuation))
            }
        }
        if !submissions.isEmpty {
            do {
                let results = try await outage.call("settle attempts", limit: Self.longestOutage) { try await store.settle(submissions.map(\.0)) }
                for (index, entry) in submissions.enumerated() { entry.1.resume(returning: results[index]) }
            } catch {
                for entry in submissions { entry.1.resume(throwing: error) }
            }
        }
        if !notifications.isEmpty {
            do {
                let results = try await outage.call("settle notification attempts", limit: Self.longestOutage) {
                    try await store.settleNotifications(notifications.map(\.0))
                }
                for (index, entry) in notifications.enumerated() { entry.1.resume(returning: results[index]) }
            } catch {
                for entry in notifications { entry.1.resume(throwing: error) }
            }
        }
    }
}
