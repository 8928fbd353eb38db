public import AsyncHTTPClient
public import AtsgateCore
import AtsgateHTTP
import Foundation

/// Delivers jobs to a Loxo agency (ATS_APIS.md part A).
///
/// A create finds the company by name (or uses the id remembered in `external_refs`) and creates
/// it when absent, creates the job with the company's id, then finds each hiring contact (decision
/// makers and hiring managers) by email, creates the ones Loxo does not know, and attaches them.
/// An update or close is a `PUT` of the mapped job, whose `job_status_id` the mapping derives from
/// the job's status.
///
/// Loxo has no external-id field and no idempotency key, so the job carries our marker in an
/// agency custom field (the mapping field fed by `marker`). Before a create whose earlier
/// attempt may have reached Loxo is repeated, the connector searches that field and adopts what
/// it finds. Anything that fails after the job exists is reported as possibly delivered, so the
/// next attempt adopts the job instead of making a second one.
public struct LoxoConnector: RequestPreviewing {
    public let target: TargetName
    public let capabilities: ConnectorCapabilities = ConnectorCapabilities.ats.union(.remembersReferences)

    let api: LoxoAPI
    let requests: LoxoRequests
    /// Loxo status ids that mean "open", from the mapping's `job_status_id` table.
    let openStatusIDs: Set<Int>
    let comparedFields: [String]
    private let directory: FindOrCreateDirectory

    /// - Parameters:
    ///   - apiKey: the key's value, read from the environment by the caller.
    ///   - creations: where companies and people being found or created are claimed, so that no
    ///     other process creates the same one at once; `nil` keeps the guarantee to this process.
    public init(
        target: TargetName, settings: TargetConfiguration.LoxoSettings, apiKey: Secret?, mapping: TargetMapping,
        timeout: Duration, client: HTTPClient, creations: (any CreationClaimStore)? = nil
    ) throws(ConnectorError) {
        let shape = try LoxoMappingShape(mapping)
        self.target = target
        self.api = LoxoAPI(settings: settings, apiKey: apiKey, transport: HTTPTransport(client: client, timeout: timeout))
        self.requests = LoxoRequests(engine: MappingEngine(mapping: mapping), markerField: shape.markerField)
        self.openStatusIDs = shape.openStatusIDs
        self.comparedFields = shape.comparedFields
        self.directory = FindOrCreateDirectory(shared: .forConnector(store: creations, target: target, requestTimeout: timeout))
    }

    // MARK: - Delivering

    /// A failure carries what was done before it (``DeliveryProgress``): the job once it exists, and
    /// the companies and people found or created, so the next attempt goes on from there.
    public func submit(_ request: SubmissionRequest) async throws(ConnectorError) -> SubmissionReceipt {
        var progress = DeliveryProgress()
        do throws(ConnectorError) {
            return try await submit(request, progress: &progress)
        } catch {
            throw error.with(progress: progress)
        }
    }

    private func submit(_ request: SubmissionRequest, progress: inout DeliveryProgress) async throws(ConnectorError) -> SubmissionReceipt {
        var learned = RemoteReferences()
        defer { progress.learnedReferences = learned }
        switch request.operation {
        case .create:
            if let id = request.externalID {
                // An earlier attempt created the job and stopped before finishing it: bring its
                // fields up to date (the job may have changed since) and attach what is missing.
                progress.externalID = id
                return try await putJob(id: id, request, progress: &progress, learned: &learned, verb: "finished (created by an earlier attempt)")
            }
            if request.outcomeOfEarlierAttemptUnknown, let existing = try await searchJobs(carrying: request.snapshot.marker).first {
                progress.externalID = existing.id
                var receipt = try await putJob(id: existing.id, request, progress: &progress, learned: &learned, verb: "adopted (found by its marker)")
                receipt.adoptedExisting = true
                return receipt
            }
            let companyID = try await companyID(for: request, learned: &learned)
            let job = try requests.mappedJob(request.snapshot, companyID: companyID)
            let (status, answer) = try await sendCreate(requests.createJob(job))
            guard let created = LoxoJob(answer: answer) else {
                throw .rejected(Self.nullIDReason(status: status, sent: job), httpStatus: status)
            }
            progress.externalID = created.id
            progress.completedSteps.insert(Self.jobFieldsSent)
            do {
                try await attachContacts(to: created, request, progress: &progress, learned: &learned)
            } catch {
                throw Self.afterCreate(error, jobID: created.id)
            }
            return SubmissionReceipt(
                externalID: created.id, httpStatus: status, summary: "created Loxo job \(created.id)",
                learnedReferences: learned, comparedFieldsDigest: comparable(job).digest
            )
        case .update, .close:
            guard let id = request.externalID else {
                throw .mapping(field: "external_id", job: request.snapshot.job.id, reason: "an \(request.operation.rawValue) needs the Loxo job id from the create")
            }
            return try await putJob(id: id, request, progress: &progress, learned: &learned, verb: request.operation == .close ? "closed" : "updated")
        }
    }

