import Foundation

/// A parsed `fields=` parameter: `*`, or names with optional sub-selections of to-one and
/// address fields, `id,title,clientCorporation(id,name),address(city)`. The `id` is always
/// answered, asked for or not (official `_entity.md`).
struct FakeBullhornFieldSelection: Hashable, Sendable {
    struct Item: Hashable, Sendable {
        var name: String
        /// Nil when the field was named alone.
        var subfields: [Item]?
    }

    /// Empty for `*`.
    var items: [Item]
    var isAll: Bool { items.isEmpty }

    static let all = FakeBullhornFieldSelection(items: [])

    /// Nil when the text is empty or its parentheses do not balance.
    static func parse(_ text: String) -> FakeBullhornFieldSelection? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "*" { return .all }
        var rest = Substring(trimmed)
        guard let items = parseList(&rest), rest.isEmpty, !items.isEmpty else { return nil }
        return FakeBullhornFieldSelection(items: items)
    }

    private static func parseList(_ rest: inout Substring) -> [Item]? {
        var items: [Item] = []
        while true {
            let nameEnd = rest.firstIndex { ",()".contains($0) } ?? rest.endIndex
            let name = rest[..<nameEnd].trimmingCharacters(in: .whitespaces)
            rest = rest[nameEnd...]
            guard !name.isEmpty else { return nil }
            var item = Item(name: name, subfields: nil)
            if rest.first == "(" {
                rest = rest.dropFirst()
                guard let subfields = parseList(&rest), rest.first == ")" else { return nil }
                rest = rest.dropFirst()
                item.subfields = subfields
            }
            items.append(item)
            guard rest.first == "," else { return items }
            rest = rest.dropFirst()
        }
    }

    /// The first name that is not a field of `entity` (sub-selections included, where the target
    /// is an entity the fake models, or an address).
    func unknownField(of entity: FakeBullhorn.Entity) -> String? {
        Self.unknown(in: items, of: FakeBullhornSchema.fields(of: entity))
    }

    private static func unknown(in items: [Item], of fields: [String: FakeBullhornSchema.Field]) -> String? {
        for item in items {
            guard let field = fields[item.name] else { return item.name }
            guard let subfields = item.subfields else { continue }
            switch field.kind {
            case .toOne(let target):
                if let entity = FakeBullhorn.Entity(rawValue: target),
                   let unknown = unknown(in: subfields, of: FakeBullhornSchema.fields(of: entity)) {
                    return "\(item.name).\(unknown)"
                }
            case .address:
                if let unknown = subfields.first(where: { !FakeBullhornSchema.addressKeys.contains($0.name) }) {
                    return "\(item.name).\(unknown.name)"
                }
            default:
                return item.name
            }
        }
        return nil
    }
}
