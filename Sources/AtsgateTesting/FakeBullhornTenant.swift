import Foundation

/// The records of one fake Bullhorn corporation and what the `entity`, `search`, `query`, `meta`
/// and `event/subscription` routes do with them. A value type with no I/O, so ``FakeBullhorn``
/// handles a whole request under one lock.
struct FakeBullhornTenant {
    enum Route: Hashable, Sendable {
        case entity(EntityRoute)
        case subscription(FakeBullhornSubscriptions.Route)

        /// Whether the route changes data; `POST search/...` and `POST query/...` are reads, and
        /// a poll is a write because it consumes the events it hands out.
        var isWrite: Bool {
            switch self {
            case .entity(.create), .entity(.update), .entity(.delete): true
            case .entity(.get), .entity(.search), .entity(.query), .entity(.meta): false
            case .subscription(let route): route.isWrite
            }
        }
    }

    /// The routes that name an entity: `entity/{Entity}…`, `search/{Entity}`, `query/{Entity}`, `meta/{Entity}`.
    enum EntityRoute: Hashable, Sendable {
        case get, create, update, delete, search, query, meta
    }

    /// What a route needs from a request.
    struct Call: Sendable {
        var route: Route
        var entityName: String
        /// The last path part of `entity/{Entity}/{ids}` (one id or a comma-separated list), or
        /// the name in `event/subscription/{name}`.
        var ids: String?
        /// Query parameters, with a `POST search`/`query` JSON body's scalars on top.
        var parameters: [String: String]
        var body: Data
        var now: Date
    }

    /// One change to a record, kept in order for event subscriptions (B9).
    struct Change: Hashable, Sendable {
        enum Kind: String, Sendable { case inserted = "INSERTED", updated = "UPDATED", deleted = "DELETED" }
        var entity: FakeBullhorn.Entity
        var id: Int
        var kind: Kind
        var updatedProperties: [String]
        var timestamp: Date
    }

    /// Mandatory fields without a default, per entity: this tenant's fieldmaps (B3).
    let required: [FakeBullhorn.Entity: Set<String>]
    /// The API user: the default `owner` of what it creates.
    let apiUserID: Int
    /// Entities whose `query` answers 400 `errors.queryIndexedEntity` (B5).
    let queryRejected: Set<FakeBullhorn.Entity>

    /// The corporation's id, as event subscriptions' `jmsSelector` shows it.
    static let corporationID = 12_345

    private(set) var records: [FakeBullhorn.Entity: [FakeBullhorn.Record]] = [:]
    private(set) var changes: [Change] = []
    private var subscriptions = FakeBullhornSubscriptions()
    private var lastIDs: [FakeBullhorn.Entity: Int] = [.jobOrder: 4_100, .clientCorporation: 700, .clientContact: 9_300]

    init(configuration: FakeBullhorn.Configuration) {
        required = configuration.requiredFields
        apiUserID = configuration.apiUserID
        queryRejected = configuration.entitiesRejectingQuery
    }

    func all(_ entity: FakeBullhorn.Entity) -> [FakeBullhorn.Record] {
        records[entity] ?? []
    }

    func record(_ entity: FakeBullhorn.Entity, id: Int) -> FakeBullhorn.Record? {
        records[entity]?.first { $0.id == id }
    }

    mutating func answer(_ call: Call) -> FakeBullhornAnswer {
        switch call.route {
        case .subscription(let route):
            let subscription = FakeBullhornSubscriptions.Call(
                route: route, name: call.ids ?? "", parameters: call.parameters, now: call.now,
                corporationID: Self.corporationID, personID: apiUserID
            )
            return subscriptions.answer(subscription, changes: changes)
        case .entity(let route):
            guard let entity = FakeBullhorn.Entity(rawValue: call.entityName) else {
                let key = route == .search ? "errors.searchUnknownEntity" : "errors.unknownEntity"
                return .badRequest("Unknown or unsupported entity type: \(call.entityName)", key: key)
            }
            return answer(route, entity, call)
        }
    }

