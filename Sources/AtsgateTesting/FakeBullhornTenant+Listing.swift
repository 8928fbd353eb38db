import Foundation

/// `search/{Entity}` and `query/{Entity}` (ATS_APIS.md B4, B5), and how records are rendered.
extension FakeBullhornTenant {
    static let defaultCount = 20
    static let maximumCount = 500

    // MARK: - search

    /// `{"total", "start", "count", "data": [{"_score", "id", ...}]}`, or `{"data": [ids]}` when
    /// neither `fields` nor `layout` is given (B4). Soft-deleted records are in the index.
    func search(_ entity: FakeBullhorn.Entity, _ parameters: [String: String]) -> FakeBullhornAnswer {
        guard let text = parameters["query"], !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .badRequest("Missing required parameter: query", key: "errors.missingParameter")
        }
        let lucene: FakeBullhornLucene
        do {
            lucene = try FakeBullhornLucene.parse(text)
        } catch {
            return .badRequest("Bad Query: \(error)", key: "errors.badQuery")
        }
        let matched = all(entity).filter { record in lucene.matches { value(at: $0, of: record) } }
        guard let fields = parameters["fields"] else {
            let page = Self.page(matched, parameters)
            return .json(["data": .array(page.map { .int($0.id) })])
        }
        let selection: FakeBullhornFieldSelection
        switch Self.selection(fields, of: entity) {
        case .success(let parsed): selection = parsed
        case .failure(let rejection): return rejection.answer
        }
        let sorted: [FakeBullhorn.Record]
        switch sort(matched, by: parameters["sort"] ?? parameters["orderBy"], of: entity) {
        case .success(let records): sorted = records
        case .failure(let rejection): return rejection.answer
        }
        let page = Self.page(sorted, parameters)
        let data = page.map { record -> FakeBullhorn.Value in
            var shape = render(record, selection).object ?? [:]
            shape["_score"] = 1.0
            return .object(shape)
        }
        return .json([
            "total": .int(matched.count), "start": .int(Self.start(parameters)),
            "count": .int(data.count), "data": .array(data),
        ])
    }

    // MARK: - query

    /// `{"start", "count", "data"}`, with `total` only when `showTotalMatched=true`, or just
    /// `{"total"}` with `totalOnly=true` (B4). `where` and `fields` are required.
    func query(_ entity: FakeBullhorn.Entity, _ parameters: [String: String]) -> FakeBullhornAnswer {
        if queryRejected.contains(entity) {
            return .badRequest("Query operation not supported for \(entity.rawValue), please use /search call instead.",
                               key: "errors.queryIndexedEntity")
        }
        guard let text = parameters["where"], !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .badRequest("Missing required parameter: where", key: "errors.missingParameter")
        }
        let clause: FakeBullhornWhere
        do {
            clause = try FakeBullhornWhere.parse(text)
        } catch {
            return .badRequest("Invalid where clause: \(error)", key: "errors.invalidWhereClause")
        }
        if let problem = Self.typeProblem(in: clause, of: entity) {
            return .badRequest("Where clause \(problem)", key: "errors.invalidWhereClause")
        }
        let matched = all(entity).filter { record in clause.matches { value(at: $0, of: record) } }
        if parameters["totalOnly"] == "true" { return .json(["total": .int(matched.count)]) }
        let selection: FakeBullhornFieldSelection
        switch Self.selection(parameters["fields"], of: entity) {
        case .success(let parsed): selection = parsed
        case .failure(let rejection): return rejection.answer
        }
        let sorted: [FakeBullhorn.Record]
        switch sort(matched, by: parameters["orderBy"] ?? parameters["sort"], of: entity) {
        case .success(let records): sorted = records
        case .failure(let rejection): return rejection.answer
        }
        let page = Self.page(sorted, parameters).map { render($0, selection) }
        var answer: [String: FakeBullhorn.Value] = [
            "start": .int(Self.start(parameters)), "count": .int(page.count), "data": .array(page),
        ]
        if parameters["showTotalMatched"] == "true" { answer["total"] = .int(matched.count) }
        return .json(.object(answer))
    }

    /// Why the clause cannot run: a field the entity lacks, or a literal of the wrong type.
    private static func typeProblem(in clause: FakeBullhornWhere, of entity: FakeBullhorn.Entity) -> String? {
        for (path, literals) in clause.comparedPaths {
            guard let kind = FakeBullhornSchema.kind(ofPath: path, in: entity) else { return "'\(path)' is not a valid field name" }
            for literal in literals {
                switch (kind, literal) {
                case (.text, .text), (.boolean, .boolean), (.id, .number), (.integer, .number), (.decimal, .number), (.timestamp, .number):
                    continue
                default:
                    return "'\(path)' cannot be compared with \(literal)"
                }
            }
        }
        return nil
    }

    // MARK: - Paging and sorting

    private static func start(_ parameters: [String: String]) -> Int {
        max(0, parameters["start"].flatMap { Int($0) } ?? 0)
    }

    /// `count` defaults to 20 and is capped at 500 without an error (B5).
    private static func page(_ records: [FakeBullhorn.Record], _ parameters: [String: String]) -> ArraySlice<FakeBullhorn.Record> {
        let count = min(maximumCount, max(0, parameters["count"].flatMap { Int($0) } ?? defaultCount))
        return records.dropFirst(start(parameters)).prefix(count)
    }

    /// Ordered by id unless `sort`/`orderBy` names fields (`-field` for descending).
    private func sort(
        _ records: [FakeBullhorn.Record], by text: String?, of entity: FakeBullhorn.Entity
    ) -> Result<[FakeBullhorn.Record], FakeBullhornAnswer.Rejection> {
        let keys = (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let orders = keys.map { key in key.hasPrefix("-") ? (String(key.dropFirst()), false) : (key, true) }
        if let unknown = orders.first(where: { FakeBullhornSchema.kind(ofPath: $0.0, in: entity) == nil }) {
            return .failure(.init(.badRequest("Bad sort: unknown field \(unknown.0)", key: "errors.badSort")))
        }
        return .success(records.sorted { left, right in
            for (path, ascending) in orders {
                let (a, b) = (value(at: path, of: left), value(at: path, of: right))
                if Self.sortKey(a) == Self.sortKey(b) { continue }
                return Self.ascending(a, b) == ascending
            }
            return left.id < right.id
        })
    }

    private static func sortKey(_ value: FakeBullhorn.Value?) -> String {
        switch value {
        case .string(let text)?: text.lowercased()
        case let value?: value.number.map { "\($0)" } ?? "\(value)"
        case nil: ""
        }
    }

    /// Nulls first, numbers by value, text ignoring case.
    private static func ascending(_ a: FakeBullhorn.Value?, _ b: FakeBullhorn.Value?) -> Bool {
        if let x = a?.number, let y = b?.number { return x < y }
        if let x = a?.string, let y = b?.string { return x.lowercased() < y.lowercased() }
        return (a == nil || a == .null) && !(b == nil || b == .null)
    }

    // MARK: - Rendering

    /// The value at a dotted path: `title`, `address.city`, `owner.id`, or through a to-one to a
    /// modelled record, `clientCorporation.name`.
    func value(at path: String, of record: FakeBullhorn.Record) -> FakeBullhorn.Value? {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard let head = parts.first else { return nil }
        let value: FakeBullhorn.Value? = head == "id" ? .int(record.id) : record.fields[head]
        guard parts.count == 2, let value else { return value }
        if case .toOne(let target)? = FakeBullhornSchema.field(head, of: record.entity)?.kind,
           let entity = FakeBullhorn.Entity(rawValue: target), let id = value.associatedID, let linked = self.record(entity, id: id) {
            return self.value(at: parts[1], of: linked)
        }
        return value[parts[1]]
    }

    /// A record with the selected fields, `id` always included. A to-one renders as `{"id": N}`
    /// plus the linked record's display fields, or the sub-selection asked for.
    func render(_ record: FakeBullhorn.Record, _ selection: FakeBullhornFieldSelection) -> FakeBullhorn.Value {
        var shape: [String: FakeBullhorn.Value] = ["id": .int(record.id)]
        let items = selection.isAll ? record.fields.keys.sorted().map { FakeBullhornFieldSelection.Item(name: $0, subfields: nil) } : selection.items
        for item in items where item.name != "id" {
            shape[item.name] = render(item, of: record)
        }
        return .object(shape)
    }

    private func render(_ item: FakeBullhornFieldSelection.Item, of record: FakeBullhorn.Record) -> FakeBullhorn.Value {
        guard let value = record.fields[item.name], value != .null else { return .null }
        switch FakeBullhornSchema.field(item.name, of: record.entity)?.kind {
        case .toOne(let target)?:
            guard let id = value.associatedID else { return value }
            let subfields = item.subfields ?? Self.displayFields(of: target)
            if let entity = FakeBullhorn.Entity(rawValue: target), let linked = self.record(entity, id: id) {
                return render(linked, FakeBullhornFieldSelection(items: subfields))
            }
            var shape: [String: FakeBullhorn.Value] = ["id": .int(id)]
            if target == "CorporateUser", id == apiUserID {
                for name in subfields.map(\.name) where ["firstName", "lastName"].contains(name) {
                    shape[name] = name == "firstName" ? "API" : "User"
                }
            }
            return .object(shape)
        case .address?:
            guard let subfields = item.subfields, let parts = value.object else { return value }
            return .object(parts.filter { part in subfields.contains { $0.name == part.key } })
        default:
            return value
        }
    }

    private static func displayFields(of target: String) -> [FakeBullhornFieldSelection.Item] {
        let names = switch target {
        case "ClientCorporation": ["name"]
        case "ClientContact", "CorporateUser": ["firstName", "lastName"]
        default: [String]()
        }
        return names.map { FakeBullhornFieldSelection.Item(name: $0, subfields: nil) }
    }
}
