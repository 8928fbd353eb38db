import Foundation

/// A Lucene query for `search/{Entity}` (ATS_APIS.md B4, B5, B8), parsed and matched against the
/// fake's records.
///
/// Syntax: `field:word`, `field:"a phrase"`, `field:(a b c)`, `field:[a TO b]` and `{a TO b}`
/// (`*` for an open end), `field:*`, `AND`/`&&`, `OR`/`||`, `NOT`/`!`/`-`, parentheses, and
/// dotted fields (`clientCorporation.id:3`). Juxtaposition is `OR`, Lucene's default operator,
/// so `id:(1 2 3)` finds three records; `AND` binds tighter than `OR`, so `A OR B AND isDeleted:0`
/// is `A OR (B AND isDeleted:0)`.
///
/// Matching behaves like an analysed index, looser than an exact filter, so clients must compare
/// what they get back:
/// - text is split into lower-cased words, and a phrase matches those words in a row anywhere in the
///   field: `externalID:"CRM-12"` also finds `crm 12` and `X-CRM-12-B`; `word*` matches a prefix;
/// - booleans are indexed as 0 and 1 (B4): `isDeleted:0` finds live records and `isDeleted:false`
///   finds **nothing**;
/// - soft-deleted records are in the index (B4);
/// - a term without a field, or on a field the index lacks, matches nothing rather than failing;
/// - a range bound of 14 digits on a number is read as `yyyyMMddHHmmss` (UTC), any other as epoch
///   milliseconds, since which one Bullhorn uses is UNCONFIRMED (B10);
/// - a bare `*` or an empty query is a 400 "Bad Query".
indirect enum FakeBullhornLucene: Hashable, Sendable {
    case term(field: String?, text: String)
    case phrase(field: String?, text: String)
    case range(field: String?, lower: String?, upper: String?, includesLower: Bool, includesUpper: Bool)
    case allOf([FakeBullhornLucene])
    case anyOf([FakeBullhornLucene])
    case not(FakeBullhornLucene)

    struct ParseError: Error, CustomStringConvertible {
        var description: String

        init(_ description: String) {
            self.description = description
        }
    }

    static func parse(_ text: String) throws -> FakeBullhornLucene {
        var parser = Parser(tokens: try tokenize(text))
        guard !parser.atEnd else { throw ParseError("empty query") }
        let query = try parser.parseOr(field: nil)
        guard parser.atEnd else { throw ParseError("unexpected input after the query") }
        return query
    }

    /// Whether a record matches; `lookup` answers the value at a dotted field path.
    func matches(_ lookup: (String) -> FakeBullhorn.Value?) -> Bool {
        switch self {
        case .allOf(let clauses): return clauses.allSatisfy { $0.matches(lookup) }
        case .anyOf(let clauses): return clauses.contains { $0.matches(lookup) }
        case .not(let clause): return !clause.matches(lookup)
        case .term(let field?, let text):
            if text == "*" { return field == "*" || (lookup(field).map { $0 != .null } ?? false) }
            return Self.term(text, matches: lookup(field))
        case .phrase(let field?, let text):
            return Self.term(text.replacingOccurrences(of: "*", with: " "), matches: lookup(field))
        case .range(let field?, let lower, let upper, let includesLower, let includesUpper):
            return Self.value(lookup(field), isAbove: lower, inclusive: includesLower)
                && Self.value(lookup(field), isBelow: upper, inclusive: includesUpper)
        case .term(nil, _), .phrase(nil, _), .range(nil, _, _, _, _):
            return false
        }
    }
}

// MARK: - Matching

extension FakeBullhornLucene {
    private static func term(_ text: String, matches value: FakeBullhorn.Value?) -> Bool {
        switch value {
        case .bool(let flag)?:
            return text == (flag ? "1" : "0")
        case .int?, .double?:
            return Double(text) == value?.number
        case .string(let string)?:
            let indexed = words(of: string)
            let wanted = words(of: text)
            if text.hasSuffix("*"), wanted.count == 1, let prefix = wanted.first {
                return indexed.contains { $0.hasPrefix(prefix) }
            }
            return contains(wanted, inARowIn: indexed)
        default:
            return false
        }
    }

