/// Writes an import into the store.
public protocol ImportStore: Sendable {
    /// Applies a parsed import in one transaction: inserts new rows, updates changed ones (a changed
    /// job's version goes up, and targets already holding it get an update), leaves equal rows alone.
    /// Never deletes.
    ///
    /// - Throws: ``ImportError`` when a row references something neither the import nor the store
    ///   holds; ``StoreError`` when the database fails. Either way nothing of the import is stored.
    func importDataset(_ dataset: CRMDataset, planner: QualificationPlanner, actor: String) async throws -> ImportSummary
}

/// Runs the qualification workflow.
public protocol QualificationStore: Sendable {
    /// Reads the job, plans `command` with `planner` and applies the plan, all in one transaction.
    ///
    /// - Throws: ``WorkflowError`` for an unknown job or target (nothing written); ``StoreError``.
    func apply(_ command: QualificationCommand, planner: QualificationPlanner) async throws -> QualificationOutcome

    /// Applies every command in one transaction, in order: all of them or none.
    ///
    /// - Throws: ``WorkflowError`` naming the first unknown job or target (nothing written); ``StoreError``.
    func apply(_ commands: [QualificationCommand], planner: QualificationPlanner) async throws -> [QualificationOutcome]
}

/// Reads the outbox for operators.
public protocol OutboxReader: Sendable {
    func outboxEntries(matching filter: OutboxFilter) async throws -> [OutboxEntry]
}

/// Reads of one job and what surrounds it, as operators, the sandbox and reports show them.
public protocol JobReader: Sendable {
    /// A stored job, or `nil` if the organisation has no such job.
    func job(organisationID: OrganisationID, jobID: JobID) async throws -> StoredJob?
    /// A job with its company and contacts, as connectors receive it; `nil` if the organisation has no such job.
    func jobSnapshot(organisationID: OrganisationID, jobID: JobID) async throws -> JobSnapshot?
    /// The target's ids of a company and its people, as the next delivery would receive them.
    func remoteReferences(organisationID: OrganisationID, companyID: CompanyID, target: TargetName) async throws -> RemoteReferences
    /// The decision-maker notifications of one job, oldest first.
    func notifications(organisationID: OrganisationID, jobID: JobID) async throws -> [DecisionMakerNotification]
}

/// The store a gateway runs on — SQLite for one instance, PostgreSQL for several: everything the
/// CLI, the worker, the reconciler and a server need from storage, and nothing engine-specific.
///
/// Every method that queues or re-queues work (an import that re-queues rows, a qualification,
/// a replay, a reconcile repair, rows given back) wakes the workers listening on the store after
/// its commit; callers never ring.
public protocol GatewayStore:
    ImportStore, QualificationStore, OutboxReader, OutboxOperatorStore, JobReader, DispatchStore, ReconcileStore, CredentialStore,
    CreationClaimStore, ConnectionStore, APIKeyStore, IdempotencyStore
{
    /// Hears this store's wake-ups (from any process using it); close it when done.
    func wakeupListener() -> any WakeupListener

    /// The engine, where the data lives, its durability settings and the schema's migrations.
    func describe() async throws -> StoreDescription
}

/// What `atsgate migrate` reports about a store.
public struct StoreDescription: Hashable, Sendable {
    /// The engine and its library version, e.g. `SQLite 3.40.1`.
    public var engine: String
    /// Where the data lives (a file path; a server without credentials).
    public var location: String
    /// Settings that decide durability, in the engine's words (`journal_mode: wal`).
    public var settings: [Setting]
    /// Migrations the database holds, oldest first.
    public var appliedMigrations: [String]
    /// Every migration this build knows.
    public var knownMigrations: [String]

    public struct Setting: Hashable, Sendable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(engine: String, location: String, settings: [Setting], appliedMigrations: [String], knownMigrations: [String]) {
        self.engine = engine
        self.location = location
        self.settings = settings
        self.appliedMigrations = appliedMigrations
        self.knownMigrations = knownMigrations
    }
}

/// What an import changed.
public struct ImportSummary: Hashable, Sendable, Codable {
    public struct Counts: Hashable, Sendable, Codable {
        public var inserted = 0
        public var updated = 0
        public var unchanged = 0

        public init() {}
    }

    public var organisations = Counts()
    public var companies = Counts()
    public var people = Counts()
    public var associations = Counts()
    public var jobs = Counts()
    /// Outbox rows moved back to pending because a job a target holds was edited.
    public var queuedSubmissions = 0

    public init() {}

    public var changedAnything: Bool {
        [organisations, companies, people, associations, jobs].contains { $0.inserted + $0.updated > 0 }
    }
}

/// The database failed or holds something the code cannot read.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// The database cannot be opened or reached.
        case unavailable
        /// A row does not hold what the schema promises (a state no enum knows).
        case corruptRow
        /// The URL names an engine this build cannot use.
        case unsupportedEngine
        /// The URL names no usable place (an empty path).
        case invalidLocation
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
