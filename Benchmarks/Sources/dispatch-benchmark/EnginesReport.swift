import Foundation

/// The markdown summary of the `engines` phase.
enum EnginesReport {
    static func render(_ result: EnginesPhase.Result, rows: Int, concurrency: Int, loadBefore: String, loadAfter: String) -> String {
        var lines: [String] = []
        lines.append("")
        lines.append("## Engines: SQLite and PostgreSQL in the same run")
        lines.append("")
        lines.append("Load average before: \(loadBefore); after: \(loadAfter). Target concurrency \(concurrency); 100 % CPU = one core; machine shares are of all \(ProcessInfo.processInfo.activeProcessorCount) cores.")
        lines.append("")
        lines.append("### Commit and round trip")
        lines.append("")
        lines.append("| engine | one-row write transaction, median / p99 | round trip (`SELECT 1`), median | settings |")
        lines.append("| --- | --- | --- | --- |")
        for probe in result.probes {
            lines.append("| \(probe.engine.title) | \(micros(probe.commitMicros.median)) / \(micros(probe.commitMicros.p99)) | \(probe.roundTripMicros.map(micros) ?? "in process") | \(probe.settings) |")
        }
        lines.append("")
        lines.append("### Enqueue, \(Report.count(rows)) jobs")
        lines.append("")
        lines.append("| engine | import (one transaction) | qualify, one transaction each, one after the other | qualify, 4 at a time (mean of the process rounds) |")
        lines.append("| --- | --- | --- | --- |")
        for engine in Engine.allCases {
            let rounds = result.throughput.filter { $0.engine == engine }
            guard let first = rounds.first(where: { $0.processes == nil }) else { continue }
            let parallel = rounds.filter { $0.enqueueParallel > 1 }.map { Double($0.rows) / $0.enqueueSeconds }
            let parallelText = parallel.isEmpty ? "-" : "\(rate(parallel.reduce(0, +) / Double(parallel.count)))/s"
            lines.append("| \(engine.title) | \(seconds(first.importSeconds)) = \(rate(Double(first.rows) / first.importSeconds)) rows/s | **\(rate(Double(first.rows) / first.enqueueSeconds))/s** (\(milliseconds(first.enqueueSeconds * 1000 / Double(first.rows))) each) | \(parallelText) |")
        }
        lines.append("")
        lines.append("### Dispatch, \(Report.count(rows)) rows per round")
        lines.append("")
        lines.append("| engine | dispatchers | wall | **rows/s** | first attempt → last | CPU: benchmark / workers / PostgreSQL / target | machine: user / system / idle / iowait | every row sent once? |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for round in result.throughput {
            let who = round.processes.map { "\($0) worker process\($0 == 1 ? "" : "es")" } ?? "1, in process"
            let cpu = round.cpu
            let machine = cpu.machine
            let check = round.check.holds(rows: round.rows) ? "yes: \(round.check.summary)" : "**NO**: \(round.check.summary)"
            lines.append("| \(round.engine.title) | \(who) | \(seconds(round.dispatchSeconds)) | **\(rate(round.dispatchRate))** | \(seconds(round.attemptSpanSeconds)) (\(rate(Double(round.rows) / round.attemptSpanSeconds))/s) | \(cpu.percent(.benchmark)) % / \(cpu.percent(.workers)) % / \(cpu.percent(.postgres)) % / \(cpu.percent(.target)) % | \(Int(machine.user)) / \(Int(machine.system)) / \(Int(machine.idle)) / \(Int(machine.iowait)) % | \(check) |")
        }
        lines.append("")
        for round in result.throughput where round.transactions != nil {
            let counts = round.transactions!
            lines.append("- \(round.engine.title), in process: \(Report.count(counts.claimTransactions)) claims (\(average(counts.claimedRows, counts.claimTransactions)) rows, \(perCall(counts.claimWait, counts.claimTransactions)) each), \(Report.count(counts.settleTransactions)) settlements (\(average(counts.settledRows, counts.settleTransactions)) rows, \(perCall(counts.settleWait, counts.settleTransactions)) each)")
        }
        let withStatements = result.throughput.filter { $0.statements != nil }
        if !withStatements.isEmpty {
            lines.append("")
            lines.append("### PostgreSQL statements per dispatch round (`pg_stat_statements`)")
            for round in withStatements {
                guard let statements = round.statements else { continue }
                let who = round.processes.map { "\($0) worker process(es)" } ?? "in process"
                lines.append("")
                lines.append("\(who): \(Report.count(statements.totalCalls)) statements = \(String(format: "%.1f", Double(statements.totalCalls) / Double(round.rows))) per row, \(String(format: "%.0f", statements.totalMilliseconds)) ms executing in all")
                lines.append("")
                lines.append("| calls | per row | ms in all | statement |")
                lines.append("| --- | --- | --- | --- |")
                for statement in statements.top.prefix(10) {
                    let query = String(statement.query.prefix(110)).replacingOccurrences(of: "|", with: "\\|")
                    lines.append("| \(Report.count(statement.calls)) | \(String(format: "%.2f", Double(statement.calls) / Double(round.rows))) | \(String(format: "%.0f", statement.totalMilliseconds)) | `\(query)` |")
                }
            }
        }
        lines.append("")
        lines.append("### Qualify → sent latency, one listening `atsgate worker` process")
        lines.append("")
        lines.append("| engine | wake-up | offered / achieved | sent | p50 | p95 | p99 | max | CPU: benchmark / worker / PostgreSQL / target |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for round in result.latency {
            func cell(_ p: Double) -> String { round.percentile(p).map { milliseconds($0) } ?? "-" }
            let wake = round.engine == .sqlite ? "named pipes" : "LISTEN/NOTIFY"
            let cpu = round.cpu
            lines.append("| \(round.engine.title) | \(wake) | \(rate(round.requestedRate))/s / \(rate(round.achievedRate))/s | \(Report.count(round.sent)) of \(Report.count(round.jobs)) | \(cell(50)) | \(cell(95)) | **\(cell(99))** | \(round.latencies.last.map(milliseconds) ?? "-") | \(cpu.percent(.benchmark)) % / \(cpu.percent(.workers)) % / \(cpu.percent(.postgres)) % / \(cpu.percent(.target)) % |")
        }
        lines.append("")
        lines.append("### Goals")
        lines.append("")
        func dispatch(_ engine: Engine, _ processes: Int?) -> Double? {
            result.throughput.first { $0.engine == engine && $0.processes == processes }?.dispatchRate
        }
        for processes in [nil, 1] as [Int?] {
            if let sqlite = dispatch(.sqlite, processes), let postgres = dispatch(.postgres, processes) {
                let share = postgres / sqlite * 100
                let label = processes == nil ? "in process" : "one worker process"
                lines.append("- One dispatcher (\(label)) on PostgreSQL ≥ 60 % of SQLite's rate: \(rate(postgres)) / \(rate(sqlite)) = \(String(format: "%.0f", share)) % — **\(share >= 60 ? "met" : "NOT met")**")
            }
        }
        if let postgres = result.latency.first(where: { $0.engine == .postgres }), let p99 = postgres.percentile(99) {
            lines.append("- PostgreSQL qualify → sent p99 ≤ 20 ms: \(milliseconds(p99)) — **\(p99 <= 20 ? "met" : "NOT met")**")
        }
        let bad = result.throughput.filter { !$0.check.holds(rows: $0.rows) }
        lines.append("- Every dispatch round: every row sent, exactly one attempt and one distinct remote id each — **\(bad.isEmpty ? "yes" : "NO, in \(bad.count) round(s)")**")
        return lines.joined(separator: "\n")
    }

    private static func rate(_ value: Double) -> String { value.isFinite ? Report.count(Int(value.rounded())) : "-" }
    private static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }
    private static func milliseconds(_ value: Double) -> String { String(format: "%.1f ms", value) }
    private static func micros(_ value: Double) -> String { String(format: "%.0f µs", value) }
    private static func average(_ rows: Int, _ transactions: Int) -> String {
        transactions == 0 ? "-" : String(format: "%.1f", Double(rows) / Double(transactions))
    }
    private static func perCall(_ total: Duration, _ calls: Int) -> String {
        calls == 0 ? "-" : String(format: "%.2f ms", total.seconds * 1000 / Double(calls))
    }
}
