/// The fields of each entity the fake knows (ATS_APIS.md B3), what a write may put in them, and
/// the `meta/{Entity}` answer that describes them.
///
/// Lengths, types and read-only flags come from B3; custom-field ranges of ClientCorporation and
/// ClientContact are not in B3 and are a guess (`customText1-20`, `customInt1-3`, `customDate1-3`,
/// `customFloat1-3`, `customTextBlock1-5`).
struct FakeBullhornSchema {
    enum Kind: Hashable, Sendable {
        case id
        case text(maxLength: Int?)
        case integer
        case decimal
        case boolean
        /// Epoch milliseconds (B10).
        case timestamp
        /// `{address1, address2, city, state, zip, countryID}`.
        case address
        /// `{"id": N}`; the target entity's name, modelled or not (CorporateUser, Category…).
        case toOne(String)

        var metaType: String {
            switch self {
            case .id: "ID"
            case .toOne: "TO_ONE"
            case .address: "COMPOSITE"
            default: "SCALAR"
            }
        }

        var dataType: String {
            switch self {
            case .id, .integer: "Integer"
            case .text: "String"
            case .decimal: "BigDecimal"
            case .boolean: "Boolean"
            case .timestamp: "Timestamp"
            case .address: "Address"
            case .toOne(let target): target
            }
        }
    }

    struct Field: Sendable {
        var name: String
        var kind: Kind
        var readOnly = false
        /// Picklist values, as `meta` lists them; writes are not checked against them (a
        /// community client recorded `"employmentType": "permanent"` as accepted, B3).
        var options: [String] = []
    }

    static let addressKeys: Set<String> = ["address1", "address2", "city", "state", "zip", "countryID", "countryName"]

    static func fields(of entity: FakeBullhorn.Entity) -> [String: Field] {
        switch entity {
        case .jobOrder: jobOrder
        case .clientCorporation: clientCorporation
        case .clientContact: clientContact
        }
    }

    static func field(_ name: String, of entity: FakeBullhorn.Entity) -> Field? {
        fields(of: entity)[name]
    }

    /// The kind of a dotted path such as `clientCorporation.id` or `address.city`; nil when the
    /// entity has no such field.
    static func kind(ofPath path: String, in entity: FakeBullhorn.Entity) -> Kind? {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard let head = parts.first, let field = field(head, of: entity) else { return nil }
        guard parts.count == 2 else { return field.kind }
        switch field.kind {
        case .toOne(let target):
            if let linked = FakeBullhorn.Entity(rawValue: target) { return kind(ofPath: parts[1], in: linked) }
            return parts[1] == "id" ? .id : nil
        case .address:
            guard addressKeys.contains(parts[1]) else { return nil }
            return parts[1] == "countryID" ? .integer : .text(maxLength: nil)
        default:
            return nil
        }
    }

    /// Whether the entity has `isDeleted`: ClientCorporation has none (B3).
    static func isSoftDeletable(_ entity: FakeBullhorn.Entity) -> Bool {
        field("isDeleted", of: entity) != nil
    }

    // MARK: - Entities

    private static let jobOrder = table([
        Field(name: "id", kind: .id, readOnly: true),
        Field(name: "title", kind: .text(maxLength: 100)),
        Field(name: "clientCorporation", kind: .toOne("ClientCorporation")),
        Field(name: "clientContact", kind: .toOne("ClientContact")),
        Field(name: "owner", kind: .toOne("CorporateUser")),
        Field(name: "status", kind: .text(maxLength: 200), options: ["Accepting Candidates", "Covered", "Placed", "Archive"]),
        Field(name: "isOpen", kind: .boolean),
        Field(name: "employmentType", kind: .text(maxLength: 200), options: ["Contract", "Contract To Hire", "Permanent", "50 - Direct Hire"]),
        Field(name: "onSite", kind: .text(maxLength: 20), options: ["On-Site", "Off-Site", "Remote"]),
        Field(name: "startDate", kind: .timestamp),
        Field(name: "numOpenings", kind: .integer),
        Field(name: "description", kind: .text(maxLength: nil)),
        Field(name: "publicDescription", kind: .text(maxLength: nil)),
        Field(name: "externalID", kind: .text(maxLength: 100)),
        Field(name: "address", kind: .address),
        Field(name: "salary", kind: .decimal),
        Field(name: "salaryUnit", kind: .text(maxLength: 12), options: ["Per Hour", "Per Day", "yearly"]),
        Field(name: "payRate", kind: .decimal),
        Field(name: "clientBillRate", kind: .decimal),
        Field(name: "isDeleted", kind: .boolean),
        Field(name: "isPublic", kind: .integer),
        Field(name: "dateAdded", kind: .timestamp),
        Field(name: "dateLastModified", kind: .timestamp, readOnly: true),
        Field(name: "dateClosed", kind: .timestamp),
        Field(name: "dateEnd", kind: .timestamp),
        Field(name: "willRelocateInt", kind: .integer),
        Field(name: "source", kind: .text(maxLength: 100)),
    ] + custom(text: 40, textBlock: 5, int: 8, date: 3, float: 3) + correlatedCustom)

