/// A job as a target holds it, reduced to what reconciliation compares.
public struct RemoteJob: Hashable, Sendable {
    public var remoteID: String
    /// Our marker, if the remote record carries one.
    public var marker: JobMarker?
    public var isOpen: Bool
    /// The compared fields as the target holds them (see ``Connector/comparableFields(of:)``).
    public var fields: ComparableFields

    public init(remoteID: String, marker: JobMarker?, isOpen: Bool, fields: ComparableFields = ComparableFields()) {
        self.remoteID = remoteID
        self.marker = marker
        self.isOpen = isOpen
        self.fields = fields
    }
}

/// Where the next page of a listing starts. Opaque to everyone but the connector that made it
/// (a page number, an offset, a scroll id, a status slice).
public struct RemotePageToken: Hashable, Sendable {
    public var value: String

    public init(_ value: String) {
        self.value = value
    }
}

/// One page of a remote listing.
public struct RemoteJobPage: Hashable, Sendable {
    public var jobs: [RemoteJob]
    /// `nil` when this was the last page.
    public var next: RemotePageToken?

    public init(jobs: [RemoteJob], next: RemotePageToken?) {
        self.jobs = jobs
        self.next = next
    }
}

/// Every remote job of a target, fetched page by page as the sequence is consumed.
///
/// Memory stays at one page. A page that fails ends the sequence with the connector's error, so
/// a consumer can tell a complete listing from a partial one.
public struct RemoteJobListing: AsyncSequence, Sendable {
    public typealias Element = RemoteJob
    public typealias Failure = ConnectorError

    let connector: any Connector

    public func makeAsyncIterator() -> Iterator {
        Iterator(connector: connector)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let connector: any Connector
        var buffer: [RemoteJob] = []
        var bufferIndex = 0
        var nextToken: RemotePageToken?
        var finished = false
        public private(set) var pagesFetched = 0

        init(connector: any Connector) {
            self.connector = connector
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(ConnectorError) -> RemoteJob? {
            while bufferIndex == buffer.count {
                guard !finished else { return nil }
                let page = try await connector.listJobs(page: nextToken)
                pagesFetched += 1
                buffer = page.jobs
                bufferIndex = 0
                nextToken = page.next
                finished = page.next == nil
            }
            defer { bufferIndex += 1 }
            return buffer[bufferIndex]
        }

        public mutating func next() async throws(ConnectorError) -> RemoteJob? {
            try await next(isolation: nil)
        }
    }
}
