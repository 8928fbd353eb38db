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
}

/// Reads the outbox for operators.
public protocol OutboxReader: Sendable {
    func outboxEntries(matching filter: OutboxFilter) async throws -> [OutboxEntry]
}

/// The store a gateway runs on: SQLite for one instance, PostgreSQL for several.
public typealias GatewayStore = ImportStore & QualificationStore & OutboxReader

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
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
