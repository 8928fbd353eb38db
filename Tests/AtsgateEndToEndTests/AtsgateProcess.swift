import AtsgateTesting
import Foundation
import Testing
import Synchronization

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
    /// What every command gets as `ATSGATE_DATABASE`: the SQLite file in the working folder, or a
    /// fresh schema on the test PostgreSQL server.
    let databaseURL: String

    init(engine: DatabaseEngine = .sqlite) throws {
        workingDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workingDirectory, withIntermediateDirectories: true)
        switch engine {
        case .sqlite:
            databaseURL = workingDirectory.appendingPathComponent("atsgate.sqlite").path
        case .postgres:
            databaseURL = try #require(PostgresTestServer.urlWithFreshSchema(prefix: "e2e"), Comment(rawValue: PostgresTestServer.skipReason))
        }
    }

    func removeWorkingDirectory() {
        try? FileManager.default.removeItem(at: workingDirectory)
    }

    /// Runs `atsgate ARGUMENTS` with the repository's `connectors/` as configuration and a database in the working folder.
    ///
    /// Waits without blocking a thread: the fakes these tests talk to answer on Swift's cooperative
    /// threads (two on a 2-core machine), and a test blocking them in `waitUntilExit` starves them.
    func execute(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> Result {
        let process = try makeProcess(arguments, environment: extra)
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            exited.continuation.yield(process.terminationStatus)
            exited.continuation.finish()
        }
        try process.run()
        async let out = Self.readToEnd(stdout.fileHandleForReading)
        async let err = Self.readToEnd(stderr.fileHandleForReading)
        let (output, errors) = await (out, err)
        var status: Int32 = -1
        for await code in exited.stream { status = code }
        return Result(exitCode: status, stdout: String(decoding: output, as: UTF8.self), stderr: String(decoding: errors, as: UTF8.self))
    }

    /// Runs another program (a test script) to its end; its output goes to this process's.
    ///
    /// Spawned and reaped here, not with `Process`: a script that starts a daemon (`pg_ctl`)
    /// through `su` left `Process` without news of its exit (a zombie nobody reaped).
    static func run(_ executable: String, _ arguments: [String]) async throws -> Int32 {
        var pid = pid_t()
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let spawned = posix_spawn(&pid, executable, nil, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        let child = pid
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(child, &status, 0) == -1 && errno == EINTR {}
                // WIFEXITED / WEXITSTATUS, which Swift does not import.
                let exited = status & 0x7f == 0
                continuation.resume(returning: exited ? (status >> 8) & 0xff : -1)
            }
        }
    }

    /// Reads a pipe to its end on a thread of its own, not a cooperative one.
    private static func readToEnd(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: handle.readDataToEndOfFile())
            }
        }
    }

    private func makeProcess(_ arguments: [String], environment extra: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        var environment = ProcessInfo.processInfo.environment
        environment["ATSGATE_DATABASE"] = databaseURL
        environment["ATSGATE_CONFIG"] = Self.repositoryRoot.path
        environment.removeValue(forKey: "ATSGATE_ORGANISATION")
        environment.merge(extra) { _, new in new }
        process.environment = environment
        return process
    }

    var exampleDataset: String { Self.repositoryRoot.appendingPathComponent("examples/crm.json").path }
}

/// The store engines end-to-end tests of the worker run on: PostgreSQL only given a server.
enum DatabaseEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static var allCases: [DatabaseEngine] { PostgresTestServer.url == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }
}

/// A long-running `atsgate` (a worker) the test can signal.
final class RunningAtsgate: Sendable {
    private struct State {
        var stderrText = ""
        /// Each waits for this text on stderr, this many times.
        var waiters = WaitList<LogCondition>()
    }

    private let process: Mutex<Process>
    private let state = Mutex(State())
    private let processIdentifier: Int32
    private let exitStatus: AsyncStream<Int32>

    init(_ atsgate: AtsgateProcess, _ arguments: [String], environment extra: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = AtsgateProcess.executable
        process.arguments = arguments
        process.currentDirectoryURL = atsgate.workingDirectory
        var environment = ProcessInfo.processInfo.environment
        environment["ATSGATE_DATABASE"] = atsgate.databaseURL
        environment["ATSGATE_CONFIG"] = atsgate.workingDirectory.path
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        let (exitStatus, exited) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.exitStatus = exitStatus
        process.terminationHandler = { process in
            exited.yield(process.terminationStatus)
            exited.finish()
        }
        try process.run()
        processIdentifier = process.processIdentifier
        self.process = Mutex(process)
        stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            let ready = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.stderrText += String(decoding: data, as: UTF8.self)
                let text = state.stderrText
                return state.waiters.removeAll { $0.holds(in: text) }
            }
            for continuation in ready { continuation.resume() }
        }
    }

    /// Returns once the process has written `text` to stderr `occurrences` times (or a test's
    /// time limit cancels the wait).
    func waitForLog(_ text: String, occurrences: Int = 1) async {
        let condition = LogCondition(text: text, occurrences: occurrences)
        let id = state.withLock { $0.waiters.makeID() }
        await cancellableWait { continuation in
            state.withLock { condition.holds(in: $0.stderrText) || !$0.waiters.add(id, condition, continuation) }
        } cancel: {
            self.state.withLock { $0.waiters.cancel(id) }
        }
    }

    var log: String { state.withLock { $0.stderrText } }

    func send(_ signal: Int32) {
        kill(processIdentifier, signal)
    }

    /// Waits for the process to end without blocking a thread.
    func waitForExit() async -> Int32 {
        var status: Int32 = -1
        for await code in exitStatus { status = code }
        return status
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

    /// Copies the repository's `mappings/NAME` into the working folder, next to its `connectors/`.
    func copyRepositoryMapping(_ name: String) throws {
        let mappings = workingDirectory.appendingPathComponent("mappings")
        try FileManager.default.createDirectory(at: mappings, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: Self.repositoryRoot.appendingPathComponent("mappings/\(name)"), to: mappings.appendingPathComponent(name)
        )
    }

    /// `atsgate reconcile --target T --organisation O --json [EXTRA…]`: the exit code and the decoded report.
    func reconcile(
        target: String, organisation: String, _ extra: [String] = [], environment: [String: String]
    ) async throws -> (Int32, ReconcileEndToEndTests.Report?) {
        let result = try await execute(["reconcile", "--target", target, "--organisation", organisation, "--json"] + extra, environment: environment)
        #expect(result.stderr.isEmpty || result.exitCode != 0, "nothing but JSON: \(result.stderr)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return (result.exitCode, try? decoder.decode(ReconcileEndToEndTests.Report.self, from: Data(result.stdout.utf8)))
    }
}

/// What a test waits for in a process's log: a text, written at least this many times.
struct LogCondition: Sendable {
    var text: String
    var occurrences: Int

    func holds(in log: String) -> Bool {
        occurrences <= 1 ? log.contains(text) : log.components(separatedBy: text).count - 1 >= occurrences
    }
}
