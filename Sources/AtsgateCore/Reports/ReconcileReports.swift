public import Foundation

/// A stored reconcile run, as `reconcile runs --json` and the API show it.
public struct ReconcileRunReport: Encodable, Sendable {
    public var id: Int64
    public var organisationId: String
    public var target: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: String
    public var partialReason: String?
    public var applied: Bool
    public var remoteJobsListed: Int
    public var localJobsCompared: Int
    public var findingCounts: [String: Int]

    public init(_ run: ReconcileRun) {
        id = run.id
        organisationId = run.organisationID.rawValue
        target = run.target.rawValue
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        status = run.status.rawValue
        partialReason = run.partialReason
        applied = run.applied
        remoteJobsListed = run.remoteJobsListed
        localJobsCompared = run.localJobsCompared
        findingCounts = Dictionary(uniqueKeysWithValues: ReconcileCategory.allCases.map { ($0.rawValue, run.findingCounts[$0] ?? 0) })
    }
}

/// One finding of a run.
public struct ReconcileFindingReport: Encodable, Sendable {
    public var category: String
    public var jobId: String?
    public var remoteId: String?
    public var detail: String
    public var fields: [String]
    public var repair: String?

    public init(_ finding: ReconcileFinding) {
        category = finding.category.rawValue
        jobId = finding.jobID?.rawValue
        remoteId = finding.remoteID
        detail = finding.detail
        fields = finding.fields
        repair = finding.repair?.rawValue
    }
}
