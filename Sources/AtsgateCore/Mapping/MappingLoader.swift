public import Foundation
import Yams

/// Reads `mappings/*.yaml`:
///
/// ```yaml
/// entities:
///   job:
///     title: { from: job.title, required: true }
///     job_type_id: { from: job.employment_type, map: { full_time: 1, contract: 3 }, default: 1 }
///     salary: { from: job.salary_max, format: money }
///     published: { value: false }
///     published_name: { template: "{{job.title}} ({{job.location}})" }
/// ```
/// Every problem names the file, line and field.
public struct MappingLoader: Sendable {
    public var configurationDirectory: URL

    public init(configurationDirectory: URL) {
        self.configurationDirectory = configurationDirectory
    }

    /// Loads one file by name (`loxo.yaml`).
    public func load(_ name: String) throws(ConfigurationError) -> TargetMapping {
        let display = "mappings/\(name)"
        let url = configurationDirectory.appendingPathComponent("mappings").appendingPathComponent(name)
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: display, reason: "cannot be read (missing, or not UTF-8 text)")
        }
        return try Self.parse(text, file: display)
    }

    /// Loads every `*.yaml` directly under `mappings/`, reporting every broken file.
    public func loadAll() throws(ConfigurationErrors) -> [TargetMapping] {
        let folder = configurationDirectory.appendingPathComponent("mappings")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var mappings: [TargetMapping] = []
        var errors: [ConfigurationError] = []
        for name in names {
            do throws(ConfigurationError) {
                mappings.append(try load(name))
            } catch {
                errors.append(error)
            }
        }
        guard errors.isEmpty else { throw ConfigurationErrors(errors) }
        return mappings
    }

    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> TargetMapping {
        let document = try YAMLField.document(text, file: file)
        let top = try document.mapping(allowed: ["entities"])
        let entitiesField = try top.required("entities")
        guard case .mapping(let entityNodes) = entitiesField.node else { throw entitiesField.error("must map entity names to their fields") }
        var entities: [String: EntityMapping] = [:]
        for (keyNode, valueNode) in entityNodes {
            guard let entity = keyNode.string else { throw entitiesField.error("has an entity name that is not a string") }
            let entityField = YAMLField(node: valueNode, path: "entities.\(entity)", file: file)
            guard case .mapping(let fieldNodes) = valueNode else { throw entityField.error("must map target field names to their sources") }
            var fields: [FieldMapping] = []
            for (fieldKey, fieldNode) in fieldNodes {
                guard let name = fieldKey.string else { throw entityField.error("has a field name that is not a string") }
                fields.append(try field(name, YAMLField(node: fieldNode, path: "entities.\(entity).\(name)", file: file)))
            }
            guard !fields.isEmpty else { throw entityField.error("maps no fields") }
            entities[entity] = EntityMapping(name: entity, fields: fields)
        }
        return TargetMapping(file: file, entities: entities)
    }

    private static func field(_ name: String, _ field: YAMLField) throws(ConfigurationError) -> FieldMapping {
        let keys = try field.mapping(allowed: ["from", "value", "template", "map", "default", "format", "required", "compare"])
        let sources = ["from", "value", "template"].filter { keys[$0] != nil }
        guard sources.count == 1, let sourceKey = sources.first, let sourceField = keys[sourceKey] else {
            throw field.error("needs exactly one of from, value, template")
        }
        let source: FieldMapping.Source
        switch sourceKey {
        case "from":
            let text = try sourceField.string()
            do throws(MappingPathError) {
                source = .path(try MappingPath(parsing: text))
            } catch {
                throw sourceField.error(error.reason)
            }
        case "template":
            let text = try sourceField.string()
            do throws(MappingPathError) {
                source = .template(try MappingTemplate(parsing: text))
            } catch {
                throw sourceField.error(error.reason)
            }
        default:
            source = .constant(try scalar(sourceField))
        }
        var table: [String: MappedValue]?
        if let mapField = keys["map"] {
            guard case .mapping(let pairs) = mapField.node, !pairs.isEmpty else { throw mapField.error("must map source values to target values") }
            var entries: [String: MappedValue] = [:]
            for (key, value) in pairs {
                guard let sourceValue = key.string else { throw mapField.error("has a key that is not a scalar") }
                entries[sourceValue] = try scalar(YAMLField(node: value, path: "\(mapField.path).\(sourceValue)", file: mapField.file))
            }
            table = entries
        }
        var format: ValueFormat?
        if let formatField = keys["format"] {
            let text = try formatField.string()
            guard let value = ValueFormat(rawValue: text) else {
                throw formatField.error("'\(text)' is not one of: \(ValueFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            format = value
        }
        return FieldMapping(
            name: name, source: source, table: table,
            defaultValue: try keys["default"].map { field throws(ConfigurationError) in try scalar(field) },
            format: format, isRequired: try keys["required"]?.bool() ?? false,
            isCompared: try keys["compare"]?.bool() ?? true, line: field.line
        )
    }

    /// A YAML scalar as a value: booleans, integers, decimals and strings, `null` as null.
    private static func scalar(_ field: YAMLField) throws(ConfigurationError) -> MappedValue {
        guard case .scalar(let scalar) = field.node else { throw field.error("must be a single value") }
        if scalar.style == .plain {
            if scalar.string == "null" || scalar.string == "~" { return .null }
            if let bool = field.node.bool { return .bool(bool) }
            if let integer = Int64(scalar.string) { return .integer(integer) }
            if let decimal = RecordReader.strictDecimal(scalar.string) { return .decimal(decimal) }
        }
        return .string(scalar.string)
    }
}
