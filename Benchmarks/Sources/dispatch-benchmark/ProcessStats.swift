import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CPU time and memory of processes and threads, from Linux's /proc.
enum ProcessStats {
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// User plus system CPU seconds of a process (all its threads, living and ended).
    static func cpuSeconds(pid: Int32?) -> Double? {
        guard let pid else { return nil }
        return cpuSeconds(statFile: "/proc/\(pid)/stat")
    }

    /// CPU seconds of this process's living threads whose name starts with `prefix`.
    static func cpuSecondsOfOwnThreads(namedWith prefix: String) -> Double {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.reduce(0) { total, task in
            let name = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            guard name.hasPrefix(prefix) else { return total }
            return total + (cpuSeconds(statFile: "/proc/self/task/\(task)/stat") ?? 0)
        }
    }

    /// The peak resident set size (VmHWM) in bytes, of this process by default.
    static func peakResidentBytes(pid: Int32 = getpid()) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kibibytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kibibytes * 1_024
    }

    /// utime and stime are fields 14 and 15; the name in field 2 may hold spaces, so count after its ')'.
    private static func cpuSeconds(statFile: String) -> Double? {
        guard let stat = try? String(contentsOfFile: statFile, encoding: .utf8),
              let nameEnd = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }
}

/// Where the CPU went while a phase ran: the benchmark process (its NIO event-loop threads, which
/// run the HTTP client, and the rest: dispatcher tasks, GRDB and SQLite) and the target process.
struct CPUUsage {
    var wallSeconds: Double
    var processSeconds: Double
    var eventLoopSeconds: Double
    var targetSeconds: Double?

    var otherSeconds: Double { max(0, processSeconds - eventLoopSeconds) }

    /// Starts a measurement; call `finish()` on the result when the phase ends.
    static func start(targetPID: Int32?) -> CPUSampler {
        CPUSampler(targetPID: targetPID)
    }
}

struct CPUSampler {
    private let targetPID: Int32?
    private let started = ContinuousClock.now
    private let process = ProcessStats.cpuSeconds(pid: getpid()) ?? 0
    private let eventLoops = ProcessStats.cpuSecondsOfOwnThreads(namedWith: "NIO-")
    private let target: Double?

    init(targetPID: Int32?) {
        self.targetPID = targetPID
        self.target = ProcessStats.cpuSeconds(pid: targetPID)
    }

    func finish() -> CPUUsage {
        let elapsed = ContinuousClock.now - started
        return CPUUsage(
            wallSeconds: elapsed.seconds,
            processSeconds: (ProcessStats.cpuSeconds(pid: getpid()) ?? 0) - process,
            eventLoopSeconds: ProcessStats.cpuSecondsOfOwnThreads(namedWith: "NIO-") - eventLoops,
            targetSeconds: target.flatMap { before in ProcessStats.cpuSeconds(pid: targetPID).map { $0 - before } }
        )
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
