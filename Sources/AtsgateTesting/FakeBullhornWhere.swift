import Foundation

/// A JPQL `where` clause for `query/{Entity}` (ATS_APIS.md B2, B8, B10), parsed and matched
/// against the fake's records.
///
/// Syntax: comparisons `= <> != < <= > >=`, `IS [NOT] NULL`, `[NOT] IN (…)`, `[NOT] LIKE '…'`,
/// `AND`, `OR`, `NOT`, parentheses, dotted paths (`clientCorporation.id = 3`). Strings take single
/// quotes with `''` for an embedded quote; a double quote is a 400, as Bullhorn reads it as a field
/// name. Booleans are `true`/`false` (B4: `isDeleted=false`), timestamps epoch milliseconds (B10).
///
/// Checked like the real query: an unknown field (`isDeleted` on ClientCorporation) or a literal of
/// the wrong type (`isDeleted = 0`, `externalID = 12`) is a 400. Matching follows SQL: text is compared
/// ignoring case (a case-insensitive collation is assumed, UNCONFIRMED), and a comparison with a
/// null field is unknown, so `status <> 'Archive'` leaves out records without a status.
indirect enum FakeBullhornWhere: Hashable, Sendable {
    enum Literal: Hashable, Sendable {
        case text(String)
        case number(Double)
        case boolean(Bool)
    }

    enum Comparison: String, Hashable, Sendable {
        case equal = "=", notEqual = "<>", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    case compare(path: String, Comparison, Literal)
    case isNull(path: String, negated: Bool)
    case within(path: String, [Literal], negated: Bool)
    case like(path: String, pattern: String, negated: Bool)
    case allOf(FakeBullhornWhere, FakeBullhornWhere)
    case anyOf(FakeBullhornWhere, FakeBullhornWhere)
    case not(FakeBullhornWhere)

    struct ParseError: Error, CustomStringConvertible {
        var description: String

        init(_ description: String) {
            self.description = description
        }
    }

    static func parse(_ text: String) throws -> FakeBullhornWhere {
        var parser = Parser(tokens: try tokenize(text))
        let clause = try parser.parseOr()
        guard parser.atEnd else { throw ParseError("unexpected input after the where clause") }
        return clause
    }

    /// Every field path with the literals compared to it, for checking against the schema.
    var comparedPaths: [(path: String, literals: [Literal])] {
        switch self {
        case .compare(let path, _, let literal): [(path, [literal])]
        case .isNull(let path, _): [(path, [])]
        case .within(let path, let literals, _): [(path, literals)]
        case .like(let path, let pattern, _): [(path, [.text(pattern)])]
        case .allOf(let left, let right), .anyOf(let left, let right): left.comparedPaths + right.comparedPaths
        case .not(let clause): clause.comparedPaths
        }
    }

    /// Whether a record matches; `lookup` answers the value at a dotted field path.
    func matches(_ lookup: (String) -> FakeBullhorn.Value?) -> Bool {
        evaluate(lookup) == true
    }

    /// SQL's three-valued logic: nil is "unknown".
    private func evaluate(_ lookup: (String) -> FakeBullhorn.Value?) -> Bool? {
        switch self {
        case .compare(let path, let comparison, let literal):
            return Self.compare(lookup(path), comparison, literal)
        case .isNull(let path, let negated):
            let isNull = lookup(path).map { $0 == .null } ?? true
            return isNull != negated
        case .within(let path, let literals, let negated):
            let results = literals.map { Self.compare(lookup(path), .equal, $0) }
            if results.contains(true) { return !negated }
            return results.contains(nil) ? nil : negated
        case .like(let path, let pattern, let negated):
            guard let text = lookup(path)?.string else { return nil }
            return Self.like(text, pattern) != negated
        case .allOf(let left, let right):
            let (a, b) = (left.evaluate(lookup), right.evaluate(lookup))
            if a == false || b == false { return false }
            return a == nil || b == nil ? nil : true
        case .anyOf(let left, let right):
            let (a, b) = (left.evaluate(lookup), right.evaluate(lookup))
            if a == true || b == true { return true }
            return a == nil || b == nil ? nil : false
        case .not(let clause):
            return clause.evaluate(lookup).map { !$0 }
        }
    }

    private static func compare(_ value: FakeBullhorn.Value?, _ comparison: Comparison, _ literal: Literal) -> Bool? {
        let order: ComparisonResult
        switch (value, literal) {
        case (.string(let text)?, .text(let wanted)):
            order = text.compare(wanted, options: .caseInsensitive)
        case (.bool(let flag)?, .boolean(let wanted)):
            order = flag == wanted ? .orderedSame : (flag ? .orderedDescending : .orderedAscending)
        case (let value?, .number(let wanted)):
            guard let number = value.number else { return nil }
            order = number == wanted ? .orderedSame : (number < wanted ? .orderedAscending : .orderedDescending)
        default:
            return nil
        }
        switch comparison {
        case .equal: return order == .orderedSame
        case .notEqual: return order != .orderedSame
        case .less: return order == .orderedAscending
        case .lessOrEqual: return order != .orderedDescending
        case .greater: return order == .orderedDescending
        case .greaterOrEqual: return order != .orderedAscending
        }
    }

    /// SQL `LIKE` with `%` and `_`, ignoring case.
    private static func like(_ text: String, _ pattern: String) -> Bool {
        let text = Array(text.lowercased())
        let pattern = Array(pattern.lowercased())
        // reachable[j]: the first i characters of the text can match the first j of the pattern.
        var reachable = [true] + Array(repeating: false, count: pattern.count)
        for (j, symbol) in pattern.enumerated() where symbol == "%" { reachable[j + 1] = reachable[j] }
        for character in text {
            var next = [false] + Array(repeating: false, count: pattern.count)
            for (j, symbol) in pattern.enumerated() {
                switch symbol {
                case "%": next[j + 1] = next[j] || reachable[j + 1]
                case "_": next[j + 1] = reachable[j]
                default: next[j + 1] = reachable[j] && symbol == character
                }
            }
            reachable = next
        }
        return reachable[pattern.count]
    }
}

// MARK: - Parsing

extension FakeBullhornWhere {
    private enum Token: Hashable {
        case open, close, comma
        case comparison(Comparison)
        case word(String)
        case literal(Literal)
    }

    private static func tokenize(_ text: String) throws -> [Token] {
        let characters = Array(text)
        var tokens: [Token] = []
        var index = 0
        func peek(_ offset: Int) -> Character? { index + offset < characters.count ? characters[index + offset] : nil }
        while let character = peek(0) {
            switch character {
            case _ where character.isWhitespace: index += 1
            case "(": tokens.append(.open); index += 1
            case ")": tokens.append(.close); index += 1
            case ",": tokens.append(.comma); index += 1
            case "=": tokens.append(.comparison(.equal)); index += 1
            case "!" where peek(1) == "=": tokens.append(.comparison(.notEqual)); index += 2
            case "<" where peek(1) == ">": tokens.append(.comparison(.notEqual)); index += 2
            case "<" where peek(1) == "=": tokens.append(.comparison(.lessOrEqual)); index += 2
            case ">" where peek(1) == "=": tokens.append(.comparison(.greaterOrEqual)); index += 2
            case "<": tokens.append(.comparison(.less)); index += 1
            case ">": tokens.append(.comparison(.greater)); index += 1
            case "\"":
                let name = characters[(index + 1)...].prefix { $0 != "\"" }
                throw ParseError("\"\(String(name))\" is not a valid field name")
            case "'":
                var text = ""
                index += 1
                while true {
                    guard let next = peek(0) else { throw ParseError("unterminated string literal") }
                    if next == "'" {
                        guard peek(1) == "'" else { break }
                        index += 1
                    }
                    text.append(next)
                    index += 1
                }
                index += 1
                tokens.append(.literal(.text(text)))
            case _ where character.isNumber || (character == "-" && peek(1)?.isNumber == true):
                let start = index
                index += 1
                while let next = peek(0), next.isNumber || next == "." { index += 1 }
                guard let number = Double(String(characters[start..<index])) else { throw ParseError("bad number") }
                tokens.append(.literal(.number(number)))
            case _ where character.isLetter || character == "_":
                let start = index
                while let next = peek(0), next.isLetter || next.isNumber || next == "_" || next == "." { index += 1 }
                let word = String(characters[start..<index])
                switch word.lowercased() {
                case "true": tokens.append(.literal(.boolean(true)))
                case "false": tokens.append(.literal(.boolean(false)))
                default: tokens.append(.word(word))
                }
            default:
                throw ParseError("unexpected '\(character)'")
            }
        }
        return tokens
    }

    private struct Parser {
        var tokens: [Token]
        var index = 0

        var atEnd: Bool { index >= tokens.count }

        private var peek: Token? { atEnd ? nil : tokens[index] }

        private mutating func next() throws -> Token {
            guard let token = peek else { throw ParseError("unexpected end of the where clause") }
            index += 1
            return token
        }

        private mutating func take(keyword: String) -> Bool {
            guard case .word(let word) = peek, word.caseInsensitiveCompare(keyword) == .orderedSame else { return false }
            index += 1
            return true
        }

        mutating func parseOr() throws -> FakeBullhornWhere {
            var clause = try parseAnd()
            while take(keyword: "OR") { clause = .anyOf(clause, try parseAnd()) }
            return clause
        }

        private mutating func parseAnd() throws -> FakeBullhornWhere {
            var clause = try parseNot()
            while take(keyword: "AND") { clause = .allOf(clause, try parseNot()) }
            return clause
        }

        private mutating func parseNot() throws -> FakeBullhornWhere {
            if take(keyword: "NOT") { return .not(try parseNot()) }
            if peek == .open {
                index += 1
                let inner = try parseOr()
                guard try next() == .close else { throw ParseError("missing ')'") }
                return inner
            }
            return try parseCondition()
        }

        private mutating func parseCondition() throws -> FakeBullhornWhere {
            guard case .word(let path) = try next() else { throw ParseError("expected a field name") }
            if take(keyword: "IS") {
                let negated = take(keyword: "NOT")
                guard take(keyword: "NULL") else { throw ParseError("expected NULL after IS") }
                return .isNull(path: path, negated: negated)
            }
            let negated = take(keyword: "NOT")
            if take(keyword: "IN") { return .within(path: path, try parseList(), negated: negated) }
            if take(keyword: "LIKE") {
                guard case .literal(.text(let pattern)) = try next() else { throw ParseError("LIKE needs a quoted pattern") }
                return .like(path: path, pattern: pattern, negated: negated)
            }
            guard !negated, case .comparison(let comparison) = try next() else { throw ParseError("expected a comparison after '\(path)'") }
            guard case .literal(let literal) = try next() else { throw ParseError("expected a value after '\(path) \(comparison.rawValue)'") }
            return .compare(path: path, comparison, literal)
        }

        private mutating func parseList() throws -> [Literal] {
            guard try next() == .open else { throw ParseError("IN needs a list in parentheses") }
            var literals: [Literal] = []
            repeat {
                guard case .literal(let literal) = try next() else { throw ParseError("IN lists hold values only") }
                literals.append(literal)
            } while try next() == .comma
            guard tokens[index - 1] == .close else { throw ParseError("missing ')' after the IN list") }
            return literals
        }
    }
}
