import Foundation

/// Header values as RFC 5322 and RFC 2047 want them: one logical line, folded below 78
/// characters where possible, non-ASCII text as `=?UTF-8?B?…?=` encoded words.
///
/// Every value passes through ``singleLine(_:)`` first, so no CR, LF or other control
/// character from a job, a person or a template can start a header of its own.
enum HeaderText {
    static let lineLimit = 78

    /// Control characters (CR and LF among them) become spaces; runs of white space become one space.
    static func singleLine(_ text: String) -> String {
        let spaced = String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" ? " " : scalar
        }))
        return spaced.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// `Name: value` for an unstructured header (Subject, X-…), folded, encoded when needed.
    static func field(_ name: String, _ value: String) -> String {
        let line = singleLine(value)
        let plainWords = line.split(separator: " ").map(String.init)
        // Encoded words also split what folding cannot: a word too long for a 998-character line.
        let isPlain = isPlainPrintable(line) && !line.contains("=?") && plainWords.allSatisfy { $0.count <= 900 }
        let words = isPlain ? plainWords : encodedWords(line)
        return fold(name: name, words: words)
    }

    /// A header made of items separated by ", " (an address list), folded between items.
    static func list(_ name: String, _ items: [String]) -> String {
        let words = items.enumerated().map { index, item in index < items.count - 1 ? item + "," : item }
        return fold(name: name, words: words)
    }

    /// A display name: as is when it is only atoms and spaces, a quoted string when it is other
    /// printable ASCII, encoded words otherwise.
    static func phrase(_ name: String) -> String {
        let line = singleLine(name)
        if !line.isEmpty, line.unicodeScalars.allSatisfy({ $0 == " " || isAtomText($0) }) {
            return line
        }
        if isPlainPrintable(line), !line.contains("=?") {
            let escaped = line.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        }
        return encodedWords(line).joined(separator: " ")
    }

    /// RFC 2047 `B` encoded words of at most 42 UTF-8 bytes each (56 characters encoded, 68 with
    /// the wrapper), never splitting a character's bytes.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
            chunk.removeAll()
        }
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > 42 { flush() }
            chunk.append(contentsOf: bytes)
        }
        flush()
        return words
    }

    /// Joins words with spaces, starting a continuation line (CRLF + space) before a word that
    /// would pass the line limit. A single word longer than the limit stays whole.
    private static func fold(name: String, words: [String]) -> String {
        var lines: [String] = []
        var current = "\(name):"
        for word in words {
            if current.count + 1 + word.count > lineLimit, current != "\(name):" {
                lines.append(current)
                current = ""
            }
            current += " " + word
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    private static func isPlainPrintable(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) }
    }

    /// RFC 5322 `atext`.
    static func isAtomText(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        return ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
    }
}
