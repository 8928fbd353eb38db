import AtsgateCore

/// What the Bullhorn connector needs from its mapping beyond plain fields, checked when the
/// connector is built (so `mappings check` reports it, and a worker never starts with a mapping
/// that cannot find the JobOrders it created).
struct BullhornMappingShape: Sendable {
    static let markerField = "externalID"
    /// Job fields the connector writes itself.
    static let connectorJobFields: Set<String> = ["clientCorporation", "clientContact"]

    /// The JobOrder fields reconciliation compares: all but `compare: false`, the marker and the
    /// open/closed fields (`isOpen`, `status`: a difference there is a status mismatch, not drift).
    var comparedFields: [String]
    /// The JobOrder fields the mapping writes, which an update reads back to compare.
    var jobFields: [String]
    /// Fields written on every update because Bullhorn does not read them back as sent (`compare: false`).
    var uncomparedFields: Set<String>
    /// Whether the mapping writes `isOpen`; if not, the connector does, from the job's status.
    var mapsIsOpen: Bool

    init(_ mapping: TargetMapping) throws(ConnectorError) {
        guard let job = mapping["job"] else {
            throw .config(setting: "job", reason: "the mapping has no 'job' entity (the JobOrder)")
        }
        for (entity, bullhorn) in [("company", "ClientCorporation"), ("contact", "ClientContact")] {
            guard let fields = mapping[entity] else {
                throw .config(setting: entity, reason: "the mapping has no '\(entity)' entity (a JobOrder needs its \(bullhorn))")
            }
            if fields.fields.contains(where: { $0.name == Self.markerField }) {
                throw .config(
                    setting: "\(entity).\(Self.markerField)",
                    reason: "is set by the connector (a key of at most 30 characters derived from the organisation and the CRM id, which it searches before creating a \(bullhorn)); remove it from the mapping"
                )
            }
        }
        let marker = job.fields.first { $0.name == Self.markerField }
        guard let marker, case .path(let path) = marker.source, path.root == .marker else {
            throw .config(
                setting: "job.\(Self.markerField)",
                reason: "must be fed by the marker ({ from: marker }): Bullhorn has no idempotency key, and atsgate finds a JobOrder it may have created by its externalID"
            )
        }
        if let taken = job.fields.first(where: { Self.connectorJobFields.contains($0.name) }) {
            throw .config(setting: "job.\(taken.name)", reason: "is set by the connector (the ClientCorporation and ClientContact it finds or creates); remove it from the mapping")
        }
        let statusFields: Set<String> = ["isOpen", "status"]
        jobFields = job.fields.map(\.name)
        comparedFields = job.fields
            .filter { $0.isCompared && $0.name != Self.markerField && !statusFields.contains($0.name) }
            .map(\.name)
        uncomparedFields = Set(job.fields.filter { !$0.isCompared }.map(\.name))
        mapsIsOpen = job.fields.contains { $0.name == "isOpen" }
    }
}