    private static func contains(_ wanted: [String], inARowIn indexed: [String]) -> Bool {
        guard !wanted.isEmpty, wanted.count <= indexed.count else { return false }
        return (0...(indexed.count - wanted.count)).contains { start in
            indexed[start..<(start + wanted.count)].elementsEqual(wanted)
        }
    }

    /// Lower-cased runs of letters and digits: roughly what a standard analyser indexes.
    private static func words(of text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    private static func value(_ value: FakeBullhorn.Value?, isAbove bound: String?, inclusive: Bool) -> Bool {
        guard let bound else { return value != nil && value != .null }
        if let number = value?.number, let limit = numericBound(bound) { return inclusive ? number >= limit : number > limit }
        if let text = value?.string { return inclusive ? text.lowercased() >= bound.lowercased() : text.lowercased() > bound.lowercased() }
        return false
    }

    private static func value(_ value: FakeBullhorn.Value?, isBelow bound: String?, inclusive: Bool) -> Bool {
        guard let bound else { return value != nil && value != .null }
        if let number = value?.number, let limit = numericBound(bound) { return inclusive ? number <= limit : number < limit }
        if let text = value?.string { return inclusive ? text.lowercased() <= bound.lowercased() : text.lowercased() < bound.lowercased() }
        return false
    }

    private static func numericBound(_ text: String) -> Double? {
        if text.count == 14, text.allSatisfy(\.isASCIIDigit), let date = compactDate(text) {
            return Double(FakeBullhorn.epochMilliseconds(date))
        }
        return Double(text)
    }

    /// `yyyyMMddHHmmss` in UTC.
    private static func compactDate(_ text: String) -> Date? {
        let digits = Array(text)
        func part(_ from: Int, _ length: Int) -> Int? { Int(String(digits[from..<from + length])) }
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(identifier: "UTC")
        components.year = part(0, 4)
        components.month = part(4, 2)
        components.day = part(6, 2)
        components.hour = part(8, 2)
        components.minute = part(10, 2)
        components.second = part(12, 2)
        guard components.isValidDate else { return nil }
        return components.date
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

// MARK: - Parsing

extension FakeBullhornLucene {
    private enum Token: Hashable {
        case open, close, colon, and, or, not
        case word(String)
        case quoted(String)
        case range(lower: String?, upper: String?, includesLower: Bool, includesUpper: Bool)
    }

    private static let wordEnds: Set<Character> = ["(", ")", ":", "\"", "[", "]", "{", "}"]

    private static func tokenize(_ text: String) throws -> [Token] {
        let characters = Array(text)
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case _ where character.isWhitespace:
                index += 1
            case "(": tokens.append(.open); index += 1
            case ")": tokens.append(.close); index += 1
            case ":": tokens.append(.colon); index += 1
            case "&" where next == "&": tokens.append(.and); index += 2
            case "|" where next == "|": tokens.append(.or); index += 2
            case "!": tokens.append(.not); index += 1
            // A leading `-` negates a clause; after a colon it starts a value such as `-5`.
            case "-" where tokens.last != .colon && next.map { !$0.isWhitespace } == true:
                tokens.append(.not); index += 1
            case "+" where tokens.last != .colon:
                index += 1
            case "\"":
                var phrase = ""
                index += 1
                while index < characters.count, characters[index] != "\"" {
                    if characters[index] == "\\", index + 1 < characters.count { index += 1 }
                    phrase.append(characters[index])
                    index += 1
                }
                guard index < characters.count else { throw ParseError("unterminated phrase") }
                tokens.append(.quoted(phrase))
                index += 1
            case "[", "{":
                guard let close = characters[index...].firstIndex(where: { $0 == "]" || $0 == "}" }) else {
                    throw ParseError("unterminated range")
                }
                let bounds = String(characters[(index + 1)..<close]).components(separatedBy: " TO ")
                guard bounds.count == 2 else { throw ParseError("a range needs 'lower TO upper'") }
                let lower = bounds[0].trimmingCharacters(in: .whitespaces)
                let upper = bounds[1].trimmingCharacters(in: .whitespaces)
                tokens.append(.range(lower: lower == "*" ? nil : lower, upper: upper == "*" ? nil : upper,
                                     includesLower: character == "[", includesUpper: characters[close] == "]"))
                index = close + 1
            default:
                var word = ""
                while index < characters.count, !characters[index].isWhitespace, !wordEnds.contains(characters[index]) {
                    if characters[index] == "\\", index + 1 < characters.count { index += 1 }
                    word.append(characters[index])
                    index += 1
                }
                guard !word.isEmpty else { throw ParseError("unexpected '\(character)'") }
                switch word {
                case "AND": tokens.append(.and)
                case "OR": tokens.append(.or)
                case "NOT": tokens.append(.not)
                default: tokens.append(.word(word))
                }
            }
        }
        return tokens
    }

    /// Recursive descent; `field` is the field that bare terms belong to inside `field:( … )`.
    private struct Parser {
        var tokens: [Token]
        var index = 0

        var atEnd: Bool { index >= tokens.count }

        private var peek: Token? { atEnd ? nil : tokens[index] }

        private mutating func next() throws -> Token {
            guard let token = peek else { throw ParseError("unexpected end of query") }
            index += 1
            return token
        }

        mutating func parseOr(field: String?) throws -> FakeBullhornLucene {
            var clauses = [try parseAnd(field: field)]
            while let token = peek, token != .close {
                if token == .or { index += 1 }
                clauses.append(try parseAnd(field: field))
            }
            return clauses.count == 1 ? clauses[0] : .anyOf(clauses)
        }

        private mutating func parseAnd(field: String?) throws -> FakeBullhornLucene {
            var clauses = [try parseUnary(field: field)]
            while peek == .and {
                index += 1
                clauses.append(try parseUnary(field: field))
            }
            return clauses.count == 1 ? clauses[0] : .allOf(clauses)
        }

        private mutating func parseUnary(field: String?) throws -> FakeBullhornLucene {
            if peek == .not {
                index += 1
                return .not(try parseUnary(field: field))
            }
            return try parsePrimary(field: field)
        }

        private mutating func parsePrimary(field: String?) throws -> FakeBullhornLucene {
            switch try next() {
            case .open:
                let inner = try parseOr(field: field)
                guard try next() == .close else { throw ParseError("missing ')'") }
                return inner
            case .word(let word) where peek == .colon:
                index += 1
                return try parseValue(field: word)
            case .word(let word):
                guard word != "*" else { throw ParseError("{0}") }
                return .term(field: field, text: word)
            case .quoted(let text):
                return .phrase(field: field, text: text)
            case let .range(lower, upper, includesLower, includesUpper):
                return .range(field: field, lower: lower, upper: upper, includesLower: includesLower, includesUpper: includesUpper)
            case .close, .colon, .and, .or, .not:
                throw ParseError("a clause is missing")
            }
        }

        private mutating func parseValue(field: String) throws -> FakeBullhornLucene {
            switch try next() {
            case .open:
                let inner = try parseOr(field: field)
                guard try next() == .close else { throw ParseError("missing ')'") }
                return inner
            case .word(let word):
                return .term(field: field, text: word)
            case .quoted(let text):
                return .phrase(field: field, text: text)
            case let .range(lower, upper, includesLower, includesUpper):
                return .range(field: field, lower: lower, upper: upper, includesLower: includesLower, includesUpper: includesUpper)
            case .close, .colon, .and, .or, .not:
                throw ParseError("missing value for field '\(field)'")
            }
        }
    }
}
