/// Compares one target's listing with the local jobs of one organisation, streaming: remote jobs
/// are looked at one at a time and forgotten, only the local index stays in memory.
///
/// A remote job is matched by its marker. Findings that show something *present* at the target
/// (orphans, duplicates, unlinked ids, status mismatches, drift) are reported as the listing
/// goes; findings that claim something is *absent* (missing, unsynced) only at the end, and only
/// when the listing was complete.
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

    private struct Entry: Sendable {
        var state: LocalJobState
        var linkedSeen = false
    }

    /// A remote job carrying a marker whose row does not point at it.
    private typealias Extra = RemoteJob

    public let organisationID: OrganisationID
    private var locals: [JobID: Entry] = [:]
    private var extras: [JobID: [Extra]] = [:]
    public private(set) var counts = Counts()

    public init(organisationID: OrganisationID) {
        self.organisationID = organisationID
    }

    public mutating func addLocal(_ state: LocalJobState) {
        locals[state.jobID] = Entry(state: state)
        counts.localCompared += 1
    }

    public mutating func reserveLocalCapacity(_ count: Int) {
        locals.reserveCapacity(count)
    }

    public mutating func compare(_ remote: RemoteJob) -> Observation? {
        counts.remoteListed += 1
        guard let marker = remote.marker, marker.organisationID == organisationID else {
            counts.remoteNotOurs += 1
            return nil
        }
        guard let entry = locals[marker.jobID] else {
            return .finding(ReconcileFinding(
                category: .orphanRemote, jobID: marker.jobID, remoteID: remote.remoteID,
                detail: "the target's job carries the marker of job \(marker.jobID), which does not exist here"
            ))
        }
        let state = entry.state
        guard let row = state.row, let linked = row.externalID, linked == remote.remoteID else {
            if state.row == nil, !state.isQualified {
                guard remote.isOpen else { return nil }
                return .finding(ReconcileFinding(
                    category: .orphanRemote, jobID: marker.jobID, remoteID: remote.remoteID,
                    detail: "open at the target, but job \(marker.jobID) is not qualified and atsgate never sent it"
                ))
            }
            extras[marker.jobID, default: []].append(remote)
            return nil
        }
        locals[marker.jobID]?.linkedSeen = true
        // A row with work queued or in flight will change the remote job anyway; a failed one waits for an operator.
        guard row.status == .sent else { return nil }
        if state.shouldBeOpenRemotely != remote.isOpen {
            return .finding(ReconcileFinding(
                category: .statusMismatch, jobID: state.jobID, remoteID: remote.remoteID,
                detail: state.shouldBeOpenRemotely ? "open here, closed at the target" : "closed here (or not qualified), open at the target",
                repair: state.shouldBeOpenRemotely ? .enqueueUpdate : .enqueueClose
            ))
        }
        guard remote.isOpen, !remote.fields.isEmpty else { return nil }
        if row.sentVersion == state.version, let sent = row.sentDigest, sent == remote.fields.digest { return nil }
        return .driftCandidate(state.jobID, remote)
    }

    /// What is left once the listing has ended: duplicates and unlinked ids found along the way,
    /// and — only after a complete listing — what the target should have but does not.
    /// (Never a drift candidate.)
    public func remainingFindings(listingComplete: Bool) -> [Observation] {
        var findings: [Observation] = []
        for (jobID, found) in extras {
            guard let entry = locals[jobID] else { continue }
            var carriers = found
            if !entry.linkedSeen, let first = carriers.first {
                carriers.removeFirst()
                // An in-flight create's worker is about to find (or has just made) this job: not ours to adopt.
                if entry.state.row?.status != .inFlight {
                    let linked = entry.state.row?.externalID
                    findings.append(.unlinked(ReconcileFinding(
                        category: .unlinkedRemote, jobID: jobID, remoteID: first.remoteID,
                        detail: linked.map { "the target's job \(first.remoteID) carries the marker; the row points at \($0), which the target no longer lists" }
                            ?? "the target's job \(first.remoteID) carries the marker; the row has no remote id",
                        repair: .adopt
                    ), first))
                }
            }
            for carrier in carriers {
                findings.append(.finding(ReconcileFinding(
                    category: .duplicateRemote, jobID: jobID, remoteID: carrier.remoteID,
                    detail: "another remote job carries the same marker (ours: \(entry.state.row?.externalID ?? found[0].remoteID))"
                )))
            }
        }
        guard listingComplete else { return findings }
        for (jobID, entry) in locals where extras[jobID] == nil && !entry.linkedSeen && entry.state.shouldBeOpenRemotely {
            let state = entry.state
            if let row = state.row, let linked = row.externalID {
                guard row.status != .inFlight, !(row.status == .pending && row.operation == .create) else { continue }
                findings.append(.finding(ReconcileFinding(
                    category: .missingRemote, jobID: jobID, remoteID: linked,
                    detail: "linked to remote job \(linked), which the target no longer lists (deleted or merged?)", repair: .enqueueCreate
                )))
            } else if state.row == nil {
                findings.append(.finding(ReconcileFinding(
                    category: .unsynced, jobID: jobID, remoteID: nil,
                    detail: "qualified and open here, not at the target, and no outbox row delivers it", repair: .enqueueCreate
                )))
            }
        }
        return findings
    }
}
