/// The marker that ties a remote record to a local job: stored in the target (Bullhorn `externalID`,
/// a Loxo custom field, an email header) so a job can be found again after an unknown outcome.
///
/// It carries the organisation, so two tenants' job ids never collide at a shared target.
public struct JobMarker: Hashable, Sendable, Codable, CustomStringConvertible {
    public var organisationID: OrganisationID
    public var jobID: JobID

    public init(organisationID: OrganisationID, jobID: JobID) {
        self.organisationID = organisationID
        self.jobID = jobID
    }

    public static let prefix = "atsgate:"

    /// `atsgate:<organisation>:<job>`.
    public var description: String { "\(Self.prefix)\(organisationID):\(jobID)" }

    /// Reads a marker back from a remote record; `nil` for values atsgate did not write.
    public init?(parsing text: String) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let rest = text.dropFirst(Self.prefix.count)
        guard let separator = rest.firstIndex(of: ":") else { return nil }
        let organisation = rest[..<separator]
        let job = rest[rest.index(after: separator)...]
        guard !organisation.isEmpty, !job.isEmpty else { return nil }
        self.init(organisationID: OrganisationID(String(organisation)), jobID: JobID(String(job)))
    }
}

/// A job with what every target needs to hold it: its company and its contacts.
public struct JobSnapshot: Hashable, Sendable, Codable {
    public var job: Job
    public var version: Int
    public var company: Company
    public var decisionMakers: [Person]
    public var hiringManagers: [Person]
    public var primaryContact: Person?

    public init(
        job: Job,
        version: Int,
        company: Company,
        decisionMakers: [Person] = [],
        hiringManagers: [Person] = [],
        primaryContact: Person? = nil
    ) {
        self.job = job
        self.version = version
        self.company = company
        self.decisionMakers = decisionMakers
        self.hiringManagers = hiringManagers
        self.primaryContact = primaryContact
    }

    /// A stored job with its company and the company's contacts by label (people in id order),
    /// as every store engine reads them: the first primary contact is the one.
    public init(_ stored: StoredJob, company: Company, contacts: [AssociationLabel: [Person]]) {
        self.init(
            job: stored.job,
            version: stored.version,
            company: company,
            decisionMakers: contacts[.decisionMaker] ?? [],
            hiringManagers: contacts[.hiringManager] ?? [],
            primaryContact: contacts[.primaryContact]?.first
        )
    }

    public var marker: JobMarker { JobMarker(organisationID: job.organisationID, jobID: job.id) }
}

/// One delivery: what the outbox row asks the target to do, with the job as it is now.
public struct SubmissionRequest: Hashable, Sendable, Codable {
    public var operation: SubmissionOperation
    public var snapshot: JobSnapshot
    /// The remote id from an earlier create; `nil` for a create.
    public var externalID: String?
    /// Whether an earlier attempt of this create may have reached the target (timeout, crash):
    /// the connector must look the job up by its marker before creating it again.
    public var outcomeOfEarlierAttemptUnknown: Bool
    /// The target's ids of the job's company and contacts, as far as atsgate knows them.
    public var references: RemoteReferences
    /// Steps an earlier try *of this attempt* finished (``DeliveryProgress/completedSteps``), which
    /// the connector may skip; empty on an attempt's first try, when only the target can tell.
    public var completedSteps: Set<String>

    public init(
        operation: SubmissionOperation, snapshot: JobSnapshot, externalID: String? = nil,
        outcomeOfEarlierAttemptUnknown: Bool = false, references: RemoteReferences = RemoteReferences(),
        completedSteps: Set<String> = []
    ) {
        self.operation = operation
        self.snapshot = snapshot
        self.externalID = externalID
        self.outcomeOfEarlierAttemptUnknown = outcomeOfEarlierAttemptUnknown
        self.references = references
        self.completedSteps = completedSteps
    }
}

/// What a target confirmed.
public struct SubmissionReceipt: Hashable, Sendable {
    /// The target's id of the job (for email: the Message-ID).
    public var externalID: String
    /// True when the job was found by its marker instead of being created again.
    public var adoptedExisting: Bool
    public var httpStatus: Int?
    /// A short, redacted summary of the target's answer for the outbox's `response_data`.
    public var summary: String?
    /// Companies and people the connector found or created at the target, to remember in `external_refs`.
    public var learnedReferences: RemoteReferences
    /// ``ComparableFields/digest`` of what the target now holds (as sent), for reconciliation's drift check.
    public var comparedFieldsDigest: String?

    public init(
        externalID: String, adoptedExisting: Bool = false, httpStatus: Int? = nil, summary: String? = nil,
        learnedReferences: RemoteReferences = RemoteReferences(), comparedFieldsDigest: String? = nil
    ) {
        self.externalID = externalID
        self.adoptedExisting = adoptedExisting
        self.httpStatus = httpStatus
        self.summary = summary
        self.learnedReferences = learnedReferences
        self.comparedFieldsDigest = comparedFieldsDigest
    }
}

/// One decision-maker notification to deliver: who, about which job.
public struct NotificationRequest: Hashable, Sendable {
    public var notificationID: Int64
    public var type: NotificationType
    public var recipient: Person
    public var snapshot: JobSnapshot

    public init(notificationID: Int64, type: NotificationType, recipient: Person, snapshot: JobSnapshot) {
        self.notificationID = notificationID
        self.type = type
        self.recipient = recipient
        self.snapshot = snapshot
    }
}
