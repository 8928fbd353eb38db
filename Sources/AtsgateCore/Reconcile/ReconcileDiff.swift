/// Compares one target's listing with the local jobs of one organisation, streaming: remote jobs
/// are looked at one at a time and forgotten, only the local index stays in memory.
///
/// A remote job is matched by its marker. Findings that show something *present* at the target
/// (orphans, duplicates, unlinked ids, status mismatches, drift) are reported as the listing
/// goes; findings that claim something is *absent* (missing, unsynced) only at the end, and only
/// when the listing was complete.
///
/// The index is compact (a million jobs fit in about 120 MB): job id → position in an array of
/// small entries, the stored digest kept as a number.
public struct ReconcileDiff: Sendable {
    public enum Observation: Hashable, Sendable {
        case finding(ReconcileFinding)
        /// The target's fields may differ from the local job's: the caller maps the job and compares.
        case driftCandidate(JobID, RemoteJob)
        /// An `unlinked_remote` finding; the caller compares the remote job with the local one, so
        /// adopting it also brings it up to date.
        case unlinked(ReconcileFinding, RemoteJob)
    }

    public struct Counts: Hashable, Sendable {
        public var remoteListed = 0
        /// Remote jobs without our marker, or with another organisation's.
        public var remoteNotOurs = 0
        public var localCompared = 0
    }

    /// A remote job carrying our marker for a job the index does not hold: either a job that does
    /// not exist here, or one that was never qualified nor sent. Only the store can tell.
    public struct UnknownMarker: Hashable, Sendable {
        public var jobID: JobID
        public var remoteID: String
        public var isOpen: Bool
    }

    private struct Entry: Sendable {
        var externalID: String?
        var sentDigest: UInt64?
        var version: Int32
        var sentVersion: Int32?
        var status: OutboxStatus?
        var operation: SubmissionOperation
        var isQualified: Bool
        var isOpen: Bool
        var linkedSeen = false

        init(_ state: LocalJobState) {
            externalID = state.row?.externalID
            // A digest that is not ours (not hex) never matches: the job is mapped again.
            sentDigest = state.row?.sentDigest.flatMap { UInt64($0, radix: 16) }
            version = Int32(clamping: state.version)
            sentVersion = state.row?.sentVersion.map { Int32(clamping: $0) }
            status = state.row?.status
            operation = state.row?.operation ?? .create
            isQualified = state.isQualified
            isOpen = state.isOpen
        }

        var hasRow: Bool { status != nil }
        /// Whether the target should hold the job open.
        var shouldBeOpenRemotely: Bool { isQualified && isOpen }
    }

    public let organisationID: OrganisationID
    private var index: [JobID: Int32] = [:]
    private var entries: ContiguousArray<Entry> = []
    /// Remote jobs carrying a marker whose row does not point at them (usually none).
    private var extras: [JobID: [RemoteJob]] = [:]
    public private(set) var unknownMarkers: [UnknownMarker] = []
    public private(set) var counts = Counts()

    public init(organisationID: OrganisationID) {
        self.organisationID = organisationID
    }

    /// Reserving before ``addLocal(_:)`` keeps the index from growing by doubling, which holds
    /// the old and the new table at once.
    public mutating func reserveLocalCapacity(_ count: Int) {
        index.reserveCapacity(count)
        entries.reserveCapacity(count)
    }

    public mutating func addLocal(_ state: LocalJobState) {
        let entry = Entry(state)
        if let position = index.updateValue(Int32(entries.count), forKey: state.jobID) {
            index[state.jobID] = position
            entries[Int(position)] = entry
        } else {
            entries.append(entry)
            counts.localCompared += 1
        }
    }