    /// `PUT /jobs/{id}` with the mapped job (unless an earlier try of this attempt sent these
    /// fields), then the hiring contacts it does not have yet.
    private func putJob(
        id: String, _ request: SubmissionRequest, progress: inout DeliveryProgress, learned: inout RemoteReferences, verb: String
    ) async throws(ConnectorError) -> SubmissionReceipt {
        let companyID = try await companyID(for: request, learned: &learned)
        let job = try requests.mappedJob(request.snapshot, companyID: companyID)
        var status: Int?
        var updated = LoxoJob(id: id, fields: [:])
        if !request.completedSteps.contains(Self.jobFieldsSent) {
            let (answered, answer) = try await api.send(requests.updateJob(id: id, job))
            status = answered
            updated = LoxoJob(answer: answer) ?? updated
            progress.completedSteps.insert(Self.jobFieldsSent)
        }
        try await attachContacts(to: updated, request, progress: &progress, learned: &learned)
        return SubmissionReceipt(
            externalID: id, httpStatus: status, summary: "\(verb) Loxo job \(id)",
            learnedReferences: learned, comparedFieldsDigest: comparable(job).digest
        )
    }

    public func findJobs(carrying marker: JobMarker) async throws(ConnectorError) -> [RemoteJob] {
        try await searchJobs(carrying: marker).map { remoteJob($0) }
    }

    public func comparableFields(of snapshot: JobSnapshot) throws(ConnectorError) -> ComparableFields {
        comparable(try requests.mappedJob(snapshot, companyID: nil))
    }

    private func comparable(_ job: [String: MappedValue]) -> ComparableFields {
        var compared = ComparableFields()
        for name in comparedFields { compared[name] = job[name]?.text ?? "" }
        return compared
    }

    func remoteJob(_ job: LoxoJob) -> RemoteJob {
        job.remoteJob(markerField: requests.markerField, openStatusIDs: openStatusIDs, comparedFields: comparedFields)
    }

    public func plannedRequests(for request: SubmissionRequest) throws(ConnectorError) -> [PlannedRequest] {
        try LoxoPreview(requests: requests).plan(request)
    }

    /// Jobs whose marker field holds exactly `marker`, oldest first. `query` is a ranked search,
    /// so every hit is compared.
    private func searchJobs(carrying marker: JobMarker) async throws(ConnectorError) -> [LoxoJob] {
        let (status, answer) = try await api.send(requests.jobSearch(carrying: marker))
        guard let page = LoxoJobPage(answer: answer) else {
            throw .rejected("Loxo's job search answer (\(status)) has no 'results' list", httpStatus: status)
        }
        return page.jobs
            .filter { $0.fields[requests.markerField]?.text == marker.description }
            .sorted { ($0.id.count, $0.id) < ($1.id.count, $1.id) }
    }

    // MARK: - Company and contacts

    /// The remembered id, else a company named exactly like ours, else a new company.
    private func companyID(for request: SubmissionRequest, learned: inout RemoteReferences) async throws(ConnectorError) -> String {
        let company = request.snapshot.company
        if let known = request.references.companies[company.id] { return known }
        let id = try await directory.id(for: "company:\(Self.normalized(company.name))") { () throws(ConnectorError) in
            if let found = try await findCompany(named: company.name) { return found }
            let (status, answer) = try await sendCreate(requests.createCompany(for: request.snapshot))
            guard let created = (answer["company"] ?? answer)["id"]?.text else {
                throw .rejected("Loxo created no company '\(company.name)' (answer \(status) without an id)", httpStatus: status)
            }
            return created
        }
        learned.companies[company.id] = id
        return id
    }

    /// Companies page by scroll cursor (A5): stop when a page is empty or the cursor is null or unchanged.
    private func findCompany(named name: String) async throws(ConnectorError) -> String? {
        var scrollID: String?
        for _ in 0..<Self.maximumSearchPages {
            let (_, answer) = try await api.send(requests.companySearch(named: name, scrollID: scrollID))
            let companies = answer["companies"]?.array ?? []
            if let match = companies.first(where: { Self.sameName($0["name"]?.text, name) }), let id = match["id"]?.text {
                return id
            }
            let next = answer["scroll_id"]?.text
            guard !companies.isEmpty, let next, next != scrollID else { return nil }
            scrollID = next
        }
        return nil
    }

