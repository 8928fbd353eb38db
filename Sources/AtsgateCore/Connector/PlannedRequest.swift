/// A request a connector sends to its target, described so a person can read it:
/// `atsgate mappings preview` prints the requests a delivery would make.
public struct PlannedRequest: Hashable, Sendable {
    public var method: String
    /// The path below the target's base, with its query string.
    public var path: String
    public var body: MappedValue?
    /// Why the request might not be sent ("only if no company is named exactly 'Acme'").
    public var condition: String?

    public init(method: String, path: String, body: MappedValue? = nil, condition: String? = nil) {
        self.method = method
        self.path = path
        self.body = body
        self.condition = condition
    }
}

/// A connector that can say which requests a delivery would make, without sending any.
public protocol RequestPreviewing: Connector {
    func plannedRequests(for request: SubmissionRequest) throws(ConnectorError) -> [PlannedRequest]
}
