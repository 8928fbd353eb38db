public import AtsgateCore

/// Drives a dispatcher over real connectors whose retries wait out real, short backoffs.
///
/// The dispatcher sleeps exactly until its next row is due; the test waits for it to report
/// that it is idle instead of sleeping and polling, and stops it once nothing is left pending.
public enum DispatcherRun {
    /// Runs the dispatcher `make` builds (it must pass the given observer into its configuration,
    /// with `untilIdle` off) until, idle, it leaves no row pending or in flight (a row it claimed
    /// ahead and has not started is in flight while the dispatcher reports idle); then cancels it,
    /// which is clean because nothing is in flight. `onIdle` is called with the count of idle looks so far,
    /// before each check. Rethrows what the dispatcher threw.
    public static func untilNothingPending(
        in store: some OutboxReader,
        onIdle: (_ looks: Int) -> Void = { _ in },
        _ make: (_ observer: @escaping @Sendable (DispatcherEvent) -> Void) -> OutboxDispatcher
    ) async throws {
        let (events, sink) = AsyncStream.makeStream(of: DispatcherEvent.self)
        let dispatcher = make { sink.yield($0) }
        let runner = Task {
            defer { sink.finish() }
            try await dispatcher.run()
        }
        var looks = 0
        for await event in events {
            guard case .idle = event else { continue }
            looks += 1
            onIdle(looks)
            let pending = try await store.outboxEntries(matching: OutboxFilter(status: .pending))
            let inFlight = try await store.outboxEntries(matching: OutboxFilter(status: .inFlight))
            if pending.isEmpty, inFlight.isEmpty { break }
        }
        runner.cancel()
        switch await runner.result {
        case .success, .failure(is CancellationError): return
        case .failure(let error): throw error
        }
    }
}
