import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// The worker: claims due outbox rows and notifications with a lease, delivers them through
/// their target's connector, and settles each attempt in the store.
///
/// Per target it keeps at most `concurrency` deliveries in flight, spends tokens from a bucket
/// of `rate_limit`, and skips the target while its circuit is open or a 429 paused it. It wakes
/// at once when a ``WakeupListener`` rings, when a delivery frees a slot, or when the next row
/// falls due, and polls every `pollInterval` besides. Under load it holds a few rows claimed
/// ahead of free slots (``ClaimedAhead``), so a freed slot does not wait for the next claim.
///
/// On graceful shutdown it stops claiming, gives back the rows claimed ahead, and lets in-flight deliveries finish; after
/// `shutdownGrace` it cancels the rest, whose rows go back to `pending` at once.
///
/// ## Topics
/// ### Running
/// - ``run()``
/// - ``Configuration``
public struct OutboxDispatcher: Service, CustomStringConvertible {
    /// What service-lifecycle logs for this service: never the connectors and secrets it holds.
    public var description: String { "OutboxDispatcher(worker: \(configuration.workerID))" }

    public struct Configuration: Sendable {
        /// Written as the lease owner; unique per worker process. The default is `host:pid:random`.
        public var workerID: String
        /// The longest sleep between looks at the store when nothing rings. The default is 1 s.
        public var pollInterval: Duration
        /// Exit once nothing is due or in flight (retries scheduled later do not count). The default is `false`.
        public var untilIdle: Bool
        /// How long in-flight deliveries may take to finish after shutdown begins. The default is 10 s.
        public var shutdownGrace: Duration
        /// The most rows claimed per target in one transaction. The default is 256.
        public var claimBatchSize: Int
        /// The target that carries decision-maker notifications; `nil` leaves them queued.
        public var notificationTarget: TargetName?
        /// Told what the loop is about to do, for tests to wait on instead of sleeping. The default is none.
        public var observer: (@Sendable (DispatcherEvent) -> Void)?

        public init(
            workerID: String = Self.defaultWorkerID(),
            pollInterval: Duration = .seconds(1),
            untilIdle: Bool = false,
            shutdownGrace: Duration = .seconds(10),
            claimBatchSize: Int = 256,
            notificationTarget: TargetName? = nil,
            observer: (@Sendable (DispatcherEvent) -> Void)? = nil
        ) {
            self.workerID = workerID
            self.pollInterval = pollInterval
            self.untilIdle = untilIdle
            self.shutdownGrace = shutdownGrace
            self.claimBatchSize = claimBatchSize
            self.notificationTarget = notificationTarget
            self.observer = observer
        }

        public static func defaultWorkerID() -> String {
            let host = ProcessInfo.processInfo.hostName
            return "\(host):\(ProcessInfo.processInfo.processIdentifier):\(UInt32.random(in: 0...UInt32.max))"
        }
    }

    let store: any DispatchStore
    let catalog: TargetCatalog
    let connectors: any ConnectorDirectory
    let configuration: Configuration
    let clock: any GatewayClock
    let wakeups: (any WakeupListener)?
    let redactor: SecretRedactor
    let logger: Logger
    let jitter: JitterSource
    /// Waits out a store that cannot be reached, so a database restart does not stop the worker.
    private let outage: StoreOutage

    /// One connector per target for every organisation (the target files' credentials).
    public init(
        store: any DispatchStore,
        catalog: TargetCatalog,
        connectors: [TargetName: any Connector],
        configuration: Configuration = Configuration(),
        clock: any GatewayClock = SystemClock(),
        wakeups: (any WakeupListener)? = nil,
        redactor: SecretRedactor = SecretRedactor(secrets: []),
        jitter: JitterSource = JitterSource(),
        logger: Logger = Logger(label: "atsgate.dispatcher")
    ) {
        self.init(
            store: store, catalog: catalog, directory: FixedConnectors(connectors, redactor: redactor), configuration: configuration,
            clock: clock, wakeups: wakeups, redactor: redactor, jitter: jitter, logger: logger
        )
    }

    /// Each row delivered through its organisation's connection (``ConnectorDirectory``).
    public init(
        store: any DispatchStore,
        catalog: TargetCatalog,
        directory: any ConnectorDirectory,
        configuration: Configuration = Configuration(),
        clock: any GatewayClock = SystemClock(),
        wakeups: (any WakeupListener)? = nil,
        redactor: SecretRedactor = SecretRedactor(secrets: []),
        jitter: JitterSource = JitterSource(),
        logger: Logger = Logger(label: "atsgate.dispatcher")
    ) {
        self.store = store
        self.catalog = catalog
        self.connectors = directory
        self.configuration = configuration
        self.clock = clock
        self.wakeups = wakeups
        self.redactor = redactor
        self.jitter = jitter
        self.logger = logger
        self.outage = StoreOutage(logger: logger)
    }

