public import AtsgateCore
import Foundation

extension InMemoryStore: QualificationStore {
    public func apply(_ command: QualificationCommand, planner: QualificationPlanner) async throws -> QualificationOutcome {
        // Refuse an unknown or disabled target before touching the state.
        _ = try planner.resolveTargets(for: command)
        return try write(ringingWorkersIf: { !$0.submissionChanges.isEmpty || !$0.notifications.isEmpty }) { state in
            try state.apply(command, planner: planner)
        }
    }

    public func apply(_ commands: [QualificationCommand], planner: QualificationPlanner) async throws -> [QualificationOutcome] {
        for command in commands { _ = try planner.resolveTargets(for: command) }
        return try write(ringingWorkersIf: { $0.contains { !$0.submissionChanges.isEmpty || !$0.notifications.isEmpty } }) { state in
            try commands.map { try state.apply($0, planner: planner) }
        }
    }
}

/// Mirrors SQLiteStore+Qualification.swift: read the job, plan with the planner, write the plan.
extension InMemoryState {
    mutating func apply(_ command: QualificationCommand, planner: QualificationPlanner) throws -> QualificationOutcome {
        guard let job = job(command.organisationID, command.jobID) else {
            throw WorkflowError.jobNotFound(command.jobID, organisation: command.organisationID)
        }
        let context = QualificationContext(
            job: job,
            submissions: submissions(of: command.organisationID, command.jobID),
            decisionMakers: contacts(of: job.job.companyID, command.organisationID, label: .decisionMaker),
            alreadyNotified: notifiedPeople(job.job, type: .jobQualified)
        )
        let plan = try planner.plan(command, context: context)

        let key = Scoped(command.organisationID, command.jobID)
        if var stored = jobs[key] {
            stored.value.job.status = plan.job.job.status
            stored.value.job.qualificationStatus = plan.job.job.qualificationStatus
            stored.value.job.qualifiedAt = plan.job.job.qualifiedAt.atStoragePrecision
            stored.value.job.qualifiedBy = plan.job.job.qualifiedBy
            stored.value.version = plan.job.version
            stored.updatedAt = planner.now.atStoragePrecision
            jobs[key] = stored
        }
        for change in plan.submissionChanges {
            apply(change, job: plan.job, actor: command.actor, now: planner.now)
        }
        for notification in plan.notifications {
            insert(notification, job: plan.job.job, now: planner.now)
        }
        try insert(plan.audit)
        return QualificationOutcome(plan: plan)
    }
}
