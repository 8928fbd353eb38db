public import AtsgateCore
import Foundation
import PostgresNIO

extension PostgresStore: QualificationStore {
    public func apply(_ command: QualificationCommand, planner: QualificationPlanner) async throws -> QualificationOutcome {
        // Refuse an unknown or disabled target before touching the database.
        _ = try planner.resolveTargets(for: command)
        return try await write(ringingWorkersIf: { !$0.submissionChanges.isEmpty || !$0.notifications.isEmpty }) { connection in
            try await self.apply(command, planner: planner, connection: connection)
        }
    }

    public func apply(_ commands: [QualificationCommand], planner: QualificationPlanner) async throws -> [QualificationOutcome] {
        for command in commands { _ = try planner.resolveTargets(for: command) }
        // Jobs are locked in one order (organisation, job), whatever the request's, so two batches
        // sharing jobs wait for each other instead of deadlocking.
        let lockingOrder = commands.indices.sorted {
            (commands[$0].organisationID.rawValue, commands[$0].jobID.rawValue) < (commands[$1].organisationID.rawValue, commands[$1].jobID.rawValue)
        }
        return try await write(ringingWorkersIf: { $0.contains { !$0.submissionChanges.isEmpty || !$0.notifications.isEmpty } }) { connection in
            var outcomes: [QualificationOutcome?] = Array(repeating: nil, count: commands.count)
            for index in lockingOrder {
                outcomes[index] = try await self.apply(commands[index], planner: planner, connection: connection)
            }
            return outcomes.compactMap { $0 }
        }
    }

    private func apply(_ command: QualificationCommand, planner: QualificationPlanner, connection: PostgresConnection) async throws -> QualificationOutcome {
        // Locked job and rows: two nodes qualifying the same job plan one after the other, and a
        // settlement waits for the plan.
        guard let job = try await fetchJob(command.organisationID, command.jobID, locking: true, connection: connection) else {
            throw WorkflowError.jobNotFound(command.jobID, organisation: command.organisationID)
        }
        let context = QualificationContext(
            job: job,
            submissions: try await fetchSubmissions(command.organisationID, command.jobID, locking: true, connection: connection),
            decisionMakers: try await fetchContacts(of: job.job, label: .decisionMaker, connection: connection),
            alreadyNotified: try await notifiedPeople(job.job, type: .jobQualified, connection: connection)
        )
        let plan = try planner.plan(command, context: context)

        let decided = plan.job.job
        try await connection.query("""
            UPDATE jobs
            SET status = \(decided.status.rawValue), qualification_status = \(decided.qualificationStatus.rawValue),
                qualified_at = \(decided.qualifiedAt), qualified_by = \(decided.qualifiedBy), version = \(plan.job.version),
                updated_at = \(planner.now)
            WHERE organisation_id = \(command.organisationID.rawValue) AND id = \(command.jobID.rawValue)
            """, logger: logger)
        for change in plan.submissionChanges {
            try await apply(change, job: plan.job, actor: command.actor, now: planner.now, connection: connection)
        }
        for notification in plan.notifications {
            try await insert(notification, job: decided, now: planner.now, connection: connection)
        }
        try await insert(plan.audit, connection: connection)
        return QualificationOutcome(plan: plan)
    }
}
