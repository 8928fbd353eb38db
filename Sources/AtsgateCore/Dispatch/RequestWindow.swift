public import Foundation

/// Requests to a target and how many of them failed, over a sliding window of time: what the
/// circuit breaker judges a target by.
///
/// The window is kept as a few buckets, each counting the requests of a tenth of the window, so
/// it is small enough to live in the target's row and to combine settlements of several workers.
public struct RequestWindow: Hashable, Sendable {
    public struct Bucket: Hashable, Sendable {
        public var start: Date
        public var requests: Int
        public var failures: Int

        public init(start: Date, requests: Int, failures: Int) {
            self.start = start
            self.requests = requests
            self.failures = failures
        }
    }

    /// Oldest first.
    public private(set) var buckets: [Bucket]

    public init(buckets: [Bucket] = []) {
        self.buckets = buckets.sorted { $0.start < $1.start }
    }

    public static let bucketsPerWindow = 10

    /// Adds requests finished at `now`, forgetting what fell out of `window`.
    public mutating func add(requests: Int, failures: Int, at now: Date, window: Duration) {
        guard requests > 0 else { return }
        forget(before: now.adding(.zero - window))
        let bucketLength = window.timeInterval / Double(Self.bucketsPerWindow)
        // Settlements of several workers may arrive a little out of order: find the bucket that
        // covers `now`, else start one where it belongs.
        if let index = buckets.lastIndex(where: { $0.start <= now && now.timeIntervalSince($0.start) < bucketLength }) {
            buckets[index].requests += requests
            buckets[index].failures += failures
        } else {
            let index = buckets.firstIndex { $0.start > now } ?? buckets.endIndex
            buckets.insert(Bucket(start: now, requests: requests, failures: failures), at: index)
        }
    }

    /// Requests and failures within `window` before `now`.
    public func totals(now: Date, window: Duration) -> (requests: Int, failures: Int) {
        let since = now.adding(.zero - window)
        return buckets.filter { $0.start >= since }.reduce(into: (0, 0)) { totals, bucket in
            totals.0 += bucket.requests
            totals.1 += bucket.failures
        }
    }

    public mutating func removeAll() {
        buckets.removeAll()
    }

    private mutating func forget(before instant: Date) {
        buckets.removeAll { $0.start < instant }
    }
}

extension RequestWindow {
    /// `start_ms:requests:failures` per bucket, separated by `;`: how a store keeps it in one column.
    public var storedText: String {
        buckets.map { "\(Int64(($0.start.timeIntervalSince1970 * 1_000).rounded())):\($0.requests):\($0.failures)" }
            .joined(separator: ";")
    }

    /// Reads ``storedText`` back; `nil` when the text is not in that form.
    public init?(storedText: String) {
        var buckets: [Bucket] = []
        for part in storedText.split(separator: ";") {
            let fields = part.split(separator: ":")
            guard fields.count == 3, let milliseconds = Int64(fields[0]), let requests = Int(fields[1]), let failures = Int(fields[2]),
                  requests >= 0, failures >= 0, failures <= requests
            else { return nil }
            buckets.append(Bucket(start: Date(timeIntervalSince1970: Double(milliseconds) / 1_000), requests: requests, failures: failures))
        }
        self.init(buckets: buckets)
    }
}
