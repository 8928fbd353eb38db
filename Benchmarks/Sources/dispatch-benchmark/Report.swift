import Foundation

/// The markdown summary.
enum Report {
    static func header(setup: BenchmarkSetup, targetPID: Int32?) -> String {
        """
        # atsgate dispatch benchmark

        | setting | value |
        | --- | --- |
        | CPUs | \(ProcessInfo.processInfo.activeProcessorCount) |
        | target | \(setup.targetURL) (\(targetPID.map { "noop-target, pid \($0)" } ?? "started separately")) |
        | target concurrency | \(setup.concurrency) |
        | HTTP client | `HTTPClient.forTargets` (as `atsgate worker`): up to \(max(8, setup.concurrency)) connections per host |
        """
    }

    static func throughput(_ result: ThroughputPhase.Result) -> String {
        let dispatch = result.dispatch
        let check = result.noRowLost
            ? "no row lost: \(count(result.sent)) sent, 0 in any other state"
            : "ROWS MISSING OR UNSENT: \(statusList(result.statusCounts)) (expected \(count(result.rows)) sent)"
        return """

        ## Phase A: throughput, \(count(result.rows)) rows, concurrency \(result.concurrency)

        | measure | value |
        | --- | --- |
        | SQLite durability | \(durability(result.durability)) |
        | import | \(count(result.rows)) jobs in \(seconds(result.importSeconds)) (one transaction) |
        | enqueue | \(count(result.rows)) qualifications in \(seconds(result.enqueueSeconds)) = **\(rate(Double(result.rows) / result.enqueueSeconds)) qualifications/s** (one transaction each) |
        | dispatch | \(count(result.rows)) rows in \(seconds(dispatch.wallSeconds)) = **\(rate(Double(result.rows) / dispatch.wallSeconds)) rows/s** |
        | enqueue + dispatch | \(rate(Double(result.rows) / (result.enqueueSeconds + dispatch.wallSeconds))) rows/s |
        | rows by status | \(statusList(result.statusCounts)) |
        | check | \(check) |
        | attempts | \(count(result.attempts.total)) (\(count(result.attempts.notDelivered)) not delivered); \(count(result.distinctExternalIDs)) distinct remote ids |
        | dispatcher write transactions | \(transactions(result.transactions)) |
        | CPU during dispatch | \(cpu(dispatch)) |
        | peak RSS | benchmark \(megabytes(result.peakResidentBytes)), noop-target \(megabytes(result.targetPeakResidentBytes)) |
        """
    }

    static func latency(_ result: LatencyPhase.Result) -> String {
        func cell(_ p: Double) -> String { result.percentile(p).map { milliseconds($0) } ?? "-" }
        return """

        ## Phase B: latency, \(count(result.jobs)) jobs at \(rate(result.requestedRate))/s, concurrency \(result.concurrency)

        | measure | value |
        | --- | --- |
        | SQLite durability | \(durability(result.durability)) |
        | qualification rate achieved | \(rate(result.achievedRate))/s (asked \(rate(result.requestedRate))/s) |
        | rows sent | \(count(result.latencies.count)) of \(count(result.jobs)) |
        | sent_at − created_at p50 | \(cell(50)) |
        | p90 | \(cell(90)) |
        | p99 | \(cell(99)) |
        | max | \(result.latencies.last.map { milliseconds($0) } ?? "-") |
        | dispatcher write transactions | \(transactions(result.transactions)) |
        | CPU while qualifying and sending | \(cpu(result.cpu)) |
        | dispatcher after cancel | \(result.stopOutcome) |
        | peak RSS | benchmark \(megabytes(result.peakResidentBytes)) (whole run so far) |
        """
    }

    static func ceiling(_ result: CeilingPhase.Result) -> String {
        """

        ## Phase C: ceiling, \(count(result.requests)) webhook creates, \(result.concurrency) at a time, no store

        | measure | value |
        | --- | --- |
        | requests | \(count(result.requests)) in \(seconds(result.cpu.wallSeconds)) = **\(rate(Double(result.requests) / result.cpu.wallSeconds)) requests/s** (\(count(result.failures)) failed) |
        | CPU | \(cpu(result.cpu, rest: "connector tasks")) |
        """
    }

    // MARK: - Formatting

    private static func durability(_ value: (journalMode: String, synchronous: Int)) -> String {
        let names = [0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"]
        return "journal_mode=\(value.journalMode), synchronous=\(names[value.synchronous] ?? "?") (\(value.synchronous))"
    }

    private static func transactions(_ counts: CountingDispatchStore.Counts) -> String {
        func average(_ rows: Int, _ transactions: Int) -> String {
            transactions == 0 ? "-" : String(format: "%.1f", Double(rows) / Double(transactions))
        }
        func milliseconds(_ total: Duration, _ transactions: Int) -> String {
            transactions == 0 ? "-" : String(format: "%.2f ms", total.seconds * 1_000 / Double(transactions))
        }
        return "\(count(counts.claimTransactions)) claims (\(average(counts.claimedRows, counts.claimTransactions)) rows each, "
            + "\(milliseconds(counts.claimWait, counts.claimTransactions)) each), "
            + "\(count(counts.settleTransactions)) settlements (\(average(counts.settledRows, counts.settleTransactions)) rows each, "
            + "\(milliseconds(counts.settleWait, counts.settleTransactions)) each), "
            + "\(count(counts.releaseTransactions)) give-backs (\(count(counts.releasedRows)) rows claimed ahead, never attempted); "
            + "\(count(counts.healthReads)) health reads, \(count(counts.nextDueReads)) next-due reads"
    }

    private static func cpu(_ usage: CPUUsage, rest: String = "dispatcher tasks + GRDB/SQLite") -> String {
        let wall = max(usage.wallSeconds, 0.001)
        func percent(_ seconds: Double) -> String { "\(Int((seconds / wall * 100).rounded()))%" }
        let target = usage.targetSeconds.map(percent) ?? "n/a"
        return "benchmark \(percent(usage.processSeconds)) (NIO event loops \(percent(usage.eventLoopSeconds)), "
            + "\(rest) \(percent(usage.otherSeconds))), noop-target \(target); 100% = one core"
    }

    private static func statusList(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \(count($0.value))" }.joined(separator: ", ")
    }

    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    private static func rate(_ value: Double) -> String {
        value.isFinite ? count(Int(value.rounded())) : "-"
    }

    private static func seconds(_ value: Double) -> String {
        String(format: "%.2f s", value)
    }

    private static func milliseconds(_ value: Double) -> String {
        String(format: "%.1f ms", value)
    }

    private static func megabytes(_ bytes: Int?) -> String {
        bytes.map { String(format: "%.0f MiB", Double($0) / 1_048_576) } ?? "n/a"
    }
}
