import Foundation

/// A real SMTP server for the sandbox, which nobody here wrote: Python's aiosmtpd on 127.0.0.1,
/// storing what it receives in a Maildir. `nil` when aiosmtpd is not installed (the sandbox then
/// leaves email out and says so).
final class SandboxMailbox: Sendable {
    /// One received message: the headers the report and the check need.
    struct Message {
        var to: String
        var subject: String
        var marker: String
        var purpose: String
    }

    let port: Int
    let folder: URL
    private let process: Process

    private init(port: Int, folder: URL, process: Process) {
        self.port = port
        self.folder = folder
        self.process = process
    }

    static func start(in workspace: URL) async -> SandboxMailbox? {
        let folder = workspace.appendingPathComponent("mailbox")
        guard let port = freeLoopbackPort() else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Mailbox", folder.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        // Ready once it accepts a connection; gone if it exited (aiosmtpd missing).
        for _ in 0..<50 {
            if !process.isRunning { return nil }
            if canConnect(port: port) { return SandboxMailbox(port: port, folder: folder, process: process) }
            try? await Task.sleep(for: .milliseconds(100))
        }
        kill(process.processIdentifier, SIGKILL)
        return nil
    }

    /// aiosmtpd's `-n` mode ignores SIGTERM, and what it received is already on disk: kill it.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var messages: [Message] {
        ["new", "cur"].flatMap { sub -> [Message] in
            let directory = folder.appendingPathComponent(sub)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.sorted().compactMap { name in
                guard let text = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) else { return nil }
                let headers = Self.headers(text)
                return Message(to: headers["to"] ?? "", subject: headers["subject"] ?? "", marker: headers["x-atsgate-marker"] ?? "", purpose: headers["x-atsgate-purpose"] ?? "")
            }
        }
    }

    /// The header block, unfolded, names lower-cased (encoded words are left as they are).
    private static func headers(_ message: String) -> [String: String] {
        var headers: [String: String] = [:]
        var last: String?
        for line in message.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t", let name = last {
                headers[name, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                last = name
            }
        }
        return headers
    }

    private static func freeLoopbackPort() -> Int? {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return named == 0 ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }

    private static func canConnect(port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
