public import AsyncHTTPClient
public import AtsgateCore
import AtsgateHTTP
import Foundation

/// Delivers jobs to a Bullhorn corporation as JobOrders (ATS_APIS.md part B).
///
/// **Session.** OAuth (loginInfo, authorize, token) and a REST login give a `BhRestToken` and the
/// authoritative `restUrl`; ``BullhornSessionKeeper`` renews the session before it ends and after
/// a 401, one renewal at a time, and stores the rotating refresh token so a restart needs no
/// password login.
///
/// **Create.** A JobOrder needs a ClientCorporation and a ClientContact (B3). Each is the id
/// remembered in `external_refs`, else the record whose `externalID` is our short key
/// (``BullhornEntityKey``), else a new one. The contact is the company's first decision maker
/// (else hiring manager, else primary contact). Then `PUT entity/JobOrder` with the mapped job,
/// whose `externalID` is the marker `atsgate:<organisation>:<job>`.
///
/// **No second JobOrder.** Bullhorn has no idempotency key and can store a record and still
/// answer an error (B7). A create whose answer is not a clean success is followed, before
/// anything else, by a search for the marker: a JobOrder found is adopted. If none is found the
/// error is reported as possibly delivered, so the next attempt searches again before creating.
///
/// **Update and close.** The JobOrder is read, and `POST entity/JobOrder/{id}` sends only the
/// mapped fields whose value differs from what Bullhorn holds (plus the `compare: false` ones,
/// which cannot be compared); nothing when none differ. A close also sends `isOpen: false`.
public struct BullhornConnector: RequestPreviewing {
    public struct Options: Sendable {
        /// The session length asked of Bullhorn's login, in minutes (B1: at most 2,880). The default is 60.
        public var sessionMinutes: Int
        /// A session this close to its end is renewed before use. The default is 60 s.
        public var renewalMargin: Duration
        /// The wait after a refused password login before the next one; it doubles with each refusal
        /// in a row up to ``maximumPasswordLoginBackoff``. The default is 5 minutes.
        public var passwordLoginBackoff: Duration
        /// The default is one hour.
        public var maximumPasswordLoginBackoff: Duration
        /// Expires sessions and login backoffs. The default is the system clock.
        public var clock: any GatewayClock
        /// The client for the OAuth steps, which must not follow redirects. The default (nil) is
        /// one process-wide client configured that way.
        public var authClient: HTTPClient?

        public init(
            sessionMinutes: Int = 60,
            renewalMargin: Duration = .seconds(60),
            passwordLoginBackoff: Duration = .seconds(300),
            maximumPasswordLoginBackoff: Duration = .seconds(3_600),
            clock: any GatewayClock = SystemClock(),
            authClient: HTTPClient? = nil
        ) {
            self.sessionMinutes = sessionMinutes
            self.renewalMargin = renewalMargin
            self.passwordLoginBackoff = passwordLoginBackoff
            self.maximumPasswordLoginBackoff = maximumPasswordLoginBackoff
            self.clock = clock
            self.authClient = authClient
        }
    }

    public let target: TargetName
    public let capabilities: ConnectorCapabilities = .ats

    let api: BullhornAPI
    let requests: BullhornRequests
    let shape: BullhornMappingShape
    let directory: FindOrCreateDirectory

    /// - Parameters:
    ///   - secrets: the values of the variables `settings` names, read by the caller; checked at the first login.
    ///   - client: the client for data calls (`restUrl`).
    ///   - credentials: where the rotating refresh token is kept; `nil` keeps it in memory only.
    public init(
        target: TargetName, settings: TargetConfiguration.BullhornSettings, secrets: BullhornSecrets, mapping: TargetMapping,
        timeout: Duration, client: HTTPClient, credentials: (any CredentialStore)?, creations: (any CreationClaimStore)? = nil,
        options: Options = Options()
    ) throws(ConnectorError) {
        let shape = try BullhornMappingShape(mapping)
        let oauth = BullhornOAuth(
            transport: HTTPTransport(client: options.authClient ?? BullhornAuthClient.shared, timeout: timeout), clock: options.clock
        )
        let keeper = BullhornSessionKeeper(
            target: target, settings: settings, secrets: secrets, oauth: oauth, store: credentials, clock: options.clock,
            options: .init(
                sessionMinutes: min(max(options.sessionMinutes, 1), 2_880), renewalMargin: options.renewalMargin,
                backoff: BullhornLoginBackoff(initial: options.passwordLoginBackoff, maximum: options.maximumPasswordLoginBackoff)
            )
        )
        self.target = target
        self.shape = shape
        self.api = BullhornAPI(keeper: keeper, transport: HTTPTransport(client: client, timeout: timeout))
        self.directory = FindOrCreateDirectory(shared: .forConnector(store: creations, target: target, requestTimeout: timeout))
        self.requests = BullhornRequests(engine: MappingEngine(mapping: mapping), shape: shape)
    }

