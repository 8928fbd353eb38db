import AtsgateCore
import Foundation

/// The markdown summary.
enum DegradedReport {
    static func header(target: TargetConfiguration, dataset: DegradedDataset, outage: Duration, seed: UInt64) -> String {
        let breaker = target.circuitBreaker
        let retry = target.retry
        let date = Date().formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false))
        return """
        # atsgate degraded-target benchmark

        | setting | value |
        | --- | --- |
        | date | \(date) UTC |
        | machine | \(MachineInfo.summary); load average at start \(MachineInfo.loadAverage) |
        | target | `connectors/loxo.yaml` as shipped, `base_url` pointing at an in-process `FakeLoxo`: \
        rate limit \(number(target.rateLimit.requestsPerSecond)) requests/s (burst \(number(target.rateLimit.burst))), \
        concurrency \(target.concurrency), timeout \(DurationText.format(target.timeout)), \
        attempt_timeout \(DurationText.format(target.attemptTimeout)) |
        | retry | base_delay \(DurationText.format(retry.baseDelay)), max_delay \(DurationText.format(retry.maxDelay)), \
        max_attempts \(retry.maxAttempts), max_age \(DurationText.format(retry.maxAge)) |
        | circuit breaker | opens at ≥ \(number(breaker.failureRate * 100)) % failed of ≥ \(breaker.minimumRequests) requests in \
        \(DurationText.format(breaker.window)); cool-down \(DurationText.format(breaker.initialCoolDown)) doubling up to \
        \(DurationText.format(breaker.coolDown)); closes after \(breaker.probes) probe requests answered |
        | data set per phase | \(dataset.jobs) jobs over \(dataset.companies) companies, each with a decision maker and a hiring \
        manager (emails set); a fresh database and a fresh fake per phase |
        | faults | phase 2: \(number(DegradedPhase.writeErrorRate * 100)) % of POST/PUT answered 503; phase 3: every request \
        answered 503 for \(DurationText.format(outage)) from the phase's start; seed \(seed) |
        """
    }

    static func results(_ results: [PhaseResult]) -> String {
        var lines = [
            "",
            "## Results",
            "",
            "| phase | all sent after | attempts per row (mean / max) | requests at the fake (writes) | duplicates at the fake (jobs / companies / people) | rows not sent |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for result in results {
            let perRow = result.attemptsPerRow
            let fake = result.fake
            lines.append(
                "| \(result.kind.title) | \(result.wallSeconds.map(seconds) ?? "**not all sent**") "
                    + "| \(String(format: "%.2f", perRow.mean)) / \(perRow.max) "
                    + "| \(fake.requests) (\(fake.writes)) "
                    + "| \(fake.duplicateMarkers) / \(fake.duplicateCompanies) / \(fake.duplicatePeople) "
                    + "| \(result.notSent) |"
            )
        }
        lines += ["", "| phase | rows by status | attempts by outcome | jobs at the fake | markers missing | jobs missing a contact |", "| --- | --- | --- | --- | --- | --- |"]
        for result in results {
            lines.append(
                "| \(result.kind.title) | \(list(result.statusCounts)) | \(list(result.outcomes)) | \(result.fake.jobs) "
                    + "| \(result.fake.missingMarkers) | \(result.fake.jobsMissingContacts) |"
            )
        }
        lines += ["", "| phase | requests at the fake by kind |", "| --- | --- |"]
        for result in results {
            let kinds = result.fake.byKind.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key): \($0.value)" }
            lines.append("| \(result.kind.title) | \(kinds.joined(separator: ", ")) |")
        }
        return lines.joined(separator: "\n")
    }

    static func outage(_ result: PhaseResult, analysis: OutageAnalysis, coolDown: Duration) -> String {
        let start = result.start
        func offset(_ date: Date?) -> String { date.map { String(format: "+%.1f s", $0.timeIntervalSince(start)) } ?? "-" }
        func sinceReturn(_ date: Date?) -> String {
            date.map { String(format: "%.1f s", $0.timeIntervalSince(analysis.returnedAt)) } ?? "-"
        }
        let timeline = result.circuitEvents.map { event in
            event.opened
                ? "\(offset(event.occurredAt)) opened until \(offset(event.until))"
                : "\(offset(event.occurredAt)) closed"
        }
        return """

        ## Phase 3 in detail (times from the phase's start)

        | measure | value |
        | --- | --- |
        | the target returned | \(offset(analysis.returnedAt)) |
        | attempts during the outage | \(analysis.attemptsDuringOutage) on \(analysis.rowsAttemptedDuringOutage) rows |
        | … before the circuit first opened (\(offset(analysis.firstOpening))) | \(analysis.attemptsBeforeFirstOpening) on \(analysis.rowsBeforeFirstOpening) rows |
        | … after it, while the circuit was open (rows already in hand) | \(analysis.attemptsDuringCoolDowns) |
        | … after it, once a cool-down was over: probes | \(analysis.probesDuringOutage) |
        | circuit openings during the outage | \(analysis.openingsDuringOutage); cool-downs over before the return: \(analysis.coolDownsEndedDuringOutage) |
        | requests at the fake during the outage | \(analysis.requestsDuringOutage) |
        | after the return: first attempt, circuit closed | \(sinceReturn(analysis.firstAttemptAfterReturn)), \(sinceReturn(analysis.closedAfterReturn)) |
        | **after the return: all sent** | **\(analysis.recoverySeconds.map(seconds) ?? "not all sent")** (one cool_down = \(DurationText.format(coolDown))) |
        | attempts after the return | \(analysis.attemptsAfterReturn) |
        | requests at the fake after the return | \(analysis.requestsAfterReturn)\(analysis.recoverySeconds.map { String(format: " (%.1f /s)", Double(analysis.requestsAfterReturn) / max($0, 0.001)) } ?? "") |
        | circuit, from `audit_log` | \(timeline.isEmpty ? "never opened" : timeline.joined(separator: "; ")) |
        """
    }

    static func goals(_ goals: [GoalCheck]) -> String {
        var lines = ["", "## Goals", "", "| goal | measured | met |", "| --- | --- | --- |"]
        for goal in goals {
            lines.append("| \(goal.goal) | \(goal.measured) | \(goal.met.map { $0 ? "yes" : "**no**" } ?? "n/a") |")
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - Formatting

    static func seconds(_ value: Double) -> String {
        String(format: "%.1f s", value)
    }

    private static func number(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(format: "%.2f", value)
    }

    private static func number(_ value: Int) -> String { String(value) }

    private static func list(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }
}

/// One goal, what was measured, and whether it was met (`nil`: not measured in this run).
struct GoalCheck {
    var goal: String
    var measured: String
    var met: Bool?
}
