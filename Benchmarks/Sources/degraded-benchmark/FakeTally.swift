import AtsgateTesting

/// What the fake Loxo received and holds at the end of a phase.
struct FakeTally: Sendable {
    var requests: Int
    var writes: Int
    /// Requests per kind, ids replaced: `POST /jobs/{id}/contacts`.
    var byKind: [String: Int]
    var jobs: Int
    /// Markers carried by more than one job: each is a job delivered twice.
    var duplicateMarkers: Int
    /// Company names and people emails created more than once.
    var duplicateCompanies: Int
    var duplicatePeople: Int
    /// Jobs of ours whose hiring contacts are not all attached.
    var jobsMissingContacts: Int
    /// Of the phase's markers, how many no job carries.
    var missingMarkers: Int

    var duplicates: Int { duplicateMarkers + duplicateCompanies + duplicatePeople }

    init(fake: FakeLoxo, dataset: DegradedDataset) {
        let requests = fake.requests
        self.requests = requests.count
        writes = requests.filter { $0.method == "POST" || $0.method == "PUT" }.count
        byKind = Dictionary(grouping: requests) { "\($0.method) \(Self.kind(of: $0.path))" }.mapValues(\.count)
        let jobs = fake.jobs
        self.jobs = jobs.count
        let markers = jobs.compactMap { $0.fields["custom_text_1"] }
        duplicateMarkers = Self.surplus(markers)
        duplicateCompanies = Self.surplus(fake.companies.compactMap { $0.fields["name"]?.lowercased() })
        duplicatePeople = Self.surplus(fake.people.compactMap { $0.fields["email"]?.lowercased() })
        let contactsPerJob = DegradedDataset.contactsPerJob
        jobsMissingContacts = jobs.filter { Set($0.contacts).count < contactsPerJob }.count
        let present = Set(markers)
        missingMarkers = (1...dataset.jobs).filter { !present.contains(DegradedDataset.marker($0)) }.count
    }

    /// The path after the agency slug, with numeric ids replaced by `{id}`.
    static func kind(of path: String) -> String {
        let segments = path.split(separator: "/").dropFirst(2)
        return "/" + segments.map { $0.allSatisfy(\.isNumber) ? "{id}" : String($0) }.joined(separator: "/")
    }

    /// Copies beyond the first, summed over every value.
    private static func surplus(_ values: [String]) -> Int {
        Dictionary(grouping: values) { $0 }.values.reduce(0) { $0 + $1.count - 1 }
    }
}
