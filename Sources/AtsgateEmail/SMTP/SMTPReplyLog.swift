import Foundation

/// The server's replies as libcurl hands them over, line by line (for SMTP, libcurl passes every
/// reply line to the header callback), so a failure can quote the server's own reason.
struct SMTPReplyLog {
    static let maximumLength = 300
    static let kept = 16

    private var pending: [String] = []
    /// The most recent complete replies, oldest first, each summarised to one line.
    private(set) var replies: [String] = []

    /// `250-SIZE 1000` continues a reply; `250 OK` ends one.
    mutating func receive(_ line: String) {
        let line = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !line.isEmpty else { return }
        pending.append(line)
        let isContinued = line.count > 3 && line[line.index(line.startIndex, offsetBy: 3)] == "-"
        if !isContinued {
            replies.append(Self.summary(of: pending))
            pending.removeAll()
            if replies.count > Self.kept { replies.removeFirst() }
        }
    }

    var lastReply: String? { replies.last }

    /// The latest reply with `code`: the one that failed the transfer, not the `221 Bye` that
    /// answered libcurl's QUIT after it.
    func lastReply(withCode code: Int) -> String? {
        replies.last { $0.hasPrefix("\(code) ") || $0 == "\(code)" }
    }

    /// `550 5.1.1 <x@y>: no such mailbox`: one line of printable ASCII, at most 300 characters.
    static func summary(of lines: [String]) -> String {
        let code = lines.first.map { String($0.prefix(3)) } ?? ""
        let texts = lines.map { $0.dropFirst(4).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let joined = ([code] + texts).joined(separator: " ")
        let printable = String(String.UnicodeScalarView(joined.unicodeScalars.map { (0x20...0x7E).contains($0.value) ? $0 : "?" }))
        return printable.count > maximumLength ? String(printable.prefix(maximumLength)) + "…" : printable
    }
}
