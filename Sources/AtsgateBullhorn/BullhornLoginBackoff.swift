import AtsgateCore
import Foundation

/// When the next password login may be tried. Bullhorn locks an API user after repeated failed
/// logins (ATS_APIS.md B1, ops cautions), and the user is often shared with other integrations,
/// so after a refused login atsgate waits before trying the password again: `initial`, doubling
/// with each refusal in a row up to `maximum`. A value with no I/O; time is passed in.
struct BullhornLoginBackoff: Hashable, Sendable {
    let initial: Duration
    let maximum: Duration
    private(set) var refusalsInARow = 0
    private(set) var blockedUntil: Date?

    init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The moment a password login may be tried again, if it is later than `now`.
    func blocked(at now: Date) -> Date? {
        blockedUntil.flatMap { $0 > now ? $0 : nil }
    }

    mutating func recordRefusal(at now: Date) {
        refusalsInARow += 1
        let factor = pow(2, Double(min(refusalsInARow - 1, 20)))
        let wait = min(initial.timeInterval * factor, maximum.timeInterval)
        blockedUntil = now.addingTimeInterval(wait)
    }

    mutating func recordSuccess() {
        refusalsInARow = 0
        blockedUntil = nil
    }
}
