import AtsgateCore
import Foundation

/// A run for people (counts per category and the first findings) or for scripts (`--json`: the run and every finding).
struct ReconcileReport {
    var outcome: ReconcileOutcome
    var store: any GatewayStore
    /// `reconcile show`: every finding, not only the first.
    var allFindings = false

    func print(json: Bool) async throws {
        let run = outcome.run
        if json {
            let findings = try await store.reconcileFindings(runID: run.id)
            try JSONOutput.print(Document(run: ReconcileRunReport(run), repairedRows: outcome.repairedRows, findings: findings.map(ReconcileFindingReport.init)))
            return
        }
        var lines = ["reconcile run #\(run.id): \(run.target) for \(run.organisationID), \(run.status.rawValue)"
            + (run.finishedAt.map { " in \(Self.seconds($0.timeIntervalSince(run.startedAt)))" } ?? "")
            + "; \(run.remoteJobsListed) remote jobs listed, \(run.localJobsCompared) local jobs compared"]
        if let reason = run.partialReason { lines.append("  \(run.status == .partial ? "partial" : "failed"): \(reason)") }
        var counts = TextTable(["FINDING", "COUNT"])
        for category in ReconcileCategory.allCases {
            counts.append([category.rawValue, "\(run.findingCounts[category] ?? 0)"])
        }
        lines.append("")
        lines.append(counts.render())
        let findings = allFindings ? try await store.reconcileFindings(runID: run.id) : outcome.firstFindings
        let total = run.findingCounts.values.reduce(0, +)
        if !findings.isEmpty {
            var table = TextTable(["CATEGORY", "JOB", "REMOTE ID", "REPAIR", "DETAIL"])
            for finding in findings {
                table.append([
                    finding.category.rawValue, finding.jobID?.rawValue ?? "-", finding.remoteID ?? "-",
                    finding.repair?.rawValue ?? "report only", finding.detail,
                ])
            }
            lines.append("")
            lines.append(findings.count < total ? "first \(findings.count) of \(total) findings (all: atsgate reconcile show \(run.id)):" : "findings:")
            lines.append(table.render())
        }
        if run.applied { lines.append("\n--apply: \(outcome.repairedRows) outbox row(s) queued or changed") }
        Swift.print(lines.joined(separator: "\n"))
    }

    static func seconds(_ interval: TimeInterval) -> String {
        String(format: "%.1f s", interval)
    }

    struct Document: Encodable {
        var run: ReconcileRunReport
        var repairedRows: Int
        var findings: [ReconcileFindingReport]
    }
}

/// One line on stderr, rewritten after every page: pages, jobs listed, findings, rate.
final class ReconcileProgressLine: Sendable {
    func show(_ progress: ReconcileProgress) {
        let seconds = Double(progress.elapsed.components.seconds) + Double(progress.elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Int(Double(progress.remoteJobsListed) / seconds) : 0
        FileHandle.standardError.write(Data(
            "\r\u{1B}[2Kpages \(progress.pagesFetched), remote jobs \(progress.remoteJobsListed), local jobs \(progress.localJobs), findings \(progress.findings), \(rate) jobs/s".utf8
        ))
    }

    func clear() {
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
