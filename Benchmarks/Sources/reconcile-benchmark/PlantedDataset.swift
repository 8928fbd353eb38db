import AtsgateCore

/// The planted world: what each local job is, what the fake target lists for it, and which
/// findings a correct run must report — all computed from the job's index, so neither the
/// database writer nor the fake target holds the data set in memory.
///
/// Jobs are numbered `0..<jobs`. Every `stride`-th job (`stride = jobs / planted`) is planted in a
/// slot: slot 1 is `unsynced`, slot 2 `missing_remote`, and so on (see ``kind(of:)``); the two
/// variants of a slot alternate from one stride block to the next. Every other job is in sync.
struct PlantedDataset: Sendable {
    static let organisation: OrganisationID = "org-bench"
    static let otherOrganisation: OrganisationID = "org-other"
    static let companyCount = 1_000

    /// What a local job is planted as.
    enum Kind: CaseIterable, Sendable {
        case inSync
        /// Qualified and open, no outbox row, nothing at the target.
        case unsynced
        /// Sent as `R<i>`, which the target does not list.
        case missing
        /// A create waiting for its retry (its answer was lost); the target lists `R<i>` with the marker.
        case unlinkedPending
        /// Sent, but the row points at `OLD<i>`; the target lists `R<i>` with the marker (a merge).
        case unlinkedOtherID
        /// In sync; the target lists `R<i>`, then `D<i>` with the same marker.
        case duplicateAfter
        /// In sync; the target lists `D<i>` first, then `R<i>`.
        case duplicateBefore
        /// Never qualified, no row; the target lists `R<i>` open with its marker.
        case orphanUnqualified
        /// In sync; the target also lists `G<i>` carrying the marker of job `ghost-<i>`, which does not exist.
        case orphanGhost
        /// Closed here after it was sent; open at the target.
        case closedHereOpenThere
        /// Open here; closed at the target.
        case openHereClosedThere
        /// The target's title was edited.
        case driftTitle
        /// The target's salary was edited.
        case driftSalary
        /// Decoy: the stored digest is stale, but the target holds what the mapping makes: a drift candidate, no finding.
        case staleDigest
        /// Decoy: the job is at version 2, the row was sent at 1 with the same fields: a drift candidate, no finding.
        case newerVersion
        /// Decoy: a create in flight whose job the target already lists: no finding.
        case inFlightCreate
        /// Decoy: never qualified, no row; the target lists it closed: no finding.
        case unqualifiedClosedThere

        /// The finding a correct run reports for this job, if any.
        var category: ReconcileCategory? {
            switch self {
            case .inSync, .staleDigest, .newerVersion, .inFlightCreate, .unqualifiedClosedThere: nil
            case .unsynced: .unsynced
            case .missing: .missingRemote
            case .unlinkedPending, .unlinkedOtherID: .unlinkedRemote
            case .duplicateAfter, .duplicateBefore: .duplicateRemote
            case .orphanUnqualified, .orphanGhost: .orphanRemote
            case .closedHereOpenThere, .openHereClosedThere: .statusMismatch
            case .driftTitle, .driftSalary: .drift
            }
        }
    }

    /// One finding as the check compares it.
    struct ExpectedFinding: Hashable, Sendable, CustomStringConvertible {
        var category: ReconcileCategory
        var jobID: String?
        var remoteID: String?
        /// For drift: the differing fields.
        var fields: [String]

        var description: String {
            "\(category.rawValue) job=\(jobID ?? "-") remote=\(remoteID ?? "-")\(fields.isEmpty ? "" : " fields=\(fields.joined(separator: ","))")"
        }
    }

    let jobs: Int
    let planted: Int

    var stride: Int { jobs / planted }

    init(jobs: Int, planted: Int) {
        self.jobs = jobs
        self.planted = planted
    }

