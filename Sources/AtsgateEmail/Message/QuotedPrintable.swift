/// RFC 2045 quoted-printable for a UTF-8 text body: lines end in CRLF and are at most 76
/// characters, soft breaks (`=` at the end) split longer ones, and `=`, non-ASCII bytes, controls
/// and white space at a line's end are written as `=XX`.
///
/// Its output never holds `=_`, which is why MIME boundaries start with it.
enum QuotedPrintable {
    static let lineLimit = 76

    static func encode(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return normalized.split(separator: "\n", omittingEmptySubsequences: false)
            .map { encodeLine(Array($0.utf8)) }
            .joined(separator: "\r\n")
    }

    private static func encodeLine(_ bytes: [UInt8]) -> String {
        var lines: [String] = []
        var current = ""
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                || ((byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")) && !isLast)
            let token = literal ? String(UnicodeScalar(byte)) : escaped(byte)
            // Keep room for the soft break's `=`, unless this token ends the line.
            let room = isLast ? lineLimit : lineLimit - 1
            if current.utf8.count + token.utf8.count > room {
                lines.append(current + "=")
                current = ""
            }
            current += token
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    private static func escaped(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "=\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0F)])"
    }
}
