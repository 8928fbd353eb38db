import AtsgateCore
@testable import AtsgateSQLite
import Foundation
import GRDB
import Testing

@Suite("Dates as stored text")
struct StorageTextTests {
    /// What GRDB itself binds for a `Date`.
    func grdbText(_ date: Date) -> String? {
        String.fromDatabaseValue(date.databaseValue)
    }

    @Test("The same text as GRDB's formatter, at the edges", arguments: [
        0, 0.000_4, 0.000_999_9, 0.001, 59.999_5, 86_399.999, 86_400, 951_782_400, 951_868_799.999_9, // 2000-02-29
        1_709_164_800.5, 1_735_689_599.999, 1_735_689_600, 1_790_000_000.123_456, 4_102_444_800, 253_402_300_799.999,
    ] as [TimeInterval])
    func edges(secondsSince1970: TimeInterval) {
        let date = Date(timeIntervalSince1970: secondsSince1970)
        #expect(date.storageText == grdbText(date), "\(secondsSince1970)")
    }

    @Test("The same text as GRDB's formatter for random instants between 1970 and 2200, to the sub-millisecond")
    func randomInstants() {
        let random = JitterSource(seed: 7)  // seeded, so a failing case repeats
        var mismatches: [String] = []
        for _ in 0..<20_000 {
            let date = Date(timeIntervalSinceReferenceDate: -978_307_200 + random.next() * 7_258_118_400)
            if date.storageText != grdbText(date), mismatches.count < 5 {
                mismatches.append("\(date.timeIntervalSinceReferenceDate): \(date.storageText) vs \(grdbText(date) ?? "nil")")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test("Dates outside 1970–9999 fall back to GRDB's formatter")
    func outsideTheFastRange() {
        for date in [Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: -86_400 * 365 * 500), Date(timeIntervalSince1970: 253_402_300_800)] {
            #expect(date.storageText == grdbText(date))
        }
    }

    @Test("Stored as text, a date reads back as the same millisecond")
    func readsBack() throws {
        let queue = try DatabaseQueue()
        let date = Date(timeIntervalSince1970: 1_790_000_000.123_9)
        let read = try queue.read { db in try Date.fetchOne(db, sql: "SELECT ?", arguments: [date.storageText]) }
        let seconds = try #require(read?.timeIntervalSince1970)
        #expect(abs(seconds - 1_790_000_000.124) < 0.000_01)
    }
}
