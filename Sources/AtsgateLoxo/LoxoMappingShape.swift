import AtsgateCore

/// What the Loxo connector needs from its mapping beyond plain fields, checked when the
/// connector is built so a worker never starts with a mapping that cannot close or find jobs.
struct LoxoMappingShape: Sendable {
    /// The job field fed by `marker` (an agency custom field such as `custom_text_1`).
    var markerField: String
    /// The Loxo status ids the `job_status_id` table gives open jobs.
    var openStatusIDs: Set<Int>
    /// The job fields reconciliation compares: all but `compare: false`, the marker and the status
    /// (an open/closed difference is a status mismatch, not drift).
    var comparedFields: [String]

    init(_ mapping: TargetMapping) throws(ConnectorError) {
        guard let job = mapping["job"] else {
            throw .config(setting: "job", reason: "the mapping has no 'job' entity")
        }
        for entity in ["company", "contact"] where mapping[entity] == nil {
            throw .config(setting: entity, reason: "the mapping has no '\(entity)' entity (Loxo needs the job's company and hiring contacts)")
        }
        let markerField = job.fields.first { field in
            if case .path(let path) = field.source { return path.root == .marker }
            return false
        }
        guard let markerField else {
            throw .config(
                setting: "job",
                reason: "needs a field fed by 'marker' (an agency custom field such as custom_text_1): Loxo jobs have no external id, and atsgate finds a job it may have created by this field"
            )
        }
        guard let status = job.fields.first(where: { $0.name == "job_status_id" }), let table = status.table,
              let open = table["open"]?.text.flatMap(Int.init)
        else {
            throw .config(
                setting: "job.job_status_id",
                reason: "needs a table from job.status to Loxo status ids with at least 'open' (GET /job_statuses), so jobs can be closed and listed"
            )
        }
        self.markerField = markerField.name
        self.openStatusIDs = [open]
        self.comparedFields = job.fields.filter { $0.isCompared && $0.name != markerField.name && $0.name != status.name }.map(\.name)
    }
}
