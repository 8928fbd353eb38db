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