    private mutating func answer(_ route: EntityRoute, _ entity: FakeBullhorn.Entity, _ call: Call) -> FakeBullhornAnswer {
        switch route {
        case .get: get(entity, ids: call.ids ?? "", fields: call.parameters["fields"])
        case .create: create(entity, body: call.body, now: call.now)
        case .update: update(entity, id: call.ids, body: call.body, now: call.now)
        case .delete: delete(entity, id: call.ids, now: call.now)
        case .search: search(entity, call.parameters)
        case .query: query(entity, call.parameters)
        case .meta:
            FakeBullhornSchema.meta(of: entity, fields: call.parameters["fields"],
                                    full: call.parameters["meta"] == "full", required: required[entity] ?? [])
        }
    }

    // MARK: - Writes

    /// Stores a record with the defaults Bullhorn fills in, without checking it. Creating a
    /// ClientCorporation also creates its archived placeholder ClientContact (B3).
    @discardableResult
    mutating func insert(_ entity: FakeBullhorn.Entity, _ fields: [String: FakeBullhorn.Value], now: Date) -> FakeBullhorn.Record {
        let id = (lastIDs[entity] ?? 0) + 1
        lastIDs[entity] = id
        var stored = fields
        stored["id"] = nil
        let millis = FakeBullhorn.epochMilliseconds(now)
        stored["dateAdded"] = stored["dateAdded"] ?? .int(millis)
        stored["dateLastModified"] = .int(millis)
        switch entity {
        case .jobOrder:
            stored["owner"] = stored["owner"] ?? ["id": .int(apiUserID)]
            stored["isDeleted"] = stored["isDeleted"] ?? false
            // "default midnight on the day added" (B3); the tenant's time zone is taken to be UTC.
            stored["startDate"] = stored["startDate"] ?? .int(millis - millis % 86_400_000)
        case .clientContact:
            stored["owner"] = stored["owner"] ?? ["id": .int(apiUserID)]
            stored["isDeleted"] = stored["isDeleted"] ?? false
        case .clientCorporation:
            break
        }
        let record = FakeBullhorn.Record(entity: entity, id: id, fields: stored)
        records[entity, default: []].append(record)
        changes.append(Change(entity: entity, id: id, kind: .inserted, updatedProperties: [], timestamp: now))
        if entity == .clientCorporation {
            insert(.clientContact, [
                "clientCorporation": ["id": .int(id)], "firstName": "Default", "lastName": "Contact",
                "name": "Default Contact", "status": "Archive",
            ], now: now)
        }
        return record
    }

    private mutating func create(_ entity: FakeBullhorn.Entity, body: Data, now: Date) -> FakeBullhornAnswer {
        guard let fields = Self.object(body) else { return .badRequest("The request body is not a JSON object", key: "errors.invalidJSON") }
        let problems = FakeBullhornSchema.problems(in: fields, of: entity, creating: true, required: required[entity] ?? [], exists: exists)
        guard problems.isEmpty else { return .invalidWrite(entity, problems) }
        let record = insert(entity, Self.normalized(fields), now: now)
        return Self.changed(entity, record.id, "INSERT", data: .object(fields))
    }

    private mutating func update(_ entity: FakeBullhorn.Entity, id text: String?, body: Data, now: Date) -> FakeBullhornAnswer {
        guard let id = text.flatMap({ Int($0) }), let index = records[entity]?.firstIndex(where: { $0.id == id }) else {
            return .notFound(entity, id: text ?? "")
        }
        guard let fields = Self.object(body) else { return .badRequest("The request body is not a JSON object", key: "errors.invalidJSON") }
        let problems = FakeBullhornSchema.problems(in: fields, of: entity, creating: false, required: required[entity] ?? [], exists: exists)
        guard problems.isEmpty else { return .invalidWrite(entity, problems) }
        var changed = Self.normalized(fields)
        changed["id"] = nil
        records[entity]?[index].fields.merge(changed) { _, new in new }
        records[entity]?[index].fields["dateLastModified"] = .int(FakeBullhorn.epochMilliseconds(now))
        changes.append(Change(entity: entity, id: id, kind: .updated, updatedProperties: changed.keys.sorted(), timestamp: now))
        return Self.changed(entity, id, "UPDATE", data: .object(fields))
    }

