import Foundation

/// Rows the dispatcher claimed before a slot was free for them, per lane, oldest first.
///
/// A claim takes milliseconds at the store, and under load slots free up all the while. With a
/// few rows in hand the loop fills a freed slot at once instead of after the next claim returns.
/// The loop claims ahead only as many rows as slots freed during its last claim, so an idle or
/// slow target holds none.
///
/// A row waits here on its lease, so it does not wait long: past a quarter of its lease it goes
/// back to the store untouched (as do all of them at shutdown, or when the target stops taking
/// rows), and every row that starts has most of its lease left.
struct ClaimedAhead {
    private struct Held {
        var claim: ClaimedSubmission
        var claimedAt: Date
    }

    private var rows: [DeliveryLane: [Held]] = [:]

    var isEmpty: Bool { rows.values.allSatisfy(\.isEmpty) }

    func count(_ lane: DeliveryLane) -> Int { rows[lane]?.count ?? 0 }

    mutating func append(_ claims: [ClaimedSubmission], claimedAt: Date) {
        for claim in claims { rows[claim.lane, default: []].append(Held(claim: claim, claimedAt: claimedAt)) }
    }

    /// The oldest `limit` rows of `lane`, removed.
    mutating func take(_ limit: Int, of lane: DeliveryLane) -> [ClaimedSubmission] {
        guard limit > 0, let held = rows[lane], !held.isEmpty else { return [] }
        let taken = held.prefix(limit)
        rows[lane] = Array(held.dropFirst(taken.count))
        return taken.map(\.claim)
    }

    /// Every row of `lane`, removed.
    mutating func removeAll(of lane: DeliveryLane) -> [ClaimedSubmission] {
        rows.removeValue(forKey: lane)?.map(\.claim) ?? []
    }

    /// Every row, removed.
    mutating func removeAll() -> [ClaimedSubmission] {
        defer { rows.removeAll() }
        return rows.values.flatMap { $0.map(\.claim) }
    }

    /// Rows held for a quarter of their target's lease or longer, removed.
    mutating func removeStale(now: Date, leaseDurations: [TargetName: Duration]) -> [ClaimedSubmission] {
        var stale: [ClaimedSubmission] = []
        for (lane, held) in rows {
            let maximumAge = ((leaseDurations[lane.target] ?? .seconds(60)) / 4).timeInterval
            let old = held.prefix { now.timeIntervalSince($0.claimedAt) >= maximumAge }
            guard !old.isEmpty else { continue }
            stale += old.map(\.claim)
            rows[lane] = Array(held.dropFirst(old.count))
        }
        return stale
    }
}