    /// Targets whose connectors reuse companies and people created earlier.
    var referencesWanted: Set<TargetName> {
        connectors.targets.filter { connectors.capabilities(of: $0).contains(.remembersReferences) }
    }

    /// The lease a row gets: the attempt's deadline (`attempt_timeout`) and time to settle it.
    /// An attempt starts no request that could outlive its deadline, so it is over before its
    /// lease can lapse and another attempt take the row.
    public static func leaseDuration(for target: TargetConfiguration) -> Duration {
        target.attemptTimeout + settleMargin
    }

    /// Between an attempt's deadline and its lease's end: time to settle the attempt.
    public static let settleMargin: Duration = .seconds(5)

    public func run() async throws {
        let signal = WakeSignal()
        let stopping = StopFlag()
        let settlements = SettlementQueue(store: store, outage: outage)
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await settlements.run() }
                if let wakeups {
                    let rings = await wakeups.wakeups()
                    group.addTask {
                        for await _ in rings { signal.fire() }
                    }
                }
                logger.info("worker started", metadata: [
                    "worker_id": "\(configuration.workerID)", "until_idle": "\(configuration.untilIdle)",
                    "targets": "\(connectors.targets.sorted().map(\.rawValue).joined(separator: ","))",
                ])
                defer { wakeups?.close() }
                do {
                    try await dispatchLoop(signal: signal, stopping: stopping, settlements: settlements)
                } catch {
                    settlements.finish()
                    throw error
                }
                settlements.finish()
                group.cancelAll()
                try await group.waitForAll()
            }
        } onGracefulShutdown: {
            stopping.set()
            signal.fire()
        }
    }

    // MARK: - The loop

    private func dispatchLoop(signal: WakeSignal, stopping: StopFlag, settlements: SettlementQueue) async throws {
        // A target without a connector in this build keeps its rows pending rather than failing them.
        let targets = catalog.targets.values.filter { $0.isEnabled && connectors.targets.contains($0.name) }.sorted { $0.name < $1.name }
        for target in catalog.targets.values where target.isEnabled && !connectors.targets.contains(target.name) {
            logger.warning("no connector for this target in this build; its rows stay pending", metadata: ["target": "\(target.name)", "kind": "\(target.kind.rawValue)"])
        }
        let gates = LaneGates(catalog: catalog, clock: clock)
        let inFlight = InFlightCounter(onChange: signal.fire)
        let notificationsDeliverable = configuration.notificationTarget.map { name in targets.contains { $0.name == name } } ?? false
        let delivery = Delivery(
            store: store, catalog: catalog, connectors: connectors, clock: clock, redactor: redactor, jitter: jitter,
            gates: gates, settlements: settlements, workerID: configuration.workerID, stopping: stopping, logger: logger
        )

        let leaseDurations = Dictionary(uniqueKeysWithValues: targets.map { ($0.name, Self.leaseDuration(for: $0)) })
        let referencesWanted = referencesWanted

        try await withThrowingDiscardingTaskGroup { group in
            // Lane health as the last claim saw it; the claim transaction reads it anyway, so
            // the loop makes one store call per look, not two.
            var health: [DeliveryLane: TargetHealth] = [:]
            var ahead = ClaimedAhead()
            var freedAtLastClaim: [DeliveryLane: Int] = [:]
            // Lanes where a failure was settled after the last claim read their health: it may
            // have opened the circuit, so their rows in hand wait for the next claim.
            var unsure: Set<DeliveryLane> = []
            // Each target's default lane and one per organisation with a connection of its own.
            var ownConnections: [TargetName: Set<OrganisationID>] = [:]
            var lanes: [(lane: DeliveryLane, target: TargetConfiguration)] = []

            func knownHealth(_ lane: DeliveryLane) -> TargetHealth { health[lane] ?? TargetHealth() }
            /// Takes a slot of `lane` and delivers in it, in a task of its own.
            func start(
                on lane: DeliveryLane, row: ClaimedSubmission? = nil, notification: ClaimedNotification? = nil,
                _ deliver: @escaping @Sendable (DeliverySlot) async -> Void
            ) {
                let work: InFlightCounter.Work? = row.map { .row($0.entry.id, leaseExpiresAt: $0.entry.leaseExpiresAt ?? .distantFuture) }
                    ?? notification.map { .notification($0.request.notificationID, leaseExpiresAt: $0.claimedAt.adding(leaseDurations[lane.target] ?? .zero)) }
                let slot = inFlight.start(lane, work: work)
                group.addTask {
                    await deliver(slot)
                    slot.releaseAfterSettling()
                    inFlight.finish(work)
                }
            }
            /// Rows in hand go into the free slots of lanes whose health is known to allow it;
            /// none once shutdown has begun (it may have begun during the last store call).
            func startAhead(now: Date, excluding unsure: Set<DeliveryLane>) {
                guard !stopping.isSet else { return }
                for (lane, target) in lanes where !unsure.contains(lane) && !knownHealth(lane).isWaiting(at: now) {
                    for claim in ahead.take(target.concurrency - inFlight.count(lane), of: lane) {
                        start(on: lane, row: claim) { slot in await delivery.deliver(claim, slot: slot) }
                    }
                }
            }

            while !stopping.isSet {
                // A cancelled worker stops here, whether or not its store's calls notice cancellation.
                try Task.checkCancellation()
                let now = clock.now()
                ownConnections = await connectors.ownConnections()
                lanes = targets.flatMap { target in
                    [(DeliveryLane(target.name), target)]
                        + (ownConnections[target.name] ?? []).sorted { $0.rawValue < $1.rawValue }.map { (DeliveryLane(target.name, connectionOf: $0), target) }
                }
                await giveBack(ahead.removeStale(now: now, leaseDurations: leaseDurations), now: now)
                unsure.formUnion(inFlight.takeLanesSettledAfterFailure())
                startAhead(now: now, excluding: unsure)

                var limits: [DeliveryLane: Int] = [:]
                for (lane, target) in lanes {
                    let state = knownHealth(lane)
                    guard !state.isWaiting(at: now) else { continue }
                    let free = target.concurrency - inFlight.count(lane)
                    let freed = inFlight.freedSlots(lane)
                    let freedDuringLastClaim = freed - (freedAtLastClaim[lane] ?? freed)
                    let depth = state.circuit == .closed ? min(freedDuringLastClaim, target.concurrency) : 0
                    let wanted = min(free + depth - ahead.count(lane), configuration.claimBatchSize)
                    let mustReadHealth = unsure.contains(lane) && ahead.count(lane) > 0
                    guard free > 0, wanted > 0 || mustReadHealth else { continue }
                    limits[lane] = max(wanted, 0)
                    freedAtLastClaim[lane] = freed
                }
                var claims: [ClaimedSubmission] = []
                if !limits.isEmpty {
                    let request = ClaimRequest(
                        owner: configuration.workerID, now: now, limits: limits, leaseDurations: leaseDurations, referencesWanted: referencesWanted,
                        running: inFlight.rowsPastTheirLease(at: now), ownConnections: ownConnections
                    )
                    let batch = try await outage.call("claim rows", giveUp: { stopping.isSet }) { try await store.claim(request) }
                    health.merge(batch.health) { _, seen in seen }
                    unsure.subtract(limits.keys)
                    claims = batch.submissions
                    ahead.append(claims, claimedAt: now)
                    for (lane, _) in lanes where knownHealth(lane).isWaiting(at: now) {
                        await giveBack(ahead.removeAll(of: lane), now: now)
                    }
                    startAhead(now: now, excluding: unsure)
                }
                let notifications = try await claimNotifications(health: health, inFlight: inFlight, ahead: ahead, now: now)
                for claim in notifications {
                    guard let target = configuration.notificationTarget else { break }
                    start(on: DeliveryLane(target), notification: claim) { slot in await delivery.deliver(claim, through: target, slot: slot) }
                }

                let requested = limits.values.reduce(0, +)
                if !claims.isEmpty, claims.count >= requested { continue }
                if configuration.untilIdle, inFlight.total == 0, ahead.isEmpty, claims.isEmpty, notifications.isEmpty {
                    let idle = try await outage.call("look for work", giveUp: { stopping.isSet }) {
                        try await !store.hasDueOrInFlightWork(now: clock.now(), targets: targets.map(\.name), includeNotifications: notificationsDeliverable)
                    }
                    if idle { break }
                }
                let wake = try await nextLook(
                    now: now, health: health, lanes: lanes, inFlight: inFlight, notificationsDeliverable: notificationsDeliverable
                )
                if inFlight.total == 0 { configuration.observer?(.idle(sleepingFor: Duration(timeInterval: wake.timeIntervalSince(now)))) }
                await signal.wait(until: wake, clock: clock)
            }
            await giveBack(ahead.removeAll(), now: clock.now())

            // Shutting down (or idle): let in-flight deliveries finish, then cancel what is left.
            // Each settled delivery fires the signal. A cancelled worker's deliveries are cancelled
            // with it; the group waits for them.
            let deadline = clock.now().adding(configuration.shutdownGrace)
            while inFlight.total > 0, !Task.isCancelled {
                let remaining = deadline.timeIntervalSince(clock.now())
                if remaining <= 0 {
                    logger.warning("shutdown grace over; cancelling in-flight deliveries", metadata: ["in_flight": "\(inFlight.total)"])
                    group.cancelAll()
                    break
                }
                configuration.observer?(.drainingInFlight(inFlight.total))
                await signal.wait(until: deadline, clock: clock)
            }
        }
    }

    /// Gives rows claimed ahead back to the store untouched. If that fails the rows stay leased
    /// until their leases lapse, as if this worker had crashed; nothing is lost.
    private func giveBack(_ claims: [ClaimedSubmission], now: Date) async {
        guard !claims.isEmpty else { return }
        do {
            let leases = claims.map { UnattemptedLease($0, owner: configuration.workerID) }
            let released = try await store.releaseUnattempted(leases, now: now)
            logger.debug("gave back rows claimed ahead", metadata: ["rows": "\(released)"])
        } catch {
            logger.warning("could not give back rows claimed ahead; they return when their leases lapse", metadata: [
                "rows": "\(claims.count)", "error": "\(error)",
            ])
        }
    }

    /// Notifications share their target's default lane with its outbox rows, taking what the rows left free.
    private func claimNotifications(
        health: [DeliveryLane: TargetHealth], inFlight: InFlightCounter, ahead: ClaimedAhead, now: Date
    ) async throws -> [ClaimedNotification] {
        guard let name = configuration.notificationTarget, let target = catalog[name], target.isEnabled, connectors.targets.contains(name) else { return [] }
        let lane = DeliveryLane(name)
        let free = target.concurrency - inFlight.count(lane) - ahead.count(lane)
        let limit = (health[lane] ?? TargetHealth()).claimLimit(wanted: min(free, configuration.claimBatchSize), now: now)
        guard limit > 0 else { return [] }
        return try await outage.call("claim notifications") {
            try await store.claimNotifications(
                owner: configuration.workerID, now: now, limit: limit, leaseDuration: Self.leaseDuration(for: target),
                running: inFlight.notificationsPastTheirLease(at: now)
            )
        }
    }

    /// When to look again: when the next row of a lane that could take it falls due, a paused or
    /// open lane may be tried again, or the poll interval passes. A lane with no free slot wakes
    /// the loop when a delivery finishes, so its due rows do not count here (they would make the
    /// loop spin).
    private func nextLook(
        now: Date, health: [DeliveryLane: TargetHealth], lanes: [(lane: DeliveryLane, target: TargetConfiguration)], inFlight: InFlightCounter,
        notificationsDeliverable: Bool
    ) async throws -> Date {
        var wake = now.adding(configuration.pollInterval)
        // Due rows are found per target: a target counts only when every one of its lanes could
        // take a row now, or a waiting lane's due rows would wake the loop again at once.
        var ready: [TargetName] = []
        var blocked: Set<TargetName> = []
        for (lane, target) in lanes {
            let state = health[lane] ?? TargetHealth()
            if state.claimLimit(wanted: 1, now: now) == 0 {
                blocked.insert(target.name)
                if let paused = state.pausedUntil, paused > now { wake = min(wake, paused) }
                switch state.circuit {
                case .closed: break
                case .open(let until), .halfOpen(let until): if until > now { wake = min(wake, until) }
                }
            } else if inFlight.count(lane) >= target.concurrency {
                blocked.insert(target.name)
            } else if !ready.contains(target.name) {
                ready.append(target.name)
            }
        }
        ready.removeAll { blocked.contains($0) }
        let notifications = notificationsDeliverable && configuration.notificationTarget.map(ready.contains) == true
        if !ready.isEmpty || notifications,
           let due = try await outage.call("find the next due row", { try await store.nextDueDate(targets: ready, includeNotifications: notifications) }) {
            wake = min(wake, due)
        }
        return max(wake, now.addingTimeInterval(0.001))
    }
}

