import AtsgateCore
import AtsgateHTTP

/// A JobOrder as Bullhorn returns it (ATS_APIS.md B3, B4): scalars, to-one associations as
/// `{"id": …}`, timestamps in epoch milliseconds, and our marker in `externalID`.
struct BullhornJobOrder: Sendable {
    var id: String
    var fields: [String: JSONValue]

    init?(_ json: JSONValue) {
        guard let fields = json.object, let id = fields["id"]?.text, !id.isEmpty else { return nil }
        self.id = id
        self.fields = fields
    }

    var externalID: String? { fields[BullhornMappingShape.markerField]?.text }
    var isDeleted: Bool { fields["isDeleted"]?.bool ?? false }
    var isOpen: Bool { fields["isOpen"]?.bool ?? false }

    /// A field as reconciliation and updates compare it: to-one associations by id, `null` as empty.
    func comparableText(_ name: String) -> String {
        guard let value = fields[name] else { return "" }
        return value.object != nil ? (value["id"]?.text ?? "") : (value.text ?? "")
    }

    func remoteJob(comparedFields: [String]) -> RemoteJob {
        var compared = ComparableFields()
        for name in comparedFields { compared[name] = comparableText(name) }
        return RemoteJob(remoteID: id, marker: externalID.flatMap(JobMarker.init(parsing:)), isOpen: isOpen, fields: compared)
    }

    /// Whether Bullhorn's value differs from the one we would send, compared as reconciliation does.
    func differs(_ name: String, from mapped: MappedValue) -> Bool {
        let ours: String
        if case .object(let association) = mapped {
            ours = association["id"]?.text ?? ""
        } else {
            ours = mapped.text ?? ""
        }
        return ComparableFields.normalized(ours) != ComparableFields.normalized(comparableText(name))
    }

    /// The records of an `entity` answer: `{"data": {…}}` for one id, `{"data": […]}` for several.
    static func records(in answer: JSONValue) -> (records: [BullhornJobOrder], unreadable: Int) {
        let data = answer["data"]
        let items = data?.array ?? data.map { [$0] } ?? []
        let records = items.compactMap(BullhornJobOrder.init)
        return (records, items.count - records.count)
    }
}

/// One page of `search/JobOrder` (B4, B5): `{"total", "start", "count", "data": […]}`.
struct BullhornSearchPage: Sendable {
    var records: [BullhornJobOrder]
    var total: Int
    var start: Int
    var count: Int
    /// Results without an id: a listing with any is not trustworthy.
    var unreadable: Int

    init?(_ answer: JSONValue) {
        guard let data = answer["data"]?.array else { return nil }
        records = data.compactMap(BullhornJobOrder.init)
        unreadable = data.count - records.count
        total = answer["total"]?.int ?? data.count
        start = answer["start"]?.int ?? 0
        count = answer["count"]?.int ?? data.count
    }

    /// The ids of a search's hits, for the entities whose searches name only `id` and `externalID`.
    static func hits(_ answer: JSONValue, externalID: String) -> [String] {
        (answer["data"]?.array ?? [])
            .filter { $0[BullhornMappingShape.markerField]?.text == externalID }
            .compactMap { $0["id"]?.text }
            .sorted { ($0.count, $0) < ($1.count, $1) }
    }
}
