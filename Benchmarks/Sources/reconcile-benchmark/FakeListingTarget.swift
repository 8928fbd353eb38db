import AtsgateCore

/// An in-process ATS that lists the planted data set's remote jobs, generating each page when
/// it is asked for: nothing is held between pages, so the listing costs one page of memory.
///
/// The listing walks the local job indices in order and emits what the target holds for each
/// (nothing, one remote job, or two for a duplicate or a ghost), then fills up to `remoteTotal`
/// with jobs that are not ours (no marker, or another organisation's). A page token is the
/// position to continue from: a job index below `jobs`, a filler number above.
struct FakeListingTarget: Connector {
    let target: TargetName
    let capabilities: ConnectorCapabilities = .ats
    let dataset: PlantedDataset
    let pageSize: Int
    /// Remote jobs the target holds for the local jobs (without the filler).
    let derivedCount: Int
    /// Remote jobs that are not ours, listed after the others to reach `remoteTotal`.
    let fillerCount: Int
    /// The field sets of jobs the target holds as sent, built once (``PlantedDataset/distinctFieldSets``):
    /// `ComparableFields.init` normalizes every value, which costs more than the whole diff of a job.
    private let sharedFields: [ComparableFields]

    init(target: TargetName, dataset: PlantedDataset, pageSize: Int, remoteTotal: Int) {
        self.target = target
        self.dataset = dataset
        self.pageSize = pageSize
        let derived = (0..<dataset.jobs).reduce(0) { $0 + Self.remoteCount(of: dataset.kind(of: $1)) }
        self.derivedCount = derived
        self.fillerCount = max(0, remoteTotal - derived)
        self.sharedFields = (0..<PlantedDataset.distinctFieldSets).map { PlantedDataset.remoteFields($0, kind: .inSync) }
    }

    /// What the target holds for the job: an edited copy for the drift kinds, else the field set as sent.
    func fields(_ index: Int, kind: PlantedDataset.Kind) -> ComparableFields {
        switch kind {
        case .driftTitle, .driftSalary: PlantedDataset.remoteFields(index, kind: kind)
        default: sharedFields[index % sharedFields.count]
        }
    }

    var remoteTotal: Int { derivedCount + fillerCount }

    static func remoteCount(of kind: PlantedDataset.Kind) -> Int {
        switch kind {
        case .unsynced, .missing: 0
        case .duplicateAfter, .duplicateBefore, .orphanGhost: 2
        default: 1
        }
    }

    func submit(_ request: SubmissionRequest) async throws(ConnectorError) -> SubmissionReceipt {
        throw .unsupported("deliveries (the benchmark's target only lists)", target: target)
    }

    func listJobs(page: RemotePageToken?) async throws(ConnectorError) -> RemoteJobPage {
        var position = 0
        if let page {
            guard let start = Int(page.value) else { throw .rejected("bad page token '\(page.value)'") }
            position = start
        }
        let end = dataset.jobs + fillerCount
        var jobs: [RemoteJob] = []
        jobs.reserveCapacity(pageSize + 1)
        while jobs.count < pageSize, position < end {
            if position < dataset.jobs {
                appendRemoteJobs(of: position, to: &jobs)
            } else {
                jobs.append(filler(position - dataset.jobs))
            }
            position += 1
        }
        return RemoteJobPage(jobs: jobs, next: position < end ? RemotePageToken(String(position)) : nil)
    }

    /// The fake mapping: title and salary as the job holds them.
    func comparableFields(of snapshot: JobSnapshot) throws(ConnectorError) -> ComparableFields {
        PlantedDataset.mappedFields(
            title: snapshot.job.title,
            salaryMax: snapshot.job.salary?.maximum.map { "\($0)" } ?? "",
            currency: snapshot.job.salary?.currency ?? ""
        )
    }

    // MARK: - Generating remote jobs

    private func marker(_ job: String, organisation: OrganisationID = PlantedDataset.organisation) -> JobMarker {
        JobMarker(organisationID: organisation, jobID: JobID(job))
    }

    private func appendRemoteJobs(of index: Int, to jobs: inout [RemoteJob]) {
        let kind = dataset.kind(of: index)
        let job = PlantedDataset.jobID(index)
        let fields = fields(index, kind: kind)
        let remote = { (isOpen: Bool) in
            RemoteJob(remoteID: PlantedDataset.remoteID(index), marker: marker(job), isOpen: isOpen, fields: fields)
        }
        let duplicate = RemoteJob(remoteID: "D\(index)", marker: marker(job), isOpen: true, fields: fields)
        switch kind {
        case .unsynced, .missing:
            break
        case .duplicateAfter:
            jobs.append(remote(true))
            jobs.append(duplicate)
        case .duplicateBefore:
            jobs.append(duplicate)
            jobs.append(remote(true))
        case .orphanGhost:
            jobs.append(remote(true))
            jobs.append(RemoteJob(remoteID: "G\(index)", marker: marker(PlantedDataset.ghostJobID(index)), isOpen: true, fields: fields))
        case .openHereClosedThere, .unqualifiedClosedThere:
            jobs.append(remote(false))
        default:
            jobs.append(remote(true))
        }
    }

    /// A remote job that is not ours: every other one without a marker, the rest with another organisation's.
    private func filler(_ number: Int) -> RemoteJob {
        let fields = sharedFields[number % sharedFields.count]
        return number % 2 == 0
            ? RemoteJob(remoteID: "X\(number)", marker: nil, isOpen: true, fields: fields)
            : RemoteJob(remoteID: "Y\(number)", marker: marker(PlantedDataset.jobID(number), organisation: PlantedDataset.otherOrganisation), isOpen: true, fields: fields)
    }
}
