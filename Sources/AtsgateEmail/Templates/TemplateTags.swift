/// The tags of a Mustache template, read before it is used so a misspelled key or a construct
/// atsgate does not support is a configuration error instead of a silently empty message.
struct TemplateTags {
    struct Problem: Error {
        var line: Int
        var reason: String
    }

    /// The key names every tag uses, each dotted component on its own.
    private(set) var names: [(name: String, line: Int)] = []

    /// - Parameter html: whether output is HTML, where unescaped tags are refused: CRM text would become markup.
    init(scanning text: String, html: Bool) throws(Problem) {
        var rest = Substring(text)
        var line = 1
        while let open = rest.firstRange(of: "{{") {
            line += rest[..<open.lowerBound].count(where: { $0 == "\n" })
            let triple = rest[open.upperBound...].first == "{"
            let closing = triple ? "}}}" : "}}"
            let contentStart = triple ? rest.index(after: open.upperBound) : open.upperBound
            guard let close = rest[contentStart...].firstRange(of: closing) else {
                throw Problem(line: line, reason: "a tag opened with '{{' is never closed")
            }
            let content = rest[contentStart..<close.lowerBound]
            try read(content.trimmingWhitespace, triple: triple, html: html, line: line)
            line += content.count(where: { $0 == "\n" })
            rest = rest[close.upperBound...]
        }
    }

    /// The first name no context key matches, with its line.
    func unknownName(allowed: Set<String>) -> (name: String, line: Int)? {
        names.first { !allowed.contains($0.name) }
    }

    private mutating func read(_ tag: Substring, triple: Bool, html: Bool, line: Int) throws(Problem) {
        guard let sigil = tag.first else { throw Problem(line: line, reason: "an empty tag '{{}}'") }
        var name = tag
        switch sigil {
        case "!":
            return
        case "#", "^", "/":
            name = tag.dropFirst()
        case "&":
            guard !html else { throw Problem(line: line, reason: "unescaped output '{{&…}}' is not allowed in an HTML template") }
            name = tag.dropFirst()
        case "=", "%", ">", "<", "$":
            throw Problem(line: line, reason: "'{{\(sigil)…}}' (delimiters, pragmas, partials, blocks) is not supported in email templates")
        default:
            if triple, html { throw Problem(line: line, reason: "unescaped output '{{{…}}}' is not allowed in an HTML template") }
        }
        var key = name.trimmingWhitespace
        // A transform, `uppercased(job.title)`, names its key in parentheses; `first()` inside a
        // list names none.
        if let open = key.firstIndex(of: "("), key.last == ")" {
            key = key[key.index(after: open)..<key.index(before: key.endIndex)].trimmingWhitespace
            if key.isEmpty { return }
        }
        guard !key.isEmpty else { throw Problem(line: line, reason: "a tag names no key") }
        guard key != "." else { return }
        for component in key.split(separator: ".", omittingEmptySubsequences: false) {
            names.append((String(component), line))
        }
    }
}

extension Substring {
    var trimmingWhitespace: Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<Swift.max(start, end)]
    }
}
