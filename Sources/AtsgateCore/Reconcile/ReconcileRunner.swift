public import Foundation
import Synchronization

/// Progress of a run, reported after every page of the listing.
public struct ReconcileProgress: Hashable, Sendable {
    public var pagesFetched: Int
    public var remoteJobsListed: Int
    public var localJobs: Int
    public var findings: Int
    public var elapsed: Duration
}

/// What a finished run found and did.
public struct ReconcileOutcome: Sendable {
    public var run: ReconcileRun
    /// The first findings, in the order found (all of them are stored with the run).
    public var firstFindings: [ReconcileFinding]
    /// Outbox rows queued or changed by `--apply`.
    public var repairedRows: Int
    /// How long listing the target and diffing took, for the benchmark and the progress line.
    public var listingAndDiff: Duration
    public var localLoad: Duration

    public init(run: ReconcileRun, firstFindings: [ReconcileFinding], repairedRows: Int, listingAndDiff: Duration, localLoad: Duration) {
        self.run = run
        self.firstFindings = firstFindings
        self.repairedRows = repairedRows
        self.listingAndDiff = listingAndDiff
        self.localLoad = localLoad
    }
}

/// One reconcile run of one target for one organisation: load the local index, stream the
/// target's listing through ``ReconcileDiff``, resolve drift by mapping the job again, store the
/// findings in batches, and with `apply` repair them through the outbox.
public struct ReconcileRunner: Sendable {
    public struct Options: Sendable {
        public var apply: Bool
        public var actor: String
        /// How many findings the outcome keeps for display; every finding is stored.
        public var keep: Int
        /// A run whose heartbeat is older than this is taken for dead.
        public var staleAfter: Duration
        public var progress: (@Sendable (ReconcileProgress) -> Void)?
        /// Asked between remote jobs: `true` ends the run as partial ("interrupted"). A stop asked
        /// this way, unlike task cancellation, still lets the run store what it found and its end.
        public var shouldStop: @Sendable () -> Bool = { false }
        /// Told the run's id once it is stored, before anything is listed.
        public var started: (@Sendable (Int64) -> Void)?

        public init(apply: Bool = false, actor: String, keep: Int = 20, staleAfter: Duration = .seconds(600), progress: (@Sendable (ReconcileProgress) -> Void)? = nil) {
            self.apply = apply
            self.actor = actor
            self.keep = keep
            self.staleAfter = staleAfter
            self.progress = progress
        }
    }

    static let batchSize = 500

    let store: any ReconcileStore
    let connector: any Connector
    let target: TargetConfiguration
    let organisationID: OrganisationID
    let clock: any GatewayClock

    public init(store: any ReconcileStore, connector: any Connector, target: TargetConfiguration, organisationID: OrganisationID, clock: any GatewayClock = SystemClock()) {
        self.store = store
        self.connector = connector
        self.target = target
        self.organisationID = organisationID
        self.clock = clock
    }