    /// Attaches every decision maker and hiring manager the job does not have yet. Which ones it
    /// has comes from the job's answer, else from an earlier try of this attempt, else from Loxo.
    private func attachContacts(
        to job: LoxoJob, _ request: SubmissionRequest, progress: inout DeliveryProgress, learned: inout RemoteReferences
    ) async throws(ConnectorError) {
        let people = request.snapshot.hiringContacts
        guard !people.isEmpty else { return }
        var attached: Set<String>
        if let known = job.contactPersonIDs {
            attached = known
        } else if request.completedSteps.contains(Self.contactsRead) {
            attached = Set(request.completedSteps.compactMap(Self.attachedPersonID))
        } else {
            let (_, answer) = try await api.send(requests.showJob(id: job.id))
            attached = LoxoJob(answer: answer)?.contactPersonIDs ?? []
        }
        progress.completedSteps.insert(Self.contactsRead)
        progress.completedSteps.formUnion(attached.map(Self.attachedStep))
        for person in people {
            let remoteID = try await personID(for: person, request, learned: &learned)
            guard !attached.contains(remoteID) else { continue }
            do {
                _ = try await api.send(requests.attachContact(person, remoteID: remoteID, toJob: job.id, of: request.snapshot))
            } catch where error.mayHaveReachedTarget {
                // The contact may be attached now: a redo reads the job's contacts again.
                progress.completedSteps.remove(Self.contactsRead)
                throw error
            }
            attached.insert(remoteID)
            progress.completedSteps.insert(Self.attachedStep(remoteID))
        }
    }

    /// A `POST` that creates a job, company or person: if it may have reached Loxo, what it made
    /// is found again only through Loxo's search, so it is not redone at once (``ConnectorError/isUnknownCreate``).
    private func sendCreate(_ planned: PlannedRequest) async throws(ConnectorError) -> (status: Int, json: JSONValue) {
        do {
            return try await api.send(planned)
        } catch {
            var failure = error
            failure.isUnknownCreate = error.mayHaveReachedTarget
            throw failure
        }
    }

    // MARK: - Steps a redo skips

    /// The job's fields as of this snapshot are at Loxo (created or `PUT`).
    static let jobFieldsSent = "job-fields"
    /// The job's attached contacts are known: every one is a ``attachedStep(_:)``.
    static let contactsRead = "contacts-read"

    static func attachedStep(_ personID: String) -> String { "contact:\(personID)" }

    static func attachedPersonID(_ step: String) -> String? {
        step.hasPrefix("contact:") ? String(step.dropFirst("contact:".count)) : nil
    }

    /// The remembered id, else a person with the same email (or, without one, the same name), else a new person.
    private func personID(for person: Person, _ request: SubmissionRequest, learned: inout RemoteReferences) async throws(ConnectorError) -> String {
        if let known = request.references.people[person.id] ?? learned.people[person.id] { return known }
        let key = person.email.map { "email:\(Self.normalized($0))" } ?? "name:\(Self.normalized(person.fullName))"
        let id = try await directory.id(for: key) { () throws(ConnectorError) in
            let (_, answer) = try await api.send(requests.personSearch(for: person))
            let match = (answer["people"]?.array ?? []).first { candidate in
                if let email = person.email {
                    return Self.sameEmail(candidate, email)
                }
                return Self.sameName(candidate["name"]?.text, person.fullName)
            }
            if let found = match?["id"]?.text { return found }
            let (status, created) = try await sendCreate(requests.createPerson(person, of: request.snapshot))
            guard let createdID = (created["person"] ?? created)["id"]?.text else {
                throw .rejected("Loxo created no person for contact \(person.id) (answer \(status) without an id)", httpStatus: status)
            }
            return createdID
        }
        learned.people[person.id] = id
        return id
    }

    // MARK: - Reasons

    static let maximumSearchPages = 5

    /// Loxo's trap (A4): `200` with `"id": null` and nothing stored, when a required field is missing.
    static func nullIDReason(status: Int, sent job: [String: MappedValue]) -> String {
        let likelyRequired = ["title", "raw_company_name", "company_id", "job_type_id"]
        let empty = likelyRequired.filter { job[$0]?.isEmpty ?? true }
            .filter { !($0 == "company_id" && !(job["raw_company_name"]?.isEmpty ?? true)) && !($0 == "raw_company_name" && job["company_id"] != nil) }
        let hint = empty.isEmpty
            ? "title, company and job type were all sent; check the agency's required job fields"
            : "likely missing: \(empty.joined(separator: ", "))"
        return "Loxo answered \(status) with a null job id, so nothing was stored (\(hint))"
    }

    /// A failure once the job exists at Loxo: the next attempt must adopt it, not create another.
    static func afterCreate(_ error: ConnectorError, jobID: String) -> ConnectorError {
        var error = error
        error.message = "Loxo job \(jobID) was created, but its contacts were not all attached: \(error.message)"
        error.mayHaveReachedTarget = true
        return error
    }

    static func sameName(_ remote: String?, _ local: String) -> Bool {
        remote.map(normalized) == normalized(local)
    }

    static func normalized(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// `email` or any of `emails[].value`.
    static func sameEmail(_ person: JSONValue, _ email: String) -> Bool {
        let addresses = [person["email"]?.text] + (person["emails"]?.array ?? []).map { $0["value"]?.text ?? $0.text }
        return addresses.contains { $0?.caseInsensitiveCompare(email) == .orderedSame }
    }
}

extension JobSnapshot {
    /// Decision makers, then hiring managers, each person once.
    var hiringContacts: [Person] {
        var seen = Set<PersonID>()
        return (decisionMakers + hiringManagers).filter { seen.insert($0.id).inserted }
    }
}
