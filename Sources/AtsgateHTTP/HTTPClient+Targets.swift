public import AsyncHTTPClient
public import AtsgateCore

extension HTTPClient {
    /// A client whose pool lets every target keep its configured `concurrency` of requests in
    /// flight. AsyncHTTPClient's default of 8 connections per host would cap a target silently.
    /// The caller shuts it down.
    public static func forTargets(_ catalog: TargetCatalog) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, catalog.targets.values.map(\.concurrency).max() ?? 8)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
