import Foundation

/// Runs the built `atsgate` binary the way a user or a script does, in a throwaway folder.
struct AtsgateProcess {
    struct Result {
        var exitCode: Int32
        var stdout: String
        var stderr: String
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder SwiftPM builds products into: the test bundle's own folder on Linux.
    static var executable: URL {
        #if os(macOS)
        let products = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
        return (products ?? Bundle.main.bundleURL).appendingPathComponent("atsgate")
        #else
        return Bundle.main.bundleURL.appendingPathComponent("atsgate")
        #endif
    }

    let workingDirectory: URL
    var databasePath: String { workingDirectory.appendingPathComponent("atsgate.sqlite").path }

    init() throws {
        workingDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workingDirectory, withIntermediateDirectories: true)
    }

    func removeWorkingDirectory() {
        try? FileManager.default.removeItem(at: workingDirectory)
    }

    /// Runs `atsgate ARGUMENTS` with the repository's `connectors/` as configuration and a database in the working folder.
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        var environment = ProcessInfo.processInfo.environment
        environment["ATSGATE_DATABASE"] = databasePath
        environment["ATSGATE_CONFIG"] = Self.repositoryRoot.path
        environment.removeValue(forKey: "ATSGATE_ORGANISATION")
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and block the child.
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(exitCode: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    var exampleDataset: String { Self.repositoryRoot.appendingPathComponent("examples/crm.json").path }
}

/// A long-running `atsgate` (a worker) the test can signal.
final class RunningAtsgate: @unchecked Sendable {
    // @unchecked: `process` is only touched from the test's task; `stderr` is guarded by `lock`.
    private let process: Process
    private let lock = NSLock()
    private var stderrText = ""
    private var waiters: [(String, CheckedContinuation<Void, Never>)] = []

    init(_ atsgate: AtsgateProcess, _ arguments: [String], environment extra: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = AtsgateProcess.executable
        process.arguments = arguments
        process.currentDirectoryURL = atsgate.workingDirectory
        var environment = ProcessInfo.processInfo.environment
        environment["ATSGATE_DATABASE"] = atsgate.databasePath
        environment["ATSGATE_CONFIG"] = atsgate.workingDirectory.path
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.stderrText += String(decoding: data, as: UTF8.self)
            let ready = self.waiters.filter { self.stderrText.contains($0.0) }
            self.waiters.removeAll { self.stderrText.contains($0.0) }
            self.lock.unlock()
            for (_, continuation) in ready { continuation.resume() }
        }
        try process.run()
    }

    /// Returns once the process has written `text` to stderr.
    func waitForLog(_ text: String) async {
        await withCheckedContinuation { continuation in
            lock.lock()
            if stderrText.contains(text) {
                lock.unlock()
                continuation.resume()
            } else {
                waiters.append((text, continuation))
                lock.unlock()
            }
        }
    }

    var log: String {
        lock.lock()
        defer { lock.unlock() }
        return stderrText
    }

    func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }
}

extension AtsgateProcess {
    /// Writes `connectors/NAME.yaml` into the working folder, which then serves as `--config`.
    func writeTarget(_ name: String, _ yaml: String) throws {
        let folder = workingDirectory.appendingPathComponent("connectors")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(yaml.utf8).write(to: folder.appendingPathComponent("\(name).yaml"))
    }

    var localConfig: [String: String] { ["ATSGATE_CONFIG": workingDirectory.path] }
}