    // MARK: - Delivering

    /// A failure carries the companies and contacts found or created before it (``DeliveryProgress``),
    /// so the next attempt does not look for them again.
    public func submit(_ request: SubmissionRequest) async throws(ConnectorError) -> SubmissionReceipt {
        var learned = RemoteReferences()
        do throws(ConnectorError) {
            return try await submit(request, learned: &learned)
        } catch {
            throw error.with(progress: DeliveryProgress(learnedReferences: learned))
        }
    }

    private func submit(_ request: SubmissionRequest, learned: inout RemoteReferences) async throws(ConnectorError) -> SubmissionReceipt {
        try validate(request)
        switch request.operation {
        case .create:
            if let id = request.externalID {
                // An earlier attempt created the JobOrder and failed after: bring it up to date.
                return try await adopt(id, request, companyID: nil, contactID: nil, learned: learned)
            }
            if request.outcomeOfEarlierAttemptUnknown, let existing = try await searchJobOrders(carrying: request.snapshot.marker).first {
                return try await adopt(existing.id, request, companyID: nil, contactID: nil, learned: learned)
            }
            let companyID = try await companyID(for: request, learned: &learned)
            let contactID = try await contactID(for: request, companyID: companyID, learned: &learned)
            let job = try requests.mappedJob(request.snapshot, companyID: companyID, contactID: contactID)
            do throws(ConnectorError) {
                let (status, answer) = try await api.send(requests.createJob(job))
                guard let id = answer["changedEntityId"]?.text, !id.isEmpty else {
                    throw ConnectorError(
                        kind: .rejected, message: "Bullhorn answered PUT entity/JobOrder (\(status)) without a changedEntityId",
                        httpStatus: status, mayHaveReachedTarget: true
                    )
                }
                return SubmissionReceipt(
                    externalID: id, httpStatus: status, summary: "created Bullhorn JobOrder \(id)",
                    learnedReferences: learned, comparedFieldsDigest: comparable(job).digest
                )
            } catch {
                return try await recoverCreate(after: error, request, companyID: companyID, contactID: contactID, learned: learned)
            }
        case .update, .close:
            guard let id = request.externalID else {
                throw .mapping(field: "external_id", job: request.snapshot.job.id, reason: "an \(request.operation.rawValue) needs the Bullhorn JobOrder id from the create")
            }
            let companyID = try await companyID(for: request, learned: &learned)
            let contactID = try await contactID(for: request, companyID: companyID, learned: &learned)
            let job = try requests.mappedJob(request.snapshot, companyID: companyID, contactID: contactID, closing: request.operation == .close)
            let (status, changed) = try await bringUpToDate(id: id, job)
            let verb = request.operation == .close ? "closed" : "updated"
            return SubmissionReceipt(
                externalID: id, httpStatus: status,
                summary: changed.isEmpty ? "Bullhorn JobOrder \(id) already held every mapped value" : "\(verb) Bullhorn JobOrder \(id) (\(changed.joined(separator: ", ")))",
                learnedReferences: learned, comparedFieldsDigest: comparable(job).digest
            )
        }
    }

    public func refreshCredentials() async throws(ConnectorError) {
        await api.keeper.drop()
    }

    public func findJobs(carrying marker: JobMarker) async throws(ConnectorError) -> [RemoteJob] {
        try await searchJobOrders(carrying: marker).map { $0.remoteJob(comparedFields: shape.comparedFields) }
    }

    public func comparableFields(of snapshot: JobSnapshot) throws(ConnectorError) -> ComparableFields {
        comparable(try requests.mappedJob(snapshot, companyID: nil, contactID: nil))
    }

    public func plannedRequests(for request: SubmissionRequest) throws(ConnectorError) -> [PlannedRequest] {
        try validate(request)
        return try BullhornPreview(requests: requests).plan(request)
    }

    // MARK: - Creating without duplicates

