import AtsgateCore
import Testing

/// The diff on its own: every category planted once, found once, nothing invented.
@Suite("Reconcile diff")
struct ReconcileDiffTests {
    static let organisation: OrganisationID = "org-a"

    func marker(_ job: JobID, organisation: OrganisationID = organisation) -> JobMarker {
        JobMarker(organisationID: organisation, jobID: job)
    }

    func sent(_ id: Int64, _ remote: String, digest: String? = nil) -> LocalJobState.Row {
        LocalJobState.Row(id: id, status: .sent, operation: .create, externalID: remote, sentVersion: 1, sentDigest: digest)
    }

    static let title = ComparableFields(["title": "Backend Engineer"])

    /// The planted world: each local job and remote job exists to produce exactly one finding (or none).
    func planted() -> (ReconcileDiff, [RemoteJob]) {
        var diff = ReconcileDiff(organisationID: Self.organisation)
        let open = { (job: JobID, row: LocalJobState.Row?) in LocalJobState(jobID: job, isQualified: true, isOpen: true, version: 1, row: row) }
        diff.addLocal(open("in-sync", sent(1, "R1", digest: Self.title.digest)))
        diff.addLocal(open("gone", sent(2, "R2")))
        diff.addLocal(open("never-sent", nil))
        diff.addLocal(open("lost-answer", LocalJobState.Row(id: 4, status: .pending, operation: .create, externalID: nil, sentVersion: nil, sentDigest: nil)))
        diff.addLocal(open("twice", sent(5, "R5", digest: Self.title.digest)))
        diff.addLocal(LocalJobState(jobID: "closed-here", isQualified: true, isOpen: false, version: 1, row: sent(6, "R6")))
        diff.addLocal(open("edited-there", sent(7, "R7", digest: Self.title.digest)))
        diff.addLocal(open("creating", LocalJobState.Row(id: 10, status: .inFlight, operation: .create, externalID: nil, sentVersion: nil, sentDigest: nil)))
        diff.addLocal(open("queued", nil).with(row: LocalJobState.Row(id: 11, status: .pending, operation: .create, externalID: nil, sentVersion: nil, sentDigest: nil)))
        let remote = [
            RemoteJob(remoteID: "R1", marker: marker("in-sync"), isOpen: true, fields: Self.title),
            RemoteJob(remoteID: "R4", marker: marker("lost-answer"), isOpen: true, fields: Self.title),
            RemoteJob(remoteID: "R5", marker: marker("twice"), isOpen: true, fields: Self.title),
            RemoteJob(remoteID: "R5b", marker: marker("twice"), isOpen: true, fields: Self.title),
            RemoteJob(remoteID: "R6", marker: marker("closed-here"), isOpen: true, fields: Self.title),
            RemoteJob(remoteID: "R7", marker: marker("edited-there"), isOpen: true, fields: ComparableFields(["title": "Backend Engineer (m/f/d)"])),
            RemoteJob(remoteID: "R9", marker: marker("nobody"), isOpen: true),
            RemoteJob(remoteID: "R10", marker: marker("creating"), isOpen: true),
            RemoteJob(remoteID: "X1", marker: marker("in-sync", organisation: "org-b"), isOpen: true),
            RemoteJob(remoteID: "X2", marker: nil, isOpen: true),
        ]
        return (diff, remote)
    }

    func run(complete: Bool) -> (findings: [ReconcileFinding], drift: [JobID], counts: ReconcileDiff.Counts) {
        var (diff, remote) = planted()
        var findings: [ReconcileFinding] = []
        var drift: [JobID] = []
        func take(_ observation: ReconcileDiff.Observation?) {
            switch observation {
            case .finding(let finding), .unlinked(let finding, _): findings.append(finding)
            case .driftCandidate(let job, _): drift.append(job)
            case nil: break
            }
        }
        for job in remote { take(diff.compare(job)) }
        diff.remainingFindings(listingComplete: complete).forEach(take)
        diff.orphans(existing: []).forEach(take)
        return (findings, drift, diff.counts)
    }

    @Test("Every planted difference is found once, with its repair; nothing else is reported")
    func everyCategory() {
        let (findings, drift, counts) = run(complete: true)
        let found = Set(findings.map { "\($0.category.rawValue) \($0.jobID?.rawValue ?? "-") \($0.remoteID ?? "-") \($0.repair?.rawValue ?? "report")" })
        #expect(found == [
            "missing_remote gone R2 enqueue_create",
            "unsynced never-sent - enqueue_create",
            "unlinked_remote lost-answer R4 adopt",
            "duplicate_remote twice R5b report",
            "status_mismatch closed-here R6 enqueue_close",
            "orphan_remote nobody R9 report",
        ])
        #expect(findings.count == found.count)
        #expect(drift == ["edited-there"])
        #expect(counts.remoteListed == 10)
        #expect(counts.remoteNotOurs == 2)
        #expect(counts.localCompared == 9)
    }

    @Test("A partial listing reports nothing missing or unsynced, but keeps what it saw")
    func partialListing() {
        let (findings, drift, _) = run(complete: false)
        #expect(!findings.contains { $0.category.needsCompleteListing })
        #expect(Set(findings.map(\.category)) == [.unlinkedRemote, .duplicateRemote, .statusMismatch, .orphanRemote])
        #expect(drift == ["edited-there"])
    }

    @Test("A linked id that vanished while another remote job carries the marker is adopted, not missing")
    func relinked() {
        var diff = ReconcileDiff(organisationID: Self.organisation)
        diff.addLocal(LocalJobState(jobID: "merged", isQualified: true, isOpen: true, version: 1, row: sent(1, "OLD")))
        #expect(diff.compare(RemoteJob(remoteID: "NEW", marker: marker("merged"), isOpen: true)) == nil)
        let remaining = diff.remainingFindings(listingComplete: true)
        #expect(remaining.count == 1)
        guard case .unlinked(let finding, let remote) = remaining.first else {
            Issue.record("expected an unlinked_remote finding, got \(remaining)")
            return
        }
        #expect(finding.remoteID == "NEW")
        #expect(remote.remoteID == "NEW")
    }

    @Test("Normalization: trimmed text, numbers in their shortest exact form, anything else untouched", arguments: [
        ("Acme", "Acme"), (" Acme ", "Acme"), ("\u{00A0}Acme\n", "Acme"), ("120000.0", "120000"), ("120000.50", "120000.5"),
        ("007", "7"), ("-0.50", "-0.5"), ("-0", "0"), ("0.000", "0"), ("1.2.3", "1.2.3"), ("1e5", "1e5"), ("12,5", "12,5"),
        ("", ""), ("99999999999999999999.50", "99999999999999999999.5"), ("-", "-"), (".5", ".5"),
    ])
    func normalized(input: String, expected: String) {
        #expect(ComparableFields.normalized(input) == expected)
    }

    @Test("Normalized fields: money and text compare by meaning, and the digest follows")
    func normalization() {
        let remote = ComparableFields(["salary": "120000.0", "title": " Backend Engineer "])
        let local = ComparableFields(["salary": "120000.00", "title": "Backend Engineer"])
        #expect(remote == local)
        #expect(remote.digest == local.digest)
        let changed = ComparableFields(["salary": "125000.00", "title": "Backend Engineer"])
        #expect(changed.differences(from: remote, in: ["salary", "title"]) == ["salary"])
        #expect(changed.digest != remote.digest)
    }
}

extension LocalJobState {
    func with(row: Row) -> LocalJobState {
        var copy = self
        copy.row = row
        return copy
    }
}