/// What the dispatcher loop is about to do; see ``OutboxDispatcher/Configuration/observer``.
public enum DispatcherEvent: Hashable, Sendable {
    /// Nothing is in flight and nothing can be claimed: the loop sleeps until woken, a row falls due, or the poll interval.
    case idle(sleepingFor: Duration)
    /// Shutting down, waiting for this many in-flight deliveries.
    case drainingInFlight(Int)
}

/// Set once when graceful shutdown begins.
final class StopFlag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// What this worker has in flight: per lane, the slots its target's `concurrency` allows (a slot is
/// held while a request may be at the target); in all, the deliveries not yet settled.
///
/// Both a freed slot and a settled delivery call `onChange`: the loop waits for the first to
/// claim more, and for the second to know it is idle or done draining.
final class InFlightCounter: Sendable {
    /// An outbox row or a notification being delivered, with the end of its lease.
    enum Work: Hashable, Sendable {
        case row(Int64, leaseExpiresAt: Date)
        case notification(Int64, leaseExpiresAt: Date)
    }

    private struct Counts {
        var slots: [DeliveryLane: Int] = [:]
        var work: Set<Work> = []
        /// Slots freed since the worker started, per lane.
        var freed: [DeliveryLane: Int] = [:]
        var settledAfterFailure: Set<DeliveryLane> = []
        var deliveries = 0
    }

