import AtsgateCore

/// The stored findings of a run against the planted set: per category, how many were planted,
/// found, missed and invented. A finding matches on category, job, remote id and (for drift,
/// and for an unlinked job that differs) the differing fields.
struct FindingCheck: Sendable {
    struct Category: Sendable {
        var planted = 0
        var found = 0
        var missed: [PlantedDataset.ExpectedFinding] = []
        var invented: [PlantedDataset.ExpectedFinding] = []
    }

    var categories: [ReconcileCategory: Category] = [:]
    /// Findings stored more than once.
    var repeated = 0
    /// Orphans of jobs that exist here (never qualified) whose detail says the job does not exist: wrong words, right category.
    var orphansOfExistingJobsSaidMissing = 0
    var problems: [String] = []

    init(expected: Set<PlantedDataset.ExpectedFinding>, stored: [ReconcileFinding], run: ReconcileRun, listed: Int, localIndex: Int) {
        let found = stored.map {
            PlantedDataset.ExpectedFinding(category: $0.category, jobID: $0.jobID?.rawValue, remoteID: $0.remoteID, fields: $0.fields)
        }
        let foundSet = Set(found)
        orphansOfExistingJobsSaidMissing = stored.filter {
            $0.category == .orphanRemote && $0.jobID?.rawValue.hasPrefix("job-") == true && $0.detail.contains("does not exist here")
        }.count
        repeated = found.count - foundSet.count
        for category in ReconcileCategory.allCases { categories[category] = Category() }
        for finding in expected { categories[finding.category]?.planted += 1 }
        for finding in found { categories[finding.category]?.found += 1 }
        for finding in expected.subtracting(foundSet).sorted(by: { $0.description < $1.description }) {
            categories[finding.category]?.missed.append(finding)
        }
        for finding in foundSet.subtracting(expected).sorted(by: { $0.description < $1.description }) {
            categories[finding.category]?.invented.append(finding)
        }

        if run.status != .completed { problems.append("the run ended \(run.status.rawValue): \(run.partialReason ?? "")") }
        if repeated > 0 { problems.append("\(repeated) findings were stored twice") }
        if run.remoteJobsListed != listed { problems.append("the run counted \(run.remoteJobsListed) remote jobs, the target listed \(listed)") }
        if run.localJobsCompared != localIndex { problems.append("the run compared \(run.localJobsCompared) local jobs, the index holds \(localIndex)") }
        let counted = run.findingCounts.filter { $0.value > 0 }
        let storedCounts = categories.filter { $0.value.found > 0 }.mapValues(\.found)
        if counted != storedCounts { problems.append("the run's finding counts \(counted) differ from the stored findings \(storedCounts)") }
        for (category, result) in categories where !result.missed.isEmpty || !result.invented.isEmpty {
            problems.append("\(category.rawValue): \(result.missed.count) missed (e.g. \(result.missed.prefix(3).map(\.description))), \(result.invented.count) invented (e.g. \(result.invented.prefix(3).map(\.description)))")
        }
    }

    var passed: Bool { problems.isEmpty }
}
