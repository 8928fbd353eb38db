/// How a value is written for a target.
public enum ValueFormat: String, Hashable, Sendable, CaseIterable {
    case string
    case integer
    /// An exact decimal number.
    case decimal
    /// Money as a decimal string with two places (`"120000.00"`).
    case money
    case boolean
    /// `2026-10-14`.
    case isoDate = "iso_date"
    /// `2026-10-14T09:30:00Z`.
    case isoDatetime = "iso_datetime"
    /// Milliseconds since 1970 (Bullhorn's timestamps).
    case epochMilliseconds = "epoch_ms"
}

/// One target field and how to fill it.
public struct FieldMapping: Hashable, Sendable {
    public enum Source: Hashable, Sendable {
        case path(MappingPath)
        case constant(MappedValue)
        case template(MappingTemplate)
    }

    public var name: String
    public var source: Source
    /// An enum table: source value (as text) → target value.
    public var table: [String: MappedValue]?
    /// Used when the source is empty, or (with a table) when the value is not in the table.
    public var defaultValue: MappedValue?
    public var format: ValueFormat?
    public var isRequired: Bool
    /// Whether reconciliation compares the target's value with ours (`compare: false` for fields
    /// the target accepts but never returns as sent).
    public var isCompared: Bool
    /// Where the field is defined, for error messages.
    public var line: Int?

    public init(
        name: String, source: Source, table: [String: MappedValue]? = nil, defaultValue: MappedValue? = nil,
        format: ValueFormat? = nil, isRequired: Bool = false, isCompared: Bool = true, line: Int? = nil
    ) {
        self.name = name
        self.source = source
        self.table = table
        self.defaultValue = defaultValue
        self.format = format
        self.isRequired = isRequired
        self.isCompared = isCompared
        self.line = line
    }
}

/// The fields of one entity a target receives (`job`, `company`, `contact`, …), in file order.
public struct EntityMapping: Hashable, Sendable {
    public var name: String
    public var fields: [FieldMapping]

    public init(name: String, fields: [FieldMapping]) {
        self.name = name
        self.fields = fields
    }
}

/// One mapping file: `mappings/NAME.yaml`.
public struct TargetMapping: Hashable, Sendable {
    public var file: String
    public var entities: [String: EntityMapping]

    public init(file: String, entities: [String: EntityMapping]) {
        self.file = file
        self.entities = entities
    }

    public subscript(entity: String) -> EntityMapping? { entities[entity] }
}

/// `"{{company.name}}: {{job.title}}"`: text with paths filled in. No sections, no HTML escaping:
/// a target field is data, not a web page.
public struct MappingTemplate: Hashable, Sendable {
    enum Part: Hashable, Sendable {
        case text(String)
        case path(MappingPath)
    }

    let parts: [Part]

    public init(parsing text: String) throws(MappingPathError) {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw MappingPathError(reason: "template has '{{' without a closing '}}'")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            parts.append(.path(try MappingPath(parsing: name)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    var paths: [MappingPath] {
        parts.compactMap { if case .path(let path) = $0 { path } else { nil } }
    }
}