    private let counts = Mutex(Counts())
    private let onChange: @Sendable () -> Void

    init(onChange: @escaping @Sendable () -> Void) {
        self.onChange = onChange
    }

    /// Takes a slot of `lane` for a new delivery of `work`.
    func start(_ lane: DeliveryLane, work: Work? = nil) -> DeliverySlot {
        counts.withLock { counts in
            counts.slots[lane, default: 0] += 1
            counts.deliveries += 1
            if let work { counts.work.insert(work) }
        }
        return DeliverySlot { [onChange] afterSettling in
            self.counts.withLock { counts in
                counts.slots[lane, default: 1] -= 1
                counts.freed[lane, default: 0] += 1
                if afterSettling { counts.settledAfterFailure.insert(lane) }
            }
            onChange()
        }
    }

    /// A delivery (of `work`) is settled or given up.
    func finish(_ work: Work? = nil) {
        counts.withLock { counts in
            counts.deliveries -= 1
            if let work { counts.work.remove(work) }
        }
        onChange()
    }

    /// Outbox rows still being delivered whose lease has lapsed: a claim must not take them again.
    /// (An attempt stops before its deadline, so this is empty unless settling is slow.)
    func rowsPastTheirLease(at now: Date) -> Set<Int64> {
        counts.withLock { counts in
            Set(counts.work.compactMap { if case let .row(id, until) = $0, until <= now { id } else { nil } })
        }
    }