    private static let clientCorporation = table([
        Field(name: "id", kind: .id, readOnly: true),
        Field(name: "name", kind: .text(maxLength: 100)),
        Field(name: "status", kind: .text(maxLength: 30), options: ["Prospect", "Active", "Passive", "Archive"]),
        Field(name: "address", kind: .address),
        Field(name: "annualRevenue", kind: .decimal),
        Field(name: "feeArrangement", kind: .decimal),
        Field(name: "numEmployees", kind: .integer),
        Field(name: "numOffices", kind: .integer),
        Field(name: "phone", kind: .text(maxLength: 20)),
        Field(name: "companyURL", kind: .text(maxLength: 100)),
        Field(name: "companyDescription", kind: .text(maxLength: nil)),
        Field(name: "externalID", kind: .text(maxLength: 30)),
        Field(name: "dateAdded", kind: .timestamp, readOnly: true),
        Field(name: "dateLastModified", kind: .timestamp, readOnly: true),
        Field(name: "parentClientCorporation", kind: .toOne("ClientCorporation")),
        Field(name: "department", kind: .toOne("CorporationDepartment")),
    ] + custom(text: 20, textBlock: 5, int: 3, date: 3, float: 3))

    private static let clientContact = table([
        Field(name: "id", kind: .id, readOnly: true),
        Field(name: "clientCorporation", kind: .toOne("ClientCorporation")),
        Field(name: "firstName", kind: .text(maxLength: 50)),
        Field(name: "lastName", kind: .text(maxLength: 50)),
        Field(name: "name", kind: .text(maxLength: 100)),
        Field(name: "email", kind: .text(maxLength: 60)),
        Field(name: "phone", kind: .text(maxLength: 20)),
        Field(name: "mobile", kind: .text(maxLength: 20)),
        Field(name: "occupation", kind: .text(maxLength: 50)),
        Field(name: "namePrefix", kind: .text(maxLength: 5)),
        Field(name: "division", kind: .text(maxLength: 40)),
        Field(name: "status", kind: .text(maxLength: 30), options: ["Active", "Passive", "Archive"]),
        Field(name: "type", kind: .text(maxLength: 30), options: ["Primary", "Secondary", "Billing"]),
        Field(name: "category", kind: .toOne("Category")),
        Field(name: "owner", kind: .toOne("CorporateUser")),
        Field(name: "username", kind: .text(maxLength: 100)),
        Field(name: "password", kind: .text(maxLength: 20)),
        Field(name: "preferredContact", kind: .text(maxLength: 15)),
        Field(name: "massMailOptOut", kind: .boolean),
        Field(name: "numEmployees", kind: .integer),
        Field(name: "externalID", kind: .text(maxLength: 30)),
        Field(name: "isDeleted", kind: .boolean),
        Field(name: "address", kind: .address),
        Field(name: "dateAdded", kind: .timestamp, readOnly: true),
        Field(name: "dateLastModified", kind: .timestamp, readOnly: true),
    ] + custom(text: 20, textBlock: 5, int: 3, date: 3, float: 3))

