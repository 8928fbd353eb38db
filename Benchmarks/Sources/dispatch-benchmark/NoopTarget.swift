import AsyncHTTPClient
import Foundation

/// The `noop-target` server, started as a child process next to this executable.
final class NoopTarget {
    private let process: Process

    var pid: Int32 { process.processIdentifier }

    private init(process: Process) {
        self.process = process
    }

    static func spawn(port: Int) throws -> NoopTarget {
        guard let folder = Bundle.main.executableURL?.deletingLastPathComponent() else {
            throw BenchmarkError("cannot tell where this executable lives, to find noop-target beside it")
        }
        let executable = folder.appendingPathComponent("noop-target")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw BenchmarkError("\(executable.path) is missing: build both products (swift build -c release)")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = [String(port)]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return NoopTarget(process: process)
    }

    /// Sends SIGTERM and waits for the process to end.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Waits until `GET url` answers 200. A spawned target that exited (its port was taken) is an error.
    static func waitUntilReady(url: String, spawned: NoopTarget?, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let spawned, !spawned.process.isRunning {
                throw BenchmarkError("noop-target exited at once (status \(spawned.process.terminationStatus)); is the port taken? Try --port or --no-spawn-target")
            }
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(1)) {
                _ = try? await response.body.collect(upTo: 1 << 16)
                if response.status == .ok { return }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchmarkError("the target at \(url) did not answer GET with 200 within \(timeout)")
    }
}
