public import Foundation

/// How a reconcile run ended, stored in `reconcile_runs.status`.
public enum ReconcileRunStatus: String, Hashable, Sendable, Codable {
    case running
    case completed
    /// The listing did not complete: no "absent" finding was made.
    case partial
    case failed
}

/// A stored run, for `reconcile runs` and `reconcile show`.
public struct ReconcileRun: Hashable, Sendable {
    public var id: Int64
    public var organisationID: OrganisationID
    public var target: TargetName
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: ReconcileRunStatus
    public var partialReason: String?
    public var applied: Bool
    public var remoteJobsListed: Int
    public var localJobsCompared: Int
    public var findingCounts: [ReconcileCategory: Int]

    public init(
        id: Int64, organisationID: OrganisationID, target: TargetName, startedAt: Date, finishedAt: Date?, status: ReconcileRunStatus,
        partialReason: String?, applied: Bool, remoteJobsListed: Int, localJobsCompared: Int, findingCounts: [ReconcileCategory: Int]
    ) {
        self.id = id
        self.organisationID = organisationID
        self.target = target
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.partialReason = partialReason
        self.applied = applied
        self.remoteJobsListed = remoteJobsListed
        self.localJobsCompared = localJobsCompared
        self.findingCounts = findingCounts
    }
}

/// What reconciliation reads and writes.
public protocol ReconcileStore: Sendable {
    /// Calls `body` with every job of the organisation that is qualified or has a (not cancelled)
    /// row for the target, from one consistent read.
    func forEachLocalJobState(organisationID: OrganisationID, target: TargetName, _ body: @escaping @Sendable (LocalJobState) -> Void) async throws

    /// An upper bound of what ``forEachLocalJobState(organisationID:target:_:)`` will call with,
    /// to size the index once.
    func countLocalJobs(organisationID: OrganisationID) async throws -> Int

    /// The jobs with these ids (any state), from one read.
    func jobSnapshots(organisationID: OrganisationID, jobIDs: [JobID]) async throws -> [JobID: JobSnapshot]

    /// Which of these jobs exist here.
    func existingJobs(organisationID: OrganisationID, among jobIDs: [JobID]) async throws -> Set<JobID>

    /// Starts a run, refusing while another run of the same target and organisation is alive
    /// (its heartbeat younger than `staleAfter`); an older one is marked failed.
    func startReconcileRun(organisationID: OrganisationID, target: TargetName, now: Date, staleAfter: Duration) async throws -> Int64
    func heartbeat(runID: Int64, now: Date) async throws
    func recordFindings(_ findings: [ReconcileFinding], runID: Int64, organisationID: OrganisationID) async throws
    func finishReconcileRun(_ run: ReconcileRun) async throws

    /// Turns findings into outbox work in one transaction; findings whose repair is already
    /// under way (or no longer applies) are left out. Returns how many rows changed.
    func applyRepairs(_ findings: [ReconcileFinding], organisationID: OrganisationID, target: TargetName, runID: Int64, actor: String, now: Date) async throws -> Int

    /// Runs, newest first; with `before`, only runs with a smaller id (the next page).
    func reconcileRuns(organisationID: OrganisationID?, target: TargetName?, before: Int64?, limit: Int) async throws -> [ReconcileRun]
    func reconcileFindings(runID: Int64) async throws -> [ReconcileFinding]
}

/// A reconcile run that could not start.
public struct ReconcileRunConflict: Error, Hashable, Sendable, CustomStringConvertible {
    public var runID: Int64
    public var startedAt: Date

    public init(runID: Int64, startedAt: Date) {
        self.runID = runID
        self.startedAt = startedAt
    }

    public var description: String {
        "reconcile run #\(runID) of this target has been running since \(startedAt.formatted(.iso8601)); never two at once"
    }
}

extension ReconcileStore {
    /// The newest runs.
    public func reconcileRuns(organisationID: OrganisationID?, target: TargetName?, limit: Int) async throws -> [ReconcileRun] {
        try await reconcileRuns(organisationID: organisationID, target: target, before: nil, limit: limit)
    }

    /// One run of the organisation, `nil` when it has no such run (another organisation's included).
    public func reconcileRun(id: Int64, organisationID: OrganisationID) async throws -> ReconcileRun? {
        guard id < Int64.max else { return nil }
        return try await reconcileRuns(organisationID: organisationID, target: nil, before: id + 1, limit: 1).first { $0.id == id }
    }
}