    public func run(_ options: Options) async throws -> ReconcileOutcome {
        guard connector.capabilities.contains(.remoteListing) else {
            throw ConnectorError.unsupported("remote listing (reconciliation)", target: target.name)
        }
        let started = clock.now()
        let runID = try await store.startReconcileRun(organisationID: organisationID, target: target.name, now: started, staleAfter: options.staleAfter)
        options.started?(runID)
        var sink = FindingSink(store: store, runID: runID, organisationID: organisationID, target: target, options: options, clock: clock)
        let stopwatch = ContinuousClock()
        do {
            let loadStart = stopwatch.now
            var empty = ReconcileDiff(organisationID: organisationID)
            empty.reserveLocalCapacity(try await store.countLocalJobs(organisationID: organisationID))
            let diffBox = Mutex(empty)
            try await store.forEachLocalJobState(organisationID: organisationID, target: target.name) { state in
                diffBox.withLock { $0.addLocal(state) }
            }
            // Taken out of the lock, not copied: a copy would duplicate the whole index on first write.
            var diff = diffBox.withLock { box in
                defer { box = ReconcileDiff(organisationID: organisationID) }
                return box
            }
            let localLoad = stopwatch.now - loadStart

            let listingStart = stopwatch.now
            var partialReason: String?
            var listing = connector.allJobs().makeAsyncIterator()
            var resolver = ObservationResolver(store: store, connector: connector, organisationID: organisationID)
            var lastHeartbeat = listingStart
            var pages = 0
            do {
                while let remote = try await listing.next() {
                    if let observation = diff.compare(remote) { try await resolver.add(observation, into: &sink) }
                    if listing.pagesFetched != pages {
                        pages = listing.pagesFetched
                        options.progress?(ReconcileProgress(
                            pagesFetched: pages, remoteJobsListed: diff.counts.remoteListed, localJobs: diff.counts.localCompared,
                            findings: sink.total, elapsed: stopwatch.now - listingStart
                        ))
                        if stopwatch.now - lastHeartbeat > .seconds(30) {
                            try await store.heartbeat(runID: runID, now: clock.now())
                            lastHeartbeat = stopwatch.now
                        }
                    }
                    if Task.isCancelled || options.shouldStop() { throw CancellationError() }
                }
            } catch let error as ConnectorError {
                partialReason = "the listing stopped after \(diff.counts.remoteListed) jobs: \(error)"
            } catch is CancellationError {
                partialReason = "the run was interrupted after \(diff.counts.remoteListed) jobs"
            }
            for observation in diff.remainingFindings(listingComplete: partialReason == nil) {
                try await resolver.add(observation, into: &sink)
            }
            // Markers of jobs the index does not hold show presence at the target, so they count after a partial listing too.
            let existing = try await store.existingJobs(organisationID: organisationID, among: diff.unknownMarkers.map(\.jobID))
            for observation in diff.orphans(existing: existing) {
                try await resolver.add(observation, into: &sink)
            }
            try await resolver.flush(into: &sink)
            try await sink.flush()
            let listingAndDiff = stopwatch.now - listingStart

            let run = ReconcileRun(
                id: runID, organisationID: organisationID, target: target.name, startedAt: started, finishedAt: clock.now(),
                status: partialReason == nil ? .completed : .partial, partialReason: partialReason.map { $0 + "; nothing was reported missing or unsynced" },
                applied: options.apply, remoteJobsListed: diff.counts.remoteListed, localJobsCompared: diff.counts.localCompared,
                findingCounts: sink.counts
            )
            try await store.finishReconcileRun(run)
            GatewayMetrics.recordFindings(sink.counts, target: target.name)
            return ReconcileOutcome(run: run, firstFindings: sink.first, repairedRows: sink.repaired, listingAndDiff: listingAndDiff, localLoad: localLoad)
        } catch {
            try? await store.finishReconcileRun(ReconcileRun(
                id: runID, organisationID: organisationID, target: target.name, startedAt: started, finishedAt: clock.now(),
                status: .failed, partialReason: "\(error)", applied: false, remoteJobsListed: 0, localJobsCompared: 0, findingCounts: sink.counts
            ))
            throw error
        }
    }
}

/// Where findings go: stored in batches (and repaired, with `apply`), counted, the first kept.
private struct FindingSink {
    let store: any ReconcileStore
    let runID: Int64
    let organisationID: OrganisationID
    let target: TargetConfiguration
    let options: ReconcileRunner.Options
    let clock: any GatewayClock
    var buffer: [ReconcileFinding] = []
    var first: [ReconcileFinding] = []
    var counts: [ReconcileCategory: Int] = [:]
    var total = 0
    var repaired = 0

    init(store: any ReconcileStore, runID: Int64, organisationID: OrganisationID, target: TargetConfiguration, options: ReconcileRunner.Options, clock: any GatewayClock) {
        self.store = store
        self.runID = runID
        self.organisationID = organisationID
        self.target = target
        self.options = options
        self.clock = clock
    }