    public mutating func compare(_ remote: RemoteJob) -> Observation? {
        counts.remoteListed += 1
        guard let marker = remote.marker, marker.organisationID == organisationID else {
            counts.remoteNotOurs += 1
            return nil
        }
        guard let position = index[marker.jobID].map(Int.init) else {
            unknownMarkers.append(UnknownMarker(jobID: marker.jobID, remoteID: remote.remoteID, isOpen: remote.isOpen))
            return nil
        }
        let entry = entries[position]
        guard entry.hasRow, let linked = entry.externalID, linked == remote.remoteID else {
            if !entry.hasRow, !entry.isQualified {
                return remote.isOpen ? .finding(Self.unqualifiedOrphan(marker.jobID, remote.remoteID)) : nil
            }
            extras[marker.jobID, default: []].append(remote)
            return nil
        }
        entries[position].linkedSeen = true
        // A row with work queued or in flight will change the remote job anyway; a failed one waits for an operator.
        guard entry.status == .sent else { return nil }
        if entry.shouldBeOpenRemotely != remote.isOpen {
            return .finding(ReconcileFinding(
                category: .statusMismatch, jobID: marker.jobID, remoteID: remote.remoteID,
                detail: entry.shouldBeOpenRemotely ? "open here, closed at the target" : "closed here (or not qualified), open at the target",
                repair: entry.shouldBeOpenRemotely ? .enqueueUpdate : .enqueueClose
            ))
        }
        guard remote.isOpen, !remote.fields.isEmpty else { return nil }
        if entry.sentVersion == entry.version, let sent = entry.sentDigest, sent == remote.fields.digestValue { return nil }
        return .driftCandidate(marker.jobID, remote)
    }

    /// The orphans among ``unknownMarkers``, once the store has said which of their jobs exist
    /// here (none of them is qualified or has a row, or the index would hold it): a job that
    /// exists is an orphan only while it is open at the target.
    public func orphans(existing: Set<JobID>) -> [Observation] {
        unknownMarkers.compactMap { marker in
            if existing.contains(marker.jobID) {
                return marker.isOpen ? .finding(Self.unqualifiedOrphan(marker.jobID, marker.remoteID)) : nil
            }
            return .finding(ReconcileFinding(
                category: .orphanRemote, jobID: marker.jobID, remoteID: marker.remoteID,
                detail: "the target's job carries the marker of job \(marker.jobID), which does not exist here"
            ))
        }
    }

    /// What is left once the listing has ended: duplicates and unlinked ids found along the way,
    /// and — only after a complete listing — what the target should have but does not.
    /// (Never a drift candidate; orphans come from ``orphans(existing:)``.)
    public func remainingFindings(listingComplete: Bool) -> [Observation] {
        var findings: [Observation] = []
        for (jobID, found) in extras {
            guard let position = index[jobID] else { continue }
            let entry = entries[Int(position)]
            var carriers = found
            if !entry.linkedSeen, let first = carriers.first {
                carriers.removeFirst()
                // An in-flight create's worker is about to find (or has just made) this job: not ours to adopt.
                if entry.status != .inFlight {
                    findings.append(.unlinked(ReconcileFinding(
                        category: .unlinkedRemote, jobID: jobID, remoteID: first.remoteID,
                        detail: entry.externalID.map { "the target's job \(first.remoteID) carries the marker; the row points at \($0), which the target no longer lists" }
                            ?? "the target's job \(first.remoteID) carries the marker; the row has no remote id",
                        repair: .adopt
                    ), first))
                }
            }
            for carrier in carriers {
                findings.append(.finding(ReconcileFinding(
                    category: .duplicateRemote, jobID: jobID, remoteID: carrier.remoteID,
                    detail: "another remote job carries the same marker (ours: \(entry.externalID ?? found[0].remoteID))"
                )))
            }
        }
        guard listingComplete else { return findings }
        for (jobID, position) in index {
            let entry = entries[Int(position)]
            guard !entry.linkedSeen, entry.shouldBeOpenRemotely, extras[jobID] == nil else { continue }
            if let linked = entry.externalID {
                guard entry.status != .inFlight, !(entry.status == .pending && entry.operation == .create) else { continue }
                findings.append(.finding(ReconcileFinding(
                    category: .missingRemote, jobID: jobID, remoteID: linked,
                    detail: "linked to remote job \(linked), which the target no longer lists (deleted or merged?)", repair: .enqueueCreate
                )))
            } else if !entry.hasRow {
                findings.append(.finding(ReconcileFinding(
                    category: .unsynced, jobID: jobID, remoteID: nil,
                    detail: "qualified and open here, not at the target, and no outbox row delivers it", repair: .enqueueCreate
                )))
            }
        }
        return findings
    }

    private static func unqualifiedOrphan(_ jobID: JobID, _ remoteID: String) -> ReconcileFinding {
        ReconcileFinding(
            category: .orphanRemote, jobID: jobID, remoteID: remoteID,
            detail: "open at the target, but job \(jobID) is not qualified and atsgate never sent it"
        )
    }
}
