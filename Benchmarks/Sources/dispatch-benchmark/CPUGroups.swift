import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// CPU time by group of processes while a round runs, read from /proc every 100 ms, so processes
/// that start and end within the round (worker processes and their PostgreSQL backends) count
/// too; and the machine's split (user, system, idle, iowait) from /proc/stat.
///
/// Groups: this benchmark process; its other child processes (the `atsgate` workers); the no-op target; the
/// PostgreSQL server (the postmaster and its children: backends, WAL writer, checkpointer…).
final class CPUGroups: Sendable {
    enum Group: String, CaseIterable, Sendable {
        case benchmark, workers, postgres, target
    }

    struct Usage: Sendable {
        var wallSeconds: Double
        var seconds: [Group: Double]
        /// Shares of the machine's time (all cores) in percent: user, system, idle, iowait.
        var machine: (user: Double, system: Double, idle: Double, iowait: Double)

        func percent(_ group: Group) -> Int {
            Int(((seconds[group] ?? 0) / max(wallSeconds, 0.001) * 100).rounded())
        }
    }

    private struct State {
        var baseline: [Int32: Double] = [:]
        var latest: [Int32: (group: Group, seconds: Double)] = [:]
    }

    private let targetPID: Int32?
    private let postmasterPID: Int32?
    private let state = Mutex(State())
    private let startedAt = ContinuousClock.now
    private let machineStart: [Double]
    private let sampler = Mutex<Task<Void, Never>?>(nil)

    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    init(targetPID: Int32?, postmasterPID: Int32?) {
        self.targetPID = targetPID
        self.postmasterPID = postmasterPID
        self.machineStart = Self.machineTicks()
        let first = sample()
        state.withLock { state in
            for (pid, entry) in first {
                state.baseline[pid] = entry.seconds
                state.latest[pid] = entry
            }
        }
        let task = Task.detached { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                self?.record()
            }
        }
        sampler.withLock { $0 = task }
    }

    func finish() -> Usage {
        sampler.withLock { $0 }?.cancel()
        record()
        let wall = (ContinuousClock.now - startedAt).seconds
        let machineEnd = Self.machineTicks()
        let delta = zip(machineEnd, machineStart).map { $0 - $1 }
        // user nice system idle iowait irq softirq steal
        func field(_ index: Int) -> Double { index < delta.count ? delta[index] : 0 }
        let total = max(delta.prefix(8).reduce(0, +), 1)
        let machine = (
            user: (field(0) + field(1)) / total * 100,
            system: (field(2) + field(5) + field(6)) / total * 100,
            idle: field(3) / total * 100,
            iowait: field(4) / total * 100
        )
        let seconds = state.withLock { state in
            var sums: [Group: Double] = [:]
            for (pid, entry) in state.latest {
                sums[entry.group, default: 0] += entry.seconds - (state.baseline[pid] ?? 0)
            }
            return sums
        }
        return Usage(wallSeconds: wall, seconds: seconds, machine: machine)
    }

    private func record() {
        let now = sample()
        state.withLock { state in
            for (pid, entry) in now { state.latest[pid] = entry }
        }
    }

    /// Every process of a group that lives now, with its CPU seconds so far.
    private func sample() -> [Int32: (group: Group, seconds: Double)] {
        let me = getpid()
        var found: [Int32: (group: Group, seconds: Double)] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in names {
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let parent = Int32(fields[1]), let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            let group: Group
            if pid == me {
                group = .benchmark
            } else if pid == targetPID {
                group = .target
            } else if parent == me {
                group = .workers
            } else if let postmasterPID, pid == postmasterPID || parent == postmasterPID {
                group = .postgres
            } else {
                continue
            }
            found[pid] = (group, (user + system) / Self.ticksPerSecond)
        }
        return found
    }

    /// The first line of /proc/stat: ticks of user, nice, system, idle, iowait, irq, softirq, steal.
    private static func machineTicks() -> [Double] {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first
        else { return [] }
        return line.split(separator: " ").dropFirst().compactMap { Double($0) }
    }
}
