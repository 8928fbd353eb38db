import Foundation

/// A real SMTP server for one test: Python's aiosmtpd running `smtp_server.py` on 127.0.0.1 and
/// a free port, storing what it receives in a spool folder. Started and stopped around `body`.
struct SMTPTestServer: Sendable {
    struct Options: Sendable {
        /// Offer STARTTLS with the throwaway certificate.
        var startTLS = false
        /// TLS from the first byte (smtps) with the throwaway certificate.
        var implicitTLS = false
        /// Require AUTH with these credentials before MAIL FROM.
        var login: (user: String, password: String)?
        /// Offer AUTH without TLS.
        var plaintextAuth = false
        /// RCPT TO replies by address, e.g. `["busy@x.example": 451]`.
        var recipientReplies: [String: Int] = [:]
        /// The reply to the end of DATA, e.g. `554 5.7.1 looks like spam`.
        var dataReply: String?
        /// Store the message, then close the connection without replying.
        var dropAfterData = false
        /// Store the message, then wait this long before answering.
        var stallAfterData: Duration?
    }

    let port: Int
    let spool: URL
    /// The server's self-signed certificate (PEM), when it speaks TLS: the CA file a client must trust.
    let certificatePath: String?

    var smtpURL: String { "smtp://127.0.0.1:\(port)" }
    var smtpsURL: String { "smtps://127.0.0.1:\(port)" }

    /// What the server stored, oldest first.
    func received() throws -> [ReceivedMessage] {
        let names = try FileManager.default.contentsOfDirectory(atPath: spool.path)
            .filter { $0.hasSuffix(".json") && $0 != "ready.json" }
            .sorted { Int($0.dropLast(5)) ?? 0 < Int($1.dropLast(5)) ?? 0 }
        return try names.map { name in
            var message = try JSONDecoder().decode(ReceivedMessage.self, from: Data(contentsOf: spool.appendingPathComponent(name)))
            message.raw = try String(contentsOf: spool.appendingPathComponent(name.replacingOccurrences(of: ".json", with: ".eml")), encoding: .utf8)
            return message
        }
    }

