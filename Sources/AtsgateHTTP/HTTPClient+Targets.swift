public import AsyncHTTPClient
public import AtsgateCore

extension HTTPClient {
    /// A client whose pool lets every target keep its configured `concurrency` of requests in
    /// flight. AsyncHTTPClient's default of 8 connections per host would cap a target silently.
    /// Redirects are not followed: AsyncHTTPClient would repeat a POST answered 301, 302 or 303
    /// as a GET (a create would then read a listing as its answer) and a 307 at another address.
    /// Connectors see the 3xx and report it. Tracing is off: atsgate bootstraps no tracer, and the
    /// client's default (the global no-op tracer) still built a span and its attributes for every request.
    /// The caller shuts it down.
    public static func forTargets(_ catalog: TargetCatalog) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, catalog.targets.values.map(\.concurrency).max() ?? 8)
        configuration.redirectConfiguration = .disallow
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
