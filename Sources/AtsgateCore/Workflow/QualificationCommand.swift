/// The recruiter's decision about a job.
public enum QualificationDecision: String, Hashable, Sendable, CaseIterable {
    /// Send the job to its targets (all enabled ones, or those named).
    case qualify
    /// Do not send the job; withdraw creates not yet sent.
    case skip
    /// The role is closed: close it at every target that holds it.
    case close
}

/// One `jobs qualify | skip | close` request, scoped to one organisation.
public struct QualificationCommand: Hashable, Sendable {
    public var organisationID: OrganisationID
    public var jobID: JobID
    public var decision: QualificationDecision
    /// For `qualify`: the targets to send to; empty means every enabled target.
    public var targets: [TargetName]
    public var actor: String
    public var note: String?

    public init(
        organisationID: OrganisationID,
        jobID: JobID,
        decision: QualificationDecision,
        targets: [TargetName] = [],
        actor: String,
        note: String? = nil
    ) {
        self.organisationID = organisationID
        self.jobID = jobID
        self.decision = decision
        self.targets = targets
        self.actor = actor
        self.note = note
    }
}
