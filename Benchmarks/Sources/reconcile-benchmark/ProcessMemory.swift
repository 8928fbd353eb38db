import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Resident memory of this process and the machine's load, from Linux's /proc.
enum ProcessMemory {
    /// The peak resident set size since start or the last ``resetPeak()`` (VmHWM), in bytes.
    static var peakResidentBytes: Int? { statusField("VmHWM:") }

    /// The resident set size now (VmRSS), in bytes.
    static var residentBytes: Int? { statusField("VmRSS:") }

    /// Hands freed heap back to the system and restarts VmHWM from the current RSS (Linux ≥ 4.0,
    /// `clear_refs` value 5), so writing the fixture does not count towards the run's peak.
    /// Returns whether the peak was reset.
    @discardableResult
    static func resetPeak() -> Bool {
        trimHeap()
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }

    /// glibc's `malloc_trim(0)`, looked up at run time (the Glibc module does not export malloc.h).
    private static func trimHeap() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }

    /// The 1, 5 and 15 minute load averages.
    static var loadAverage: String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static var oneMinuteLoad: Double {
        Double(loadAverage.split(separator: " ").first ?? "") ?? .nan
    }

    private static func statusField(_ name: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
              let kibibytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kibibytes * 1_024
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