    /// Notifications still being delivered whose lease has lapsed.
    func notificationsPastTheirLease(at now: Date) -> Set<Int64> {
        counts.withLock { counts in
            Set(counts.work.compactMap { if case let .notification(id, until) = $0, until <= now { id } else { nil } })
        }
    }

    func count(_ lane: DeliveryLane) -> Int { counts.withLock { $0.slots[lane] ?? 0 } }
    /// Deliveries started and not yet settled.
    var total: Int { counts.withLock { $0.deliveries } }
    /// Slots of `lane` freed since the worker started.
    func freedSlots(_ lane: DeliveryLane) -> Int { counts.withLock { $0.freed[lane] ?? 0 } }

    /// Lanes with a delivery that held its slot until it was settled (it failed) since the last call.
    func takeLanesSettledAfterFailure() -> Set<DeliveryLane> {
        counts.withLock { counts in
            defer { counts.settledAfterFailure.removeAll() }
            return counts.settledAfterFailure
        }
    }
}

/// One of a target's concurrency slots, held by a delivery. A delivery whose request succeeded
/// frees it early; the dispatcher frees it in any case once the delivery is settled, and a slot
/// still held then tells the loop that the target's health may have changed.
final class DeliverySlot: Sendable {
    private let onRelease: Mutex<(@Sendable (_ afterSettling: Bool) -> Void)?>

    init(onRelease: @escaping @Sendable (_ afterSettling: Bool) -> Void) {
        self.onRelease = Mutex(onRelease)
    }

    /// The request succeeded: the next row may go while this one is settled.
    func release() { release(afterSettling: false) }

    /// The delivery is settled; frees the slot if it is still held.
    func releaseAfterSettling() { release(afterSettling: true) }

    private func release(afterSettling: Bool) {
        let action = onRelease.withLock { action -> (@Sendable (Bool) -> Void)? in
            defer { action = nil }
            return action
        }
        action?(afterSettling)
    }
}

/// Uniform random numbers in 0…1 for backoff jitter; seedable so tests and `--seed` runs repeat.
public final class JitterSource: Sendable {
    private let generator: Mutex<SplitMix64>

    public init(seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        generator = Mutex(SplitMix64(seed: seed))
    }

    public func next() -> Double {
        generator.withLock { Double($0.next() >> 11) / Double(1 << 53) }
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
