import Foundation
import Yams

/// One node of a YAML file with its dotted path, so every error can name the file, line and field.
struct YAMLField {
    let node: Node
    let path: String
    let file: String

    var line: Int? { node.mark?.line }

    func error(_ reason: String) -> ConfigurationError {
        ConfigurationError(file: file, line: line, field: path.isEmpty ? nil : path, reason: reason)
    }

    /// Parses a whole document; a syntax error carries the line Yams reports.
    static func document(_ text: String, file: String) throws(ConfigurationError) -> YAMLField {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigurationError(file: file, reason: "is empty")
            }
            return YAMLField(node: node, path: "", file: file)
        } catch let error as ConfigurationError {
            throw error
        } catch let YamlError.scanner(_, problem, mark, _), let YamlError.parser(_, problem, mark, _),
                let YamlError.composer(_, problem, mark, _) {
            throw ConfigurationError(file: file, line: mark.line, reason: "is not valid YAML: \(problem)")
        } catch {
            throw ConfigurationError(file: file, reason: "is not valid YAML: \(error)")
        }
    }

    /// The mapping's fields by key, refusing keys outside `allowed` (a misspelt key must not be ignored).
    func mapping(allowed: Set<String>) throws(ConfigurationError) -> YAMLMapping {
        guard case .mapping(let mapping) = node else { throw error("must be a mapping of keys to values") }
        var fields: [String: YAMLField] = [:]
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string else { throw error("has a key that is not a string") }
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            let child = YAMLField(node: valueNode, path: childPath, file: file)
            guard allowed.contains(key) else {
                throw ConfigurationError(
                    file: file, line: keyNode.mark?.line ?? child.line, field: childPath,
                    reason: "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))"
                )
            }
            fields[key] = child
        }
        return YAMLMapping(fields: fields, owner: self)
    }

    func string() throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else { throw error("must be a non-empty string") }
        return scalar.string
    }

    func bool() throws(ConfigurationError) -> Bool {
        guard case .scalar = node, let value = node.bool else { throw error("must be true or false") }
        return value
    }

    func int(atLeast minimum: Int) throws(ConfigurationError) -> Int {
        guard case .scalar = node, let value = node.int, value >= minimum else {
            throw error("must be a whole number of at least \(minimum)")
        }
        return value
    }

    func positiveNumber() throws(ConfigurationError) -> Double {
        guard case .scalar = node, let value = node.float, value > 0, value.isFinite else {
            throw error("must be a number greater than 0")
        }
        return value
    }

    /// `250ms`, `5s`, `10m`, `2h`, `3d`, or a bare number of seconds.
    func duration() throws(ConfigurationError) -> Duration {
        guard case .scalar(let scalar) = node else { throw error("must be a duration such as 30s, 5m or 2h") }
        guard let duration = DurationText.parse(scalar.string), duration > .zero else {
            throw error("'\(scalar.string)' is not a duration such as 30s, 5m or 2h")
        }
        return duration
    }

    func stringList() throws(ConfigurationError) -> [String] {
        switch node {
        case .scalar:
            return [try string()]
        case .sequence(let sequence):
            var values: [String] = []
            for (index, element) in sequence.enumerated() {
                values.append(try YAMLField(node: element, path: "\(path)[\(index)]", file: file).string())
            }
            guard !values.isEmpty else { throw error("must list at least one value") }
            return values
        default:
            throw error("must be a string or a list of strings")
        }
    }

    /// The name of an environment variable holding a secret; the secret itself never lives in a file.
    func environmentVariableName() throws(ConfigurationError) -> String {
        let name = try string()
        let valid = name.unicodeScalars.enumerated().allSatisfy { index, scalar in
            ("A"..."Z").contains(scalar) || scalar == "_" || (index > 0 && ("0"..."9").contains(scalar))
        }
        guard valid else { throw error("must name an environment variable (A-Z, 0-9, _), not hold a value") }
        return name
    }
}

/// A YAML mapping's fields, read by key.
struct YAMLMapping {
    let fields: [String: YAMLField]
    let owner: YAMLField

    subscript(key: String) -> YAMLField? { fields[key] }

    func required(_ key: String) throws(ConfigurationError) -> YAMLField {
        guard let field = fields[key] else {
            let path = owner.path.isEmpty ? key : "\(owner.path).\(key)"
            throw ConfigurationError(file: owner.file, line: owner.line, field: path, reason: "is required")
        }
        return field
    }
}

/// Parses the short duration forms used in configuration files.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)]
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            let number = trimmed.dropLast(unit.suffix.count)
            guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
            return .milliseconds(Int64((value * unit.seconds * 1_000).rounded()))
        }
        guard let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 else { return nil }
        return .milliseconds(Int64((seconds * 1_000).rounded()))
    }

    /// `90s` → `1m30s`; used when printing configuration back.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 1_000 != 0 { return "\(milliseconds)ms" }
        var seconds = milliseconds / 1_000
        var parts: [String] = []
        for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where seconds >= size {
            parts.append("\(seconds / size)\(unit)")
            seconds %= size
        }
        if seconds > 0 || parts.isEmpty { parts.append("\(seconds)s") }
        return parts.joined()
    }
}