    /// A soft delete (`isDeleted: true`) for entities that have the flag; ClientCorporation cannot
    /// be deleted through the API at all (B3).
    private mutating func delete(_ entity: FakeBullhorn.Entity, id text: String?, now: Date) -> FakeBullhornAnswer {
        guard FakeBullhornSchema.isSoftDeletable(entity) else {
            return .badRequest("Entities of type \(entity.rawValue) cannot be deleted", key: "errors.cannotDeleteEntity")
        }
        guard let id = text.flatMap({ Int($0) }), let index = records[entity]?.firstIndex(where: { $0.id == id }) else {
            return .notFound(entity, id: text ?? "")
        }
        records[entity]?[index].fields["isDeleted"] = true
        records[entity]?[index].fields["dateLastModified"] = .int(FakeBullhorn.epochMilliseconds(now))
        changes.append(Change(entity: entity, id: id, kind: .deleted, updatedProperties: ["isDeleted"], timestamp: now))
        return Self.changed(entity, id, "DELETE", data: [:])
    }

    /// Whether a to-one value may point at `id`: a record of an entity the fake models must
    /// exist; the API user is the only CorporateUser; other targets are taken on trust.
    func exists(_ target: String, _ id: Int) -> Bool {
        if let entity = FakeBullhorn.Entity(rawValue: target) { return record(entity, id: id) != nil }
        if target == "CorporateUser" { return id == apiUserID }
        return true
    }

    private static func changed(_ entity: FakeBullhorn.Entity, _ id: Int, _ type: String, data: FakeBullhorn.Value) -> FakeBullhornAnswer {
        .json(["changedEntityType": .string(entity.rawValue), "changedEntityId": .int(id), "changeType": .string(type), "data": data])
    }

    private static func object(_ body: Data) -> [String: FakeBullhorn.Value]? {
        (try? JSONDecoder().decode(FakeBullhorn.Value.self, from: body))?.object
    }

    /// To-one values are stored as `{"id": N}`, whatever else the client sent with the id.
    private static func normalized(_ fields: [String: FakeBullhorn.Value]) -> [String: FakeBullhorn.Value] {
        fields.mapValues { value in
            guard let id = value.associatedID else { return value }
            return ["id": .int(id)]
        }
    }

    // MARK: - Reads

    /// `entity/{Entity}/{id}` answers `{"data": {...}}` or 404; `entity/{Entity}/{id1},{id2}`
    /// answers `{"data": [...]}` without the missing ids, and 404 only if none exist (B2).
    private func get(_ entity: FakeBullhorn.Entity, ids text: String, fields: String?) -> FakeBullhornAnswer {
        let selection: FakeBullhornFieldSelection
        switch Self.selection(fields, of: entity) {
        case .success(let parsed): selection = parsed
        case .failure(let rejection): return rejection.answer
        }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let ids = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !ids.isEmpty, ids.count == parts.count else { return .badRequest("Invalid entity id: \(text)", key: "errors.invalidEntityId") }
        let found = ids.compactMap { record(entity, id: $0) }
        guard !found.isEmpty else { return .notFound(entity, id: text) }
        if parts.count == 1, let only = found.first { return .json(["data": render(only, selection)]) }
        return .json(["data": .array(found.map { render($0, selection) })])
    }

    /// The `fields` parameter, which `entity` and `query` require (a `layout` is not supported).
    static func selection(_ fields: String?, of entity: FakeBullhorn.Entity) -> Result<FakeBullhornFieldSelection, FakeBullhornAnswer.Rejection> {
        guard let fields, !fields.isEmpty else {
            return .failure(.init(.badRequest("At least one of the parameters 'fields' or 'layout' is required", key: "errors.missingFields")))
        }
        guard let selection = FakeBullhornFieldSelection.parse(fields) else {
            return .failure(.init(.badRequest("Malformed fields parameter: \(fields)", key: "errors.invalidField")))
        }
        if let unknown = selection.unknownField(of: entity) { return .failure(.init(.invalidField(unknown, of: entity))) }
        return .success(selection)
    }
}
