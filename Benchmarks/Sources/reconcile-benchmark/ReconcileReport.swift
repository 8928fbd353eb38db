import AtsgateCore
import Foundation

/// The markdown summary.
struct ReconcileReport {
    struct Run {
        var number: Int
        var listingAlone: Duration
        var outcome: ReconcileOutcome
        var total: Duration
        var calls: TimingReconcileStore.Calls
        var residentAfterLoad: Int?
        /// VmHWM from the start of the run (reset there) to its end.
        var peakResident: Int?
        var loadBefore: Double
        var loadAfter: Double
        var check: FindingCheck

        var diff: Duration { outcome.listingAndDiff - listingAlone }
    }

    /// The goal of issue #7: the diff of 1M in at most 2 s and 300 MB RSS.
    static let goalDiffSeconds = 2.0
    static let goalResidentBytes = 300 * 1_000_000

    let dataset: PlantedDataset
    let connector: FakeListingTarget
    let loadAtStart: String
    var fixture = ""
    var databaseBytes: Int?
    var peakWasReset = false
    var normalizationMicroseconds: Double?
    var residentBeforeRuns: Int?
    var runs: [Run] = []
    var loadAtEnd = ""

    func markdown() -> String {
        var lines: [String] = []
        let kinds = dataset.kindCounts()
        let decoys: [(PlantedDataset.Kind, String)] = [
            (.staleDigest, "stale digest, fields equal (drift candidate, no finding)"),
            (.newerVersion, "job at version 2, sent at 1, fields equal (drift candidate, no finding)"),
            (.inFlightCreate, "create in flight, already listed (no finding)"),
            (.unqualifiedClosedThere, "never qualified, closed at the target (no finding)"),
        ]
        lines += [
            "# atsgate reconcile benchmark",
            "",
            "| setting | value |",
            "| --- | --- |",
            "| CPUs | \(ProcessInfo.processInfo.activeProcessorCount) |",
            "| load average (1, 5, 15 min) | at start \(loadAtStart); at end \(loadAtEnd) |",
            "| local jobs | \(Self.count(dataset.jobs)) (one organisation, \(Self.count(PlantedDataset.companyCount)) companies); local index \(Self.count(dataset.localIndexCount())) |",
            "| remote jobs listed | \(Self.count(connector.remoteTotal)) (\(Self.count(connector.fillerCount)) of them not ours), pages of \(connector.pageSize) |",
            "| planted per category | \(Self.count(dataset.planted)) (every \(Self.count(dataset.stride))th job) |",
            "| decoys | " + decoys.map { "\(Self.count(kinds[$0.0] ?? 0)) \($0.1)" }.joined(separator: "; ") + " |",
            "| database | \(fixture); \(Self.megabytes(databaseBytes)) |",
            "| `ComparableFields.init`, 3 fields | \(normalizationMicroseconds.map { String(format: "%.2f µs", $0) } ?? "-") per remote job (measured on 100,000; a real connector pays it while listing, the fake target reuses 1,000 field sets) |",
            "| RSS before the runs | \(Self.megabytes(residentBeforeRuns)) (peak \(peakWasReset ? "reset here" : "NOT reset: includes writing the fixture")) |",
            "",
            "## Runs",
            "",
            "Listing alone: the fake target's pages iterated without diffing. Diff = listing + diff − listing alone.",
            "Total = `ReconcileRunner.run` from start to the stored run (local load, listing, diff, snapshots, findings).",
            "",
            "| run | load 1 min before / after | local load | listing alone | listing + diff | **diff** | total | snapshot loads | finding batches | RSS after local load | **peak RSS** |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for run in runs {
            lines.append(
                "| \(run.number) | \(String(format: "%.2f / %.2f", run.loadBefore, run.loadAfter)) | \(Self.seconds(run.outcome.localLoad.seconds)) "
                    + "| \(Self.seconds(run.listingAlone.seconds)) | \(Self.seconds(run.outcome.listingAndDiff.seconds)) | **\(Self.seconds(run.diff.seconds))** "
                    + "| \(Self.seconds(run.total.seconds)) | \(Self.count(run.calls.snapshots)) (\(Self.count(run.calls.snapshotReads)) reads) in \(Self.seconds(run.calls.snapshotTime.seconds)) "
                    + "| \(Self.count(run.calls.findingBatches)) (\(Self.count(run.calls.findingsStored)) findings) in \(Self.seconds(run.calls.findingTime.seconds)) "
                    + "| \(Self.megabytes(run.residentAfterLoad)) | **\(Self.megabytes(run.peakResident))** |"
            )
        }
        let median = { (value: (Run) -> Double) in Self.median(runs.map(value)) }
        let diff = median { $0.diff.seconds }
        lines += [
            "| median | | \(Self.seconds(median { $0.outcome.localLoad.seconds })) | \(Self.seconds(median { $0.listingAlone.seconds })) "
                + "| \(Self.seconds(median { $0.outcome.listingAndDiff.seconds })) | **\(Self.seconds(diff))** | \(Self.seconds(median { $0.total.seconds })) | | | | |",
            "",
            "Peak RSS (VmHWM, reset before each run): run 1 **\(Self.megabytes(runs.first?.peakResident))** (the fixture and the listing alone are not in it); the highest of all runs \(Self.megabytes(runs.compactMap(\.peakResident).max())).",
            "",
            "## Findings: planted vs found",
            "",
            "| category | planted | found (each run) | missed | invented |",
            "| --- | --- | --- | --- | --- |",
        ]
        for category in ReconcileCategory.allCases {
            let results = runs.compactMap { $0.check.categories[category] }
            let planted = results.first?.planted ?? 0
            lines.append(
                "| `\(category.rawValue)` | \(Self.count(planted)) | \(results.map { Self.count($0.found) }.joined(separator: ", ")) "
                    + "| \(results.map { String($0.missed.count) }.joined(separator: ", ")) | \(results.map { String($0.invented.count) }.joined(separator: ", ")) |"
            )
        }
        let problems = runs.flatMap { run in run.check.problems.map { "run \(run.number): \($0)" } }
        lines += ["", problems.isEmpty ? "Check: **every planted finding found, none invented, in every run.**" : "Check: **FAILED**"]
        lines += problems.map { "- \($0)" }
        if let wording = runs.first?.check.orphansOfExistingJobsSaidMissing, wording > 0 {
            lines += ["", "Note: \(Self.count(wording)) `orphan_remote` findings of jobs that exist here (never qualified) say the job \"does not exist here\"."]
        }

        let diffMet = diff <= Self.goalDiffSeconds
        let worstPeak = runs.compactMap(\.peakResident).max()
        let memoryMet = (worstPeak ?? .max) <= Self.goalResidentBytes
        lines += [
            "",
            "Goal (diff ≤ \(Self.goalDiffSeconds) s, RSS ≤ 300 MB): diff \(Self.seconds(diff)) → \(diffMet ? "met" : "NOT met"); "
                + "peak RSS (highest run) \(Self.megabytes(worstPeak)) → \(memoryMet ? "met" : "NOT met").",
        ]
        return lines.joined(separator: "\n")
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func micro(_ value: Double?) -> String { value.map { String(format: "%.2f µs", $0) } ?? "-" }

    static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }

    /// Decimal megabytes (the goal's unit) and mebibytes.
    static func megabytes(_ bytes: Int?) -> String {
        guard let bytes else { return "-" }
        return String(format: "%.0f MB (%.0f MiB)", Double(bytes) / 1e6, Double(bytes) / 1_048_576)
    }

    static func count(_ value: Int) -> String {
        let digits = String(value)
        var result = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return result
    }
}

/// The layout of `ReconcileDiff`'s private `Entry` (a `LocalJobState` and a flag), to print its size.
private struct LibraryEntryLayout {
    var state: LocalJobState
    var linkedSeen = false
}
