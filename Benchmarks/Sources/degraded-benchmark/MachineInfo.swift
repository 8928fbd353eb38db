import Foundation

/// What the report says about the machine, read from `/proc` (Linux); "n/a" elsewhere.
enum MachineInfo {
    static var summary: String {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let memory = String(format: "%.0f GiB", Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824)
        return "\(cpus) CPUs (\(cpuModel)), \(memory), \(ProcessInfo.processInfo.operatingSystemVersionString)"
    }

    static var cpuModel: String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "n/a" }
        let line = text.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "n/a"
    }

    /// The 1, 5 and 15 minute load averages.
    static var loadAverage: String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "n/a" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
