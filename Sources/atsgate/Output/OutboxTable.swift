import AtsgateCore

/// Outbox rows as a terminal table: `outbox list` and the sandbox.
enum OutboxTable {
    static func render(_ entries: [OutboxEntry]) -> String {
        var table = TextTable(["ID", "ORGANISATION", "JOB", "TARGET", "OPERATION", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "EXTERNAL ID", "LAST ERROR"])
        for entry in entries {
            table.append([
                "\(entry.id)", entry.organisationID.rawValue, entry.jobID.rawValue, entry.target.rawValue,
                entry.operation.rawValue, entry.status.rawValue, "\(entry.attempts)",
                entry.nextAttemptAt?.isoText ?? "-", entry.externalID ?? "-",
                entry.lastErrorKind.map { "\($0.rawValue): \(entry.lastErrorMessage ?? "")" } ?? "-",
            ])
        }
        return table.render()
    }

    /// One row's attempts, oldest first: `outbox show` and the sandbox.
    static func render(_ attempts: [AttemptHistoryEntry]) -> String {
        var table = TextTable(["#", "OPERATION", "STARTED", "DURATION", "OUTCOME", "HTTP", "ERROR", "REQUEST", "MESSAGE"])
        for attempt in attempts {
            table.append([
                "\(attempt.attemptNumber)", attempt.operation?.rawValue ?? "-", attempt.startedAt.isoText,
                attempt.durationMilliseconds.map { "\($0) ms" } ?? "-", attempt.outcome ?? "-",
                attempt.httpStatus.map(String.init) ?? "-", attempt.errorKind?.rawValue ?? "-",
                attempt.requestHash ?? "-", attempt.message ?? "",
            ])
        }
        return table.render()
    }
}
