import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

@Suite("Qualification planner")
struct QualificationPlannerTests {
    let planner = QualificationPlanner(catalog: Fixtures.catalog, now: Fixtures.now)

    func job(status: JobStatus = .open, qualification: QualificationStatus = .new, version: Int = 1) -> StoredJob {
        StoredJob(
            job: Job(organisationID: "org-a", id: "job-1", companyID: "cmp-1", title: "Backend Engineer", status: status, qualificationStatus: qualification),
            version: version
        )
    }

    func entry(
        _ id: Int64, _ target: TargetName, _ operation: SubmissionOperation, _ status: OutboxStatus,
        externalID: String? = nil, sentVersion: Int? = nil
    ) -> OutboxEntry {
        OutboxEntry(
            id: id, organisationID: "org-a", jobID: "job-1", target: target, operation: operation, status: status,
            leaseOwner: status == .inFlight ? "worker" : nil, externalID: externalID, jobVersion: 1, sentJobVersion: sentVersion,
            createdAt: Fixtures.now, updatedAt: Fixtures.now
        )
    }

    func command(_ decision: QualificationDecision, targets: [TargetName] = []) -> QualificationCommand {
        QualificationCommand(organisationID: "org-a", jobID: "job-1", decision: decision, targets: targets, actor: "maria", note: "strong fit")
    }

    func context(_ job: StoredJob, _ submissions: [OutboxEntry] = [], decisionMakers: [Person] = [], notified: Set<PersonID> = []) -> QualificationContext {
        QualificationContext(job: job, submissions: submissions, decisionMakers: decisionMakers, alreadyNotified: notified)
    }