    func kind(of index: Int) -> Kind {
        let firstVariant = (index / stride) % 2 == 0
        switch index % stride {
        case 1: return .unsynced
        case 2: return .missing
        case 3: return firstVariant ? .unlinkedPending : .unlinkedOtherID
        case 4: return firstVariant ? .duplicateAfter : .duplicateBefore
        case 5: return firstVariant ? .orphanUnqualified : .orphanGhost
        case 6: return firstVariant ? .closedHereOpenThere : .openHereClosedThere
        case 7: return firstVariant ? .driftTitle : .driftSalary
        case 8: return firstVariant ? .staleDigest : .newerVersion
        case 9: return firstVariant ? .inFlightCreate : .unqualifiedClosedThere
        default: return .inSync
        }
    }

    // MARK: - Names and fields

    static func jobID(_ index: Int) -> String { "job-" + zeroPadded(index, width: 7) }
    static func ghostJobID(_ index: Int) -> String { "ghost-" + zeroPadded(index, width: 7) }
    static func companyID(_ index: Int) -> String { "cmp-\(index % companyCount)" }
    static func remoteID(_ index: Int) -> String { "R\(index)" }

    /// Jobs share 1,000 titles (and 50 salaries, so 1,000 field sets): the fake target builds
    /// each field set once, and listing costs little next to the diff.
    static let distinctFieldSets = 1_000

    static func title(_ index: Int) -> String { "Engineer \(index % distinctFieldSets)" }
    static func salaryMax(_ index: Int) -> Int { 60_000 + (index % 50) * 1_000 }

    /// The fields as the target reports them: money with cents (`61000.00`), normalized by ComparableFields.
    static func remoteFields(_ index: Int, kind: Kind) -> ComparableFields {
        var title = title(index)
        var salary = salaryMax(index)
        if kind == .driftTitle { title += " (edited at the target)" }
        if kind == .driftSalary { salary += 5_000 }
        return ComparableFields(["title": title, "salary_max": "\(salary).00", "currency": "EUR"])
    }

    /// What the fake connector's mapping makes of the job (`comparableFields(of:)`), as it left atsgate.
    static func mappedFields(title: String, salaryMax: String, currency: String) -> ComparableFields {
        ComparableFields(["title": title, "salary_max": salaryMax, "currency": currency])
    }

    /// The digest stored on the job's row at its last delivery.
    static func sentDigest(_ index: Int, kind: Kind) -> String {
        let title = kind == .staleDigest ? title(index) + " (before an edit)" : title(index)
        return mappedFields(title: title, salaryMax: "\(salaryMax(index))", currency: "EUR").digest
    }

    static func zeroPadded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    // MARK: - What a correct run finds

    /// Every finding a correct, complete run reports.
    func expectedFindings() -> Set<ExpectedFinding> {
        var expected = Set<ExpectedFinding>()
        for index in 0..<jobs {
            let kind = kind(of: index)
            guard let category = kind.category else { continue }
            let job = Self.jobID(index)
            let remote = Self.remoteID(index)
            switch kind {
            case .unsynced: expected.insert(.init(category: category, jobID: job, remoteID: nil, fields: []))
            case .duplicateAfter, .duplicateBefore: expected.insert(.init(category: category, jobID: job, remoteID: "D\(index)", fields: []))
            case .orphanGhost: expected.insert(.init(category: category, jobID: Self.ghostJobID(index), remoteID: "G\(index)", fields: []))
            case .driftTitle: expected.insert(.init(category: category, jobID: job, remoteID: remote, fields: ["title"]))
            case .driftSalary: expected.insert(.init(category: category, jobID: job, remoteID: remote, fields: ["salary_max"]))
            default: expected.insert(.init(category: category, jobID: job, remoteID: remote, fields: []))
            }
        }
        return expected
    }

    /// How many jobs of each kind the data set holds.
    func kindCounts() -> [Kind: Int] {
        var counts: [Kind: Int] = [:]
        for index in 0..<jobs { counts[kind(of: index), default: 0] += 1 }
        return counts
    }

    /// Jobs the local index holds: qualified, or with a (not cancelled) row.
    func localIndexCount() -> Int {
        (0..<jobs).reduce(0) { count, index in
            switch kind(of: index) {
            case .orphanUnqualified, .unqualifiedClosedThere: count
            default: count + 1
            }
        }
    }
}