    /// Runs `body` against a fresh server, stopped afterwards. Never blocks a concurrency thread
    /// waiting for a process: other tests share them.
    static func withRunning<Value>(_ options: Options = Options(), _ body: (SMTPTestServer) async throws -> Value) async throws -> Value {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-smtp-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: spool) }

        var certificate: (certificate: String, key: String)?
        if options.startTLS || options.implicitTLS {
            certificate = try await ThrowawayCertificate.make(in: spool)
        }
        let python = try await Python.command()
        let log = spool.appendingPathComponent("server.log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw SetupError("could not create \(log.path) for the test server's output")
        }
        let server = try ChildProcess(
            python.executable,
            python.arguments + [scriptPath, "--spool", spool.path, "--stop-on-eof"] + arguments(options, certificate: certificate),
            standardError: try FileHandle(forWritingTo: log)
        )
        do {
            let port = try await waitUntilReady(spool: spool, server: server, log: log)
            let value = try await body(SMTPTestServer(port: port, spool: spool, certificatePath: certificate?.certificate))
            await server.stop()
            return value
        } catch {
            await server.stop()
            throw error
        }
    }

    private static let scriptPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("smtp_server.py").path

    private static func arguments(_ options: Options, certificate: (certificate: String, key: String)?) -> [String] {
        var arguments: [String] = []
        if let certificate {
            arguments += ["--cert", certificate.certificate, "--key", certificate.key]
        }
        if options.implicitTLS { arguments.append("--implicit-tls") }
        if let login = options.login { arguments += ["--auth", "\(login.user):\(login.password)"] }
        if options.plaintextAuth { arguments.append("--auth-plaintext") }
        for (address, code) in options.recipientReplies.sorted(by: { $0.key < $1.key }) {
            arguments += ["--reply", "\(address)=\(code)"]
        }
        if let dataReply = options.dataReply { arguments += ["--data-reply", dataReply] }
        if options.dropAfterData { arguments.append("--drop-after-data") }
        if let stall = options.stallAfterData { arguments += ["--stall-after-data", "\(stall.components.seconds)"] }
        return arguments
    }

    private static func waitUntilReady(spool: URL, server: ChildProcess, log: URL) async throws -> Int {
        let ready = spool.appendingPathComponent("ready.json")
        let deadline = ContinuousClock.now + .seconds(60)
        // Checked before the deadline: a test process whose threads were all busy may wake late.
        while true {
            if let data = try? Data(contentsOf: ready), let answer = try? JSONDecoder().decode([String: Int].self, from: data), let port = answer["port"] {
                return port
            }
            guard server.isRunning else {
                throw SetupError("the SMTP test server exited: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            }
            guard ContinuousClock.now < deadline else { throw SetupError("the SMTP test server did not start within 60 s") }
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}

/// A child process whose exit is awaited, not waited for on a thread.
final class ChildProcess {
    private let process: Process
    /// Closing it tells the server to stop, even when this test process dies first.
    private let lifeline = Pipe()
    private let exited: AsyncStream<Int32>

    init(_ executable: URL, _ arguments: [String], standardError: FileHandle = .nullDevice) throws {
        let (exited, continuation) = AsyncStream<Int32>.makeStream()
        self.exited = exited
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = lifeline
        process.standardOutput = FileHandle.nullDevice
        process.standardError = standardError
        process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// The exit status, once the process has ended; `nil` if the task was cancelled first
    /// (asking a running `Process` for its status traps).
    func exitStatus() async -> Int32? {
        for await status in exited { return status }
        return nil
    }

    /// Asks the process to stop and waits for it; if the wait is cancelled (a test's time
    /// limit), kills it so that it does not outlive the test run.
    func stop() async {
        try? lifeline.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        if await exitStatus() == nil { kill(process.processIdentifier, SIGKILL) }
    }
}

/// One message as the server stored it, parsed by Python's email package.
struct ReceivedMessage: Decodable {
    struct Parsed: Decodable {
        var headers: [[String]]
        var content_type: String
        var defects: [String]
        var parts: [Part]
    }

    struct Part: Decodable {
        var content_type: String
        var charset: String?
        var transfer_encoding: String?
        var content: String
    }

    var mail_from: String
    var rcpt_tos: [String]
    var helo: String?
    var tls: Bool
    var authenticated: Bool?
    var login: String?
    var message: Parsed
    /// The DATA as received, filled in after decoding.
    var raw = ""

    private enum CodingKeys: String, CodingKey {
        case mail_from, rcpt_tos, helo, tls, authenticated, login, message
    }

    /// The decoded value of the first header called `name`, case-insensitively.
    func header(_ name: String) -> String? {
        message.headers.first { $0.first?.lowercased() == name.lowercased() }?.last
    }

    func headers(_ name: String) -> [String] {
        message.headers.filter { $0.first?.lowercased() == name.lowercased() }.compactMap(\.last)
    }

    func part(_ type: String) -> String? {
        message.parts.first { $0.content_type == type }?.content
    }
}

/// A self-signed certificate for 127.0.0.1, made with the openssl CLI.
enum ThrowawayCertificate {
    /// Writes `cert.pem` and `key.pem` into `folder`; returns the certificate's path.
    static func make(in folder: URL) async throws -> (certificate: String, key: String) {
        let certificate = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        let openssl = try ChildProcess(URL(fileURLWithPath: "/usr/bin/env"), [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-keyout", key, "-out", certificate, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        guard await openssl.exitStatus() == 0 else { throw SetupError("openssl could not make a certificate") }
        return (certificate, key)
    }
}

/// The Python that has aiosmtpd: the one on PATH, else Debian's. Found once per test run.
enum Python {
    /// The executable and the arguments before the script's.
    static func command() async throws -> (executable: URL, arguments: [String]) {
        try await found.value.get()
    }

    private static let found = Task { () async -> Result<(executable: URL, arguments: [String]), SetupError> in
        for command in [["/usr/bin/env", "python3"], ["/usr/bin/python3"]] {
            let executable = URL(fileURLWithPath: command[0])
            let arguments = Array(command.dropFirst())
            guard let probe = try? ChildProcess(executable, arguments + ["-c", "import aiosmtpd"]) else { continue }
            if await probe.exitStatus() == 0 { return .success((executable, arguments)) }
        }
        return .failure(SetupError("no python3 with aiosmtpd: run scripts/install-system-packages"))
    }
}

struct SetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