    private static func table(_ fields: [Field]) -> [String: Field] {
        Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private static func custom(text: Int, textBlock: Int, int: Int, date: Int, float: Int) -> [Field] {
        (1...text).map { Field(name: "customText\($0)", kind: .text(maxLength: 100)) }
            + (1...textBlock).map { Field(name: "customTextBlock\($0)", kind: .text(maxLength: nil)) }
            + (1...int).map { Field(name: "customInt\($0)", kind: .integer) }
            + (1...date).map { Field(name: "customDate\($0)", kind: .timestamp) }
            + (1...float).map { Field(name: "customFloat\($0)", kind: .decimal) }
    }

    /// Read-only mirrors of the client corporation's custom fields (B3, `correlatedCustom*`).
    private static let correlatedCustom: [Field] =
        (1...10).map { Field(name: "correlatedCustomText\($0)", kind: .text(maxLength: 100), readOnly: true) }
            + (1...3).map { Field(name: "correlatedCustomInt\($0)", kind: .integer, readOnly: true) }
            + (1...3).map { Field(name: "correlatedCustomDate\($0)", kind: .timestamp, readOnly: true) }
            + (1...3).map { Field(name: "correlatedCustomFloat\($0)", kind: .decimal, readOnly: true) }
}

// MARK: - Writes

extension FakeBullhornSchema {
    /// Every reason a write body breaks the entity's rules (B3, B7): unknown fields (B3: there is
    /// no `title` on ClientContact, no `isDeleted` on ClientCorporation), read-only fields, values
    /// of the wrong type (timestamps must be epoch-ms integers), text over its maximum length, to-one
    /// values that are not `{"id": N}` or point at a record that does not exist, and mandatory
    /// fields that are missing (on create) or cleared.
    static func problems(
        in body: [String: FakeBullhorn.Value], of entity: FakeBullhorn.Entity, creating: Bool,
        required: Set<String>, exists: (_ entity: String, _ id: Int) -> Bool
    ) -> [FakeBullhornAnswer.FieldError] {
        let known = fields(of: entity)
        var problems: [FakeBullhornAnswer.FieldError] = []
        for (name, value) in body.sorted(by: { $0.key < $1.key }) {
            guard let field = known[name] else {
                problems.append(.init(propertyName: name, type: "VALIDATION_ERROR",
                                      detailMessage: "'\(name)' does not exist on entity \(entity.rawValue)"))
                continue
            }
            // Clients echo the id of the record they update (the official POST example does).
            if field.kind == .id { continue }
            if field.readOnly {
                problems.append(.init(propertyName: name, type: "VALIDATION_ERROR", detailMessage: "'\(name)' is read-only"))
            } else if let problem = problem(with: value, for: field, exists: exists) {
                problems.append(.init(propertyName: name, type: "VALIDATION_ERROR", detailMessage: problem))
            }
        }
        for name in required.sorted() {
            let value = body[name]
            let missing = creating ? (value == nil || value == .null) : value == .null
            if missing {
                problems.append(.init(propertyName: name, type: "VALIDATION_ERROR", detailMessage: "'\(name)' is required"))
            }
        }
        return problems
    }

    private static func problem(with value: FakeBullhorn.Value, for field: Field, exists: (String, Int) -> Bool) -> String? {
        if value == .null { return nil }
        switch (field.kind, value) {
        case (.text(let maxLength), .string(let text)):
            guard let maxLength, text.count > maxLength else { return nil }
            return "value exceeds the maximum length of \(maxLength)"
        case (.integer, .int), (.decimal, .int), (.decimal, .double), (.boolean, .bool), (.timestamp, .int):
            return nil
        case (.timestamp, _):
            return "expected a Timestamp in epoch milliseconds"
        case (.address, .object(let parts)):
            let unknown = Set(parts.keys).subtracting(addressKeys)
            return unknown.isEmpty ? nil : "unknown address fields: \(unknown.sorted().joined(separator: ", "))"
        case (.toOne(let target), _):
            guard let id = value.associatedID else { return "expected an association of the form {\"id\": N}" }
            return exists(target, id) ? nil : "\(target) with id \(id) does not exist"
        default:
            return "expected a value of type \(field.kind.dataType)"
        }
    }
}

// MARK: - meta/{Entity}

extension FakeBullhornSchema {
    /// `GET meta/{Entity}`: the field inventory. `required` (and the other full-meta keys) appear
    /// only with `meta=full` (B3: "Without `meta=full` the `required` key is omitted").
    static func meta(
        of entity: FakeBullhorn.Entity, fields selection: String?, full: Bool, required: Set<String>
    ) -> FakeBullhornAnswer {
        let known = fields(of: entity)
        let names: [String]
        if let selection, selection != "*" {
            names = selection.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if let unknown = names.first(where: { known[$0] == nil }) { return .invalidField(unknown, of: entity) }
        } else {
            names = known.keys.sorted()
        }
        let described: [FakeBullhorn.Value] = names.compactMap { known[$0] }.map { field in
            var shape: [String: FakeBullhorn.Value] = [
                "name": .string(field.name), "type": .string(field.kind.metaType),
                "dataType": .string(field.kind.dataType), "label": .string(field.name),
            ]
            if case .text(let maxLength?) = field.kind { shape["maxLength"] = .int(maxLength) }
            if case .toOne(let target) = field.kind { shape["associatedEntity"] = ["entity": .string(target)] }
            if !field.options.isEmpty {
                shape["options"] = .array(field.options.map { ["value": .string($0), "label": .string($0)] })
            }
            if full {
                shape["required"] = .bool(required.contains(field.name))
                shape["readOnly"] = .bool(field.readOnly)
                shape["optional"] = .bool(!required.contains(field.name))
            }
            return .object(shape)
        }
        return .json(["entity": .string(entity.rawValue), "label": .string(entity.rawValue), "fields": .array(described)])
    }
}
