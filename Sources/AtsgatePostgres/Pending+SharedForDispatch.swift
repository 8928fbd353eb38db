// TEMPORARY: the shared reads and writes the helper branch writes; replaced when it merges.
import AtsgateCore
import Foundation
import PostgresNIO

struct JobKey: Hashable {
    var organisationID: OrganisationID
    var jobID: JobID
}

extension PostgresStore {
    private func pending(_ name: String) -> StoreError { StoreError(.unsupportedEngine, "PostgreSQL store: \(name) is not written yet") }
    func fetchSnapshots(_ keys: some Sequence<JobKey>, connection: PostgresConnection) async throws -> [JobKey: JobSnapshot] { throw pending(#function) }
    func fetchSnapshot(_ organisationID: OrganisationID, _ jobID: JobID, connection: PostgresConnection) async throws -> JobSnapshot? { throw pending(#function) }
    func fetchReferences(of company: CompanyID, at target: TargetName, organisationID: OrganisationID, connection: PostgresConnection) async throws -> RemoteReferences { throw pending(#function) }
    func link(_ kind: String, localID: String, remoteID: String, organisationID: OrganisationID, target: TargetName, now: Date, connection: PostgresConnection) async throws { throw pending(#function) }
    func fetchJob(_ organisationID: OrganisationID, _ jobID: JobID, connection: PostgresConnection) async throws -> StoredJob? { throw pending(#function) }
    func fetchContacts(of job: Job, label: AssociationLabel, connection: PostgresConnection) async throws -> [Person] { throw pending(#function) }
    func notifiedPeople(_ job: Job, type: NotificationType, connection: PostgresConnection) async throws -> Set<PersonID> { throw pending(#function) }
    func insert(_ notification: NotificationDraft, job: Job, now: Date, connection: PostgresConnection) async throws { throw pending(#function) }
    func insert(_ audit: AuditEntry, connection: PostgresConnection) async throws { throw pending(#function) }
}
