public import AtsgateCore
import Foundation

extension InMemoryStore: StoreTestSupport {
    public func contents() async throws -> StoreContents {
        StoreContents(tables: try read { state in state.renderedTables() })
    }

    public func plantSent(entryID: Int64, externalID: String, jobVersion: Int) async throws {
        try write { state in
            guard state.submissions[entryID] != nil else { throw OperatorActionError(.notFound, "no outbox row #\(entryID)") }
            state.updateSubmission(entryID) { row in
                row.entry.status = .sent
                row.entry.nextAttemptAt = nil
                row.entry.leaseOwner = nil
                row.entry.leaseExpiresAt = nil
                row.entry.externalID = externalID
                row.entry.sentJobVersion = jobVersion
            }
        }
    }

    public func plantFailed(entryID: Int64, kind: ErrorKind, message: String) async throws {
        try write { state in
            guard state.submissions[entryID] != nil else { throw OperatorActionError(.notFound, "no outbox row #\(entryID)") }
            state.updateSubmission(entryID) { row in
                row.entry.status = .failed
                row.entry.nextAttemptAt = nil
                row.entry.leaseOwner = nil
                row.entry.leaseExpiresAt = nil
                row.entry.lastErrorKind = kind
                row.entry.lastErrorMessage = message
            }
        }
    }

    public func plantFailure(_ failure: PlantedFailure) async throws {
        try write { state in _ = state.plantedFailures.insert(failure) }
    }

    public func outcomeUnknown(entryID: Int64) async throws -> Bool {
        try read { state in
            guard let row = state.submissions[entryID] else { throw OperatorActionError(.notFound, "no outbox row #\(entryID)") }
            return row.outcomeUnknown
        }
    }

    public func auditLog() async throws -> [AuditEntry] {
        try read { state in state.auditLog.sorted { $0.key < $1.key }.map(\.value) }
    }

    public func remoteLinks() async throws -> [RemoteLink] {
        try read { state in
            state.externalRefs.map { key, link in
                RemoteLink(organisationID: key.organisationID, kind: key.kind, localID: key.localID, target: key.target, remoteID: link.value)
            }
        }
    }
}