    mutating func add(_ finding: ReconcileFinding) async throws {
        var finding = finding
        // The target's policy decides which categories are repaired; the others are reported only.
        if !target.reconcile.repair.contains(finding.category) { finding.repair = nil }
        counts[finding.category, default: 0] += 1
        total += 1
        if first.count < options.keep { first.append(finding) }
        buffer.append(finding)
        if buffer.count >= ReconcileRunner.batchSize { try await flush() }
    }

    mutating func flush() async throws {
        guard !buffer.isEmpty else { return }
        try await store.recordFindings(buffer, runID: runID, organisationID: organisationID)
        if options.apply {
            let repairable = buffer.filter { $0.repair != nil }
            if !repairable.isEmpty {
                repaired += try await store.applyRepairs(
                    repairable, organisationID: organisationID, target: target.name, runID: runID, actor: options.actor, now: clock.now()
                )
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Resolves what needs the local job mapped again (drift candidates, unlinked jobs) in batches:
/// one read loads the snapshots of up to ``ReconcileRunner/batchSize`` jobs.
private struct ObservationResolver {
    let store: any ReconcileStore
    let connector: any Connector
    let organisationID: OrganisationID
    var waiting: [ReconcileDiff.Observation] = []

    init(store: any ReconcileStore, connector: any Connector, organisationID: OrganisationID) {
        self.store = store
        self.connector = connector
        self.organisationID = organisationID
    }

    mutating func add(_ observation: ReconcileDiff.Observation, into sink: inout FindingSink) async throws {
        guard case .finding(let finding) = observation else {
            waiting.append(observation)
            if waiting.count >= ReconcileRunner.batchSize { try await flush(into: &sink) }
            return
        }
        try await sink.add(finding)
    }

    mutating func flush(into sink: inout FindingSink) async throws {
        guard !waiting.isEmpty else { return }
        let jobIDs = waiting.compactMap { observation -> JobID? in
            switch observation {
            case .driftCandidate(let jobID, _): jobID
            case .unlinked(let finding, _): finding.jobID
            case .finding: nil
            }
        }
        let snapshots = try await store.jobSnapshots(organisationID: organisationID, jobIDs: jobIDs)
        for observation in waiting {
            switch observation {
            case .finding(let finding):
                try await sink.add(finding)
            case .driftCandidate(let jobID, let remote):
                guard let snapshot = snapshots[jobID], let differences = differences(snapshot, remote), !differences.fields.isEmpty else { continue }
                try await sink.add(ReconcileFinding(
                    category: .drift, jobID: jobID, remoteID: remote.remoteID, detail: differences.detail, fields: differences.fields, repair: .enqueueUpdate
                ))
            case .unlinked(var finding, let remote):
                // Adopting a job whose fields differ also queues an update, so the next run finds it in sync.
                if let snapshot = finding.jobID.flatMap({ snapshots[$0] }), let differences = differences(snapshot, remote), !differences.fields.isEmpty {
                    finding.fields = differences.fields
                    finding.detail += "; it differs: \(differences.detail)"
                }
                try await sink.add(finding)
            }
        }
        waiting.removeAll(keepingCapacity: true)
    }

    /// The job as it maps now, compared field by field with the remote job.
    private func differences(_ snapshot: JobSnapshot, _ remote: RemoteJob) -> (fields: [String], detail: String)? {
        let local: ComparableFields
        do {
            local = try connector.comparableFields(of: snapshot)
        } catch {
            return (["(mapping)"], "cannot compare: the job no longer maps (\(error.message))")
        }
        let names = Set(local.values.keys).union(remote.fields.values.keys)
        let differing = local.differences(from: remote.fields, in: names)
        let shown = differing.prefix(5).map { "\($0): target '\(remote.fields[$0] ?? "")', here '\(local[$0] ?? "")'" }
        return (differing, shown.joined(separator: "; ") + (differing.count > 5 ? "; …" : ""))
    }
}