    /// After a create that did not end cleanly: the JobOrder carrying the marker, if Bullhorn
    /// stored one anyway, is adopted; otherwise the error says the create may have reached Bullhorn.
    private func recoverCreate(
        after failure: ConnectorError, _ request: SubmissionRequest, companyID: String, contactID: String, learned: RemoteReferences
    ) async throws(ConnectorError) -> SubmissionReceipt {
        guard Self.mayHaveStored(failure) else { throw failure }
        let found: BullhornJobOrder?
        do {
            found = try await searchJobOrders(carrying: request.snapshot.marker).first
        } catch {
            throw Self.lookupFailed(error, after: failure)
        }
        guard let found else {
            var unknown = failure
            unknown.mayHaveReachedTarget = true
            unknown.message += " (no JobOrder carrying the marker was found right after; the next attempt looks again before creating)"
            throw unknown
        }
        return try await adopt(found.id, request, companyID: companyID, contactID: contactID, learned: learned)
    }

    /// Takes a JobOrder found by its marker as ours, and brings its mapped fields up to date.
    private func adopt(
        _ id: String, _ request: SubmissionRequest, companyID: String?, contactID: String?, learned: RemoteReferences
    ) async throws(ConnectorError) -> SubmissionReceipt {
        let job = try requests.mappedJob(request.snapshot, companyID: companyID, contactID: contactID)
        let status: Int?
        do {
            (status, _) = try await bringUpToDate(id: id, job)
        } catch {
            var failed = error
            failed.message = "Bullhorn JobOrder \(id) carries the marker, but bringing it up to date failed: \(error.message)"
            failed.mayHaveReachedTarget = true
            throw failed
        }
        return SubmissionReceipt(
            externalID: id, adoptedExisting: true, httpStatus: status, summary: "adopted Bullhorn JobOrder \(id) found by its marker",
            learnedReferences: learned, comparedFieldsDigest: comparable(job).digest
        )
    }

    /// Reads the JobOrder and sends the mapped fields Bullhorn does not hold yet.
    /// - Returns: the update's status (`nil` when nothing was sent) and the fields sent.
    func bringUpToDate(id: String, _ job: [String: MappedValue]) async throws(ConnectorError) -> (status: Int?, changed: [String]) {
        let (status, answer) = try await api.send(requests.readJob(id: id))
        let read = BullhornJobOrder.records(in: answer).records
        guard let current = read.first(where: { $0.id == id }) ?? read.first else {
            throw .rejected("Bullhorn's answer for JobOrder \(id) (\(status)) holds no record")
        }
        guard !current.isDeleted else {
            throw .rejected("Bullhorn JobOrder \(id) was deleted at Bullhorn (reconcile reports it as missing_remote and can create it again)")
        }
        let changes = job.filter { name, value in shape.uncomparedFields.contains(name) || current.differs(name, from: value) }
        guard !changes.isEmpty else { return (nil, []) }
        let (updated, _) = try await api.send(requests.updateJob(id: id, changes))
        return (updated, changes.keys.sorted())
    }

    /// A lookup after a create that may have been stored failed as well: the create's outcome is
    /// unknown, so the lookup's error (transient, rate limited…) decides what follows, and it says
    /// the create may have reached Bullhorn.
    static func lookupFailed(_ lookup: ConnectorError, after failure: ConnectorError) -> ConnectorError {
        var unknown = lookup
        unknown.message = "\(failure.message); looking for the record right after failed too (\(lookup.message)), so the next attempt looks again before creating"
        unknown.mayHaveReachedTarget = true
        return unknown
    }

    /// Whether a failed write may still have been stored: Bullhorn refused it before doing anything
    /// only for a 429, a session problem, or a request never sent.
    static func mayHaveStored(_ error: ConnectorError) -> Bool {
        error.kind == .transient || error.kind == .rejected
    }

    // MARK: - Helpers

    /// Mapping problems surface before any request: the job, its company and its contact.
    private func validate(_ request: SubmissionRequest) throws(ConnectorError) {
        let snapshot = request.snapshot
        _ = try requests.mappedJob(snapshot, companyID: nil, contactID: nil)
        _ = try requests.createCompany(for: snapshot)
        let person = try snapshot.jobOrderContact()
        _ = try requests.createContact(person, of: snapshot, companyID: "0")
    }

    private func comparable(_ job: [String: MappedValue]) -> ComparableFields {
        var compared = ComparableFields()
        for name in shape.comparedFields { compared[name] = job[name]?.text ?? "" }
        return compared
    }
}

/// The client of the OAuth steps: it never follows redirects (the code of `authorize` is in a 302's
/// `Location`). It lives as long as the process, like `HTTPClient.shared`: logins are rare, and a
/// client must be shut down before it is released.
enum BullhornAuthClient {
    static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}