    @Test("Qualifying a new job queues a create per enabled target, in name order, and records who and when")
    func qualifyNew() throws {
        let plan = try planner.plan(command(.qualify), context: context(job()))
        #expect(plan.submissionChanges == [
            .enqueue(target: Fixtures.bullhorn, operation: .create),
            .enqueue(target: Fixtures.email, operation: .create),
            .enqueue(target: Fixtures.loxo, operation: .create),
        ])
        #expect(plan.job.job.qualificationStatus == .qualify)
        #expect(plan.job.job.qualifiedAt == Fixtures.now)
        #expect(plan.job.job.qualifiedBy == "maria")
        #expect(plan.job.version == 1)
        #expect(plan.audit.action == .jobQualified)
        #expect(plan.audit.details == ["targets": "bullhorn,email,loxo", "note": "strong fit"])
    }

    @Test("Named targets only, each once")
    func namedTargets() throws {
        let plan = try planner.plan(command(.qualify, targets: [Fixtures.loxo, Fixtures.loxo]), context: context(job()))
        #expect(plan.submissionChanges == [.enqueue(target: Fixtures.loxo, operation: .create)])
    }

    @Test("An unknown, a disabled, or no enabled target is refused before anything is planned")
    func targetErrors() throws {
        let nope = try #require(TargetName(rawValue: "nope"))
        #expect(throws: WorkflowError.unknownTarget("nope", configured: [Fixtures.bullhorn, Fixtures.email, Fixtures.loxo])) {
            try planner.resolveTargets(for: command(.qualify, targets: [Fixtures.loxo, nope]))
        }
        var catalog = Fixtures.catalog
        var disabled = try #require(catalog[Fixtures.loxo])
        disabled.isEnabled = false
        catalog = TargetCatalog(catalog.targets.values.filter { $0.name != Fixtures.loxo } + [disabled])
        let withDisabled = QualificationPlanner(catalog: catalog, now: Fixtures.now)
        #expect(throws: WorkflowError.targetDisabled(Fixtures.loxo)) {
            try withDisabled.resolveTargets(for: command(.qualify, targets: [Fixtures.loxo]))
        }
        #expect(try withDisabled.resolveTargets(for: command(.qualify)) == [Fixtures.bullhorn, Fixtures.email])
        let empty = QualificationPlanner(catalog: TargetCatalog(), now: Fixtures.now)
        #expect(throws: WorkflowError.noEnabledTargets) { try empty.resolveTargets(for: command(.qualify)) }
    }

    @Test("Only open jobs can be qualified")
    func closedJob() {
        #expect(throws: WorkflowError.jobNotOpen("job-1", status: .filled)) {
            try planner.plan(command(.qualify), context: context(job(status: .filled)))
        }
    }

    @Test("Re-qualifying: queued rows stay, up-to-date rows stay, edited rows get an update, failed and cancelled rows retry")
    func requalify() throws {
        let submissions = [
            entry(1, Fixtures.bullhorn, .create, .sent, externalID: "B-1", sentVersion: 2),
            entry(2, Fixtures.email, .create, .pending),
            entry(3, Fixtures.loxo, .create, .sent, externalID: "L-1", sentVersion: 1),
        ]
        let plan = try planner.plan(command(.qualify), context: context(job(qualification: .qualify, version: 2), submissions))
        #expect(plan.submissionChanges == [
            .unchanged(entryID: 1, target: Fixtures.bullhorn, reason: "already sent, up to date"),
            .unchanged(entryID: 2, target: Fixtures.email, reason: "already queued"),
            .requeue(entryID: 3, target: Fixtures.loxo, operation: .update),
        ])

        let retried = try planner.plan(command(.qualify), context: context(job(qualification: .qualify), [
            entry(4, Fixtures.bullhorn, .create, .failed),
            entry(5, Fixtures.email, .update, .cancelled, externalID: "msg-1"),
            entry(6, Fixtures.loxo, .update, .inFlight, externalID: "L-1"),
        ]))
        #expect(retried.submissionChanges == [
            .requeue(entryID: 4, target: Fixtures.bullhorn, operation: .create),
            .requeue(entryID: 5, target: Fixtures.email, operation: .update),
            .unchanged(entryID: 6, target: Fixtures.loxo, reason: "already queued"),
        ])
    }

    @Test("Each decision maker is notified once; one without email is recorded as skipped")
    func notifications() throws {
        let ada = Person(organisationID: "org-a", id: "per-1", firstName: "Ada", lastName: "Lind", email: "ada@x.example")
        let bo = Person(organisationID: "org-a", id: "per-2", firstName: "Bo", lastName: "Krantz")
        let cy = Person(organisationID: "org-a", id: "per-3", firstName: "Cy", lastName: "Moreau", email: "cy@x.example")
        let plan = try planner.plan(command(.qualify), context: context(job(), decisionMakers: [cy, bo, ada], notified: ["per-3"]))
        #expect(plan.notifications == [
            NotificationDraft(personID: "per-1", type: .jobQualified, status: .pending),
            NotificationDraft(personID: "per-2", type: .jobQualified, status: .skipped, reason: "person has no email address"),
        ])
        let skipPlan = try planner.plan(command(.skip), context: context(job(), decisionMakers: [ada]))
        #expect(skipPlan.notifications.isEmpty)
    }

    @Test("Skip cancels pending creates only and queues nothing")
    func skip() throws {
        let plan = try planner.plan(command(.skip), context: context(job(qualification: .qualify), [
            entry(1, Fixtures.bullhorn, .create, .pending),
            entry(2, Fixtures.email, .create, .inFlight),
            entry(3, Fixtures.loxo, .update, .pending, externalID: "L-1"),
        ]))
        #expect(plan.submissionChanges == [
            .cancel(entryID: 1, target: Fixtures.bullhorn),
            .unchanged(entryID: 2, target: Fixtures.email, reason: "in flight; cannot be withdrawn"),
            .unchanged(entryID: 3, target: Fixtures.loxo, reason: "pending; skip only withdraws pending creates"),
        ])
        #expect(plan.job.job.qualificationStatus == .skip)
        #expect(plan.job.job.qualifiedAt == nil)
        #expect(plan.audit.action == .jobSkipped)
    }

    @Test("Close: delivered rows get a close, waiting rows switch to close, creates never sent are cancelled")
    func close() throws {
        let plan = try planner.plan(command(.close), context: context(job(qualification: .qualify), [
            entry(1, Fixtures.bullhorn, .create, .sent, externalID: "B-1", sentVersion: 1),
            entry(2, Fixtures.email, .create, .pending),
            entry(3, Fixtures.loxo, .update, .pending, externalID: "L-1"),
        ]))
        #expect(plan.job.job.status == .closed)
        #expect(plan.job.version == 2)
        #expect(plan.submissionChanges == [
            .requeue(entryID: 1, target: Fixtures.bullhorn, operation: .close),
            .cancel(entryID: 2, target: Fixtures.email),
            .retarget(entryID: 3, target: Fixtures.loxo, operation: .close),
        ])

        let again = try planner.plan(command(.close), context: context(job(status: .closed, version: 2), [
            entry(1, Fixtures.bullhorn, .close, .sent, externalID: "B-1", sentVersion: 2),
            entry(2, Fixtures.email, .create, .inFlight),
            entry(3, Fixtures.loxo, .update, .failed, externalID: "L-1"),
        ]))
        #expect(again.job.version == 2)
        #expect(again.submissionChanges == [
            .unchanged(entryID: 1, target: Fixtures.bullhorn, reason: "already closed at the target"),
            .retarget(entryID: 2, target: Fixtures.email, operation: .close),
            .requeue(entryID: 3, target: Fixtures.loxo, operation: .close),
        ])
    }

    @Test("An edit queues updates where the target holds an older version, or a close if the edit closed the job")
    func edits() {
        let submissions = [
            entry(1, Fixtures.bullhorn, .create, .sent, externalID: "B-1", sentVersion: 1),
            entry(2, Fixtures.email, .create, .pending),
            entry(3, Fixtures.loxo, .update, .sent, externalID: "L-1", sentVersion: 2),
        ]
        #expect(planner.changesAfterEdit(of: job(version: 2), submissions: submissions) == [
            .requeue(entryID: 1, target: Fixtures.bullhorn, operation: .update),
        ])
        #expect(planner.changesAfterEdit(of: job(status: .filled, version: 3), submissions: submissions) == [
            .requeue(entryID: 1, target: Fixtures.bullhorn, operation: .close),
            .requeue(entryID: 3, target: Fixtures.loxo, operation: .close),
        ])
    }
}
