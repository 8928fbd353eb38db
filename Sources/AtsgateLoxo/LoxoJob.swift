import AtsgateCore
import AtsgateHTTP

/// A job as Loxo returns it (ATS_APIS.md A4): `status`, `job_type` and `company` as `{id, name}`
/// objects, money as strings, hiring contacts with their `person_id`.
struct LoxoJob: Sendable {
    var id: String
    var fields: [String: JSONValue]

    var statusID: Int? { fields["status"]?["id"]?.int ?? fields["job_status_id"]?.int }

    /// The people attached as hiring contacts; `nil` when the answer did not include them.
    var contactPersonIDs: Set<String>? {
        fields["contacts"]?.array.map { Set($0.compactMap { $0["person_id"]?.text }) }
    }

    /// Scalars as text; `{id, name}` objects as their id under the write name (`status` → `job_status_id`).
    var flattenedFields: [String: String] {
        var flat: [String: String] = [:]
        for (name, value) in fields {
            if let text = value.text {
                flat[name] = text
            } else if let id = value["id"]?.text {
                flat[Self.writeName(of: name)] = id
            }
        }
        return flat
    }

    func remoteJob(markerField: String, openStatusIDs: Set<Int>, comparedFields: [String]) -> RemoteJob {
        let flat = flattenedFields
        var compared = ComparableFields()
        for name in comparedFields { compared[name] = flat[name] ?? "" }
        return RemoteJob(
            remoteID: id,
            marker: fields[markerField]?.text.flatMap(JobMarker.init(parsing:)),
            isOpen: statusID.map(openStatusIDs.contains) ?? false,
            fields: compared
        )
    }

    static func writeName(of readName: String) -> String {
        switch readName {
        case "status": "job_status_id"
        default: "\(readName)_id"
        }
    }
}

extension LoxoJob {
    /// `{"job": {…}}` or the job at the top level (both are seen); `nil` without a usable id.
    init?(answer: JSONValue) {
        let job = answer["job"]?.object ?? answer.object
        guard let job, let id = job["id"]?.text, !id.isEmpty else { return nil }
        self.init(id: id, fields: job)
    }
}

/// One page of `GET /jobs` (A5): the cursor at the top level, or nested under `pagination`.
struct LoxoJobPage: Sendable {
    var jobs: [LoxoJob]
    var totalCount: Int
    var totalPages: Int
    /// Results without an id: a listing with any is not trustworthy.
    var unreadable: Int

    init?(answer: JSONValue) {
        guard let results = answer["results"]?.array else { return nil }
        let cursor = answer["pagination"] ?? answer
        jobs = results.compactMap { LoxoJob(answer: $0) }
        unreadable = results.count - jobs.count
        totalCount = cursor["total_count"]?.int ?? results.count
        totalPages = cursor["total_pages"]?.int ?? 1
    }
}
