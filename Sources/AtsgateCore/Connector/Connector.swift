/// A target system atsgate delivers jobs to: one implementation per kind (Loxo, Bullhorn, email).
///
/// A connector turns a job into the target's requests and the target's answer into a
/// ``SubmissionReceipt`` or a ``ConnectorError`` whose ``ErrorKind`` tells the dispatcher what to do next.
/// What a connector can do differs per target and is declared in ``capabilities``; the
/// dispatcher and the reconciler never call an operation a connector does not declare.
///
/// ## Topics
/// ### Delivering
/// - ``submit(_:)``
/// - ``findJobs(carrying:)``
/// ### Reconciling
/// - ``listJobs(page:)``
/// - ``RemoteJobListing``
public protocol Connector: Sendable {
    var target: TargetName { get }
    var capabilities: ConnectorCapabilities { get }

    /// Delivers one outbox row: create, update or close the job at the target.
    ///
    /// Before repeating a create whose outcome is unknown (a timeout after sending, a crash before
    /// the row was committed), the connector looks the job up by its ``JobMarker`` and adopts what it finds,
    /// reporting `adoptedExisting` in the receipt; a retry never makes a second remote job.
    func submit(_ request: SubmissionRequest) async throws(ConnectorError) -> SubmissionReceipt

    /// The remote jobs carrying `marker`: none, one, or several (duplicates).
    /// Requires ``ConnectorCapabilities/lookupByMarker``.
    func findJobs(carrying marker: JobMarker) async throws(ConnectorError) -> [RemoteJob]

    /// One page of the target's jobs, for reconciliation; `nil` asks for the first page.
    /// Requires ``ConnectorCapabilities/remoteListing``.
    func listJobs(page: RemotePageToken?) async throws(ConnectorError) -> RemoteJobPage

    /// Delivers one decision-maker notification. Requires ``ConnectorCapabilities/notifications``.
    func notify(_ request: NotificationRequest) async throws(ConnectorError) -> SubmissionReceipt

    /// Drops cached credentials and obtains new ones; called once after an `auth` error before the retry.
    func refreshCredentials() async throws(ConnectorError)

    /// The job's fields as the target should hold them, normalized like ``RemoteJob/fields``, for
    /// drift detection. Empty when the connector does not compare fields.
    func comparableFields(of snapshot: JobSnapshot) throws(ConnectorError) -> ComparableFields

    /// Proves the target is reachable and takes our credentials, changing nothing there
    /// (`atsgate connectors check`); returns what was checked, for people.
    func checkConnection() async throws(ConnectorError) -> String
}

extension Connector {
    public func findJobs(carrying marker: JobMarker) async throws(ConnectorError) -> [RemoteJob] {
        throw .unsupported("lookup by marker", target: target)
    }

    public func listJobs(page: RemotePageToken?) async throws(ConnectorError) -> RemoteJobPage {
        throw .unsupported("remote listing", target: target)
    }

    public func notify(_ request: NotificationRequest) async throws(ConnectorError) -> SubmissionReceipt {
        throw .unsupported("notifications", target: target)
    }

    /// Connectors with static credentials have nothing to refresh.
    public func refreshCredentials() async throws(ConnectorError) {}

    public func comparableFields(of snapshot: JobSnapshot) throws(ConnectorError) -> ComparableFields {
        ComparableFields()
    }

    public func checkConnection() async throws(ConnectorError) -> String {
        throw .unsupported("connection checks", target: target)
    }

    /// Every remote job, page by page, as an async sequence.
    public func allJobs() -> RemoteJobListing {
        RemoteJobListing(connector: self)
    }
}

/// What a connector can do.
public struct ConnectorCapabilities: OptionSet, Hashable, Sendable {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    public static let create = Self(rawValue: 1 << 0)
    public static let update = Self(rawValue: 1 << 1)
    public static let close = Self(rawValue: 1 << 2)
    /// The target holds our marker and can be searched by it (duplicate-safe retries, adoption).
    public static let lookupByMarker = Self(rawValue: 1 << 3)
    /// The target's jobs can be listed page by page (reconciliation).
    public static let remoteListing = Self(rawValue: 1 << 4)
    /// The target can carry decision-maker notifications (email).
    public static let notifications = Self(rawValue: 1 << 5)
    /// The connector creates companies and people at the target once and reuses them: it wants
    /// their remote ids (`external_refs`) with each request.
    public static let remembersReferences = Self(rawValue: 1 << 6)

    /// An ATS that holds jobs: everything but notifications.
    public static let ats: Self = [.create, .update, .close, .lookupByMarker, .remoteListing]
    /// A mailbox: it accepts messages and holds nothing to reconcile.
    public static let mailbox: Self = [.create, .update, .close, .notifications]

    public func supports(_ operation: SubmissionOperation) -> Bool {
        switch operation {
        case .create: contains(.create)
        case .update: contains(.update)
        case .close: contains(.close)
        }
    }
}
