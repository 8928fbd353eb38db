import AtsgateCore

/// The ClientCorporation and ClientContact a JobOrder needs (ATS_APIS.md B3, B8): the id atsgate
/// remembers, else the record carrying our key in `externalID`, else a new one. Only records with
/// our key are ever matched, so the archived placeholder contact Bullhorn adds to every new
/// company (B3) — which has none — is never taken for ours.
extension BullhornConnector {
    func companyID(for request: SubmissionRequest, learned: inout RemoteReferences) async throws(ConnectorError) -> String {
        let company = request.snapshot.company
        if let known = request.references.companies[company.id] ?? learned.companies[company.id] { return known }
        let key = BullhornEntityKey.company(company)
        let create = try requests.createCompany(for: request.snapshot)
        let id = try await directory.id(for: "ClientCorporation:\(key)") { () throws(ConnectorError) in
            try await findOrCreate(search: requests.companySearch(key), key: key, create: create)
        }
        learned.companies[company.id] = id
        return id
    }

    func contactID(for request: SubmissionRequest, companyID: String, learned: inout RemoteReferences) async throws(ConnectorError) -> String {
        let person = try request.snapshot.jobOrderContact()
        if let known = request.references.people[person.id] ?? learned.people[person.id] { return known }
        let key = BullhornEntityKey.contact(person)
        let create = try requests.createContact(person, of: request.snapshot, companyID: companyID)
        let id = try await directory.id(for: "ClientContact:\(key)") { () throws(ConnectorError) in
            try await findOrCreate(search: requests.contactSearch(key), key: key, create: create)
        }
        learned.people[person.id] = id
        return id
    }

    /// The oldest record whose `externalID` is exactly `key`, else the one `create` makes. A
    /// create that fails without a clean answer is followed by the search again: Bullhorn may have
    /// stored the record anyway (B7), and a retry must not make a second one.
    private func findOrCreate(search: PlannedRequest, key: BullhornEntityKey, create: PlannedRequest) async throws(ConnectorError) -> String {
        if let found = try await find(search, key) { return found }
        let entity = BullhornAPI.pathWithoutQuery(create.path).split(separator: "/").last.map(String.init) ?? "record"
        do throws(ConnectorError) {
            let (status, answer) = try await api.send(create)
            guard let id = answer["changedEntityId"]?.text, !id.isEmpty else {
                throw ConnectorError(
                    kind: .rejected, message: "Bullhorn answered PUT entity/\(entity) (\(status)) without a changedEntityId",
                    httpStatus: status, mayHaveReachedTarget: true
                )
            }
            return id
        } catch {
            guard Self.mayHaveStored(error) else { throw error }
            do throws(ConnectorError) {
                return try await findAfterFailedCreate(search, key, failure: error)
            } catch {
                // Not found (or the search failed) right after a create that may have stored the
                // record: the search may not show it yet, so it is not redone at once.
                var unknown = error
                unknown.isUnknownCreate = true
                throw unknown
            }
        }
    }

    /// The record a failed create may have stored anyway; when there is none, the create's own
    /// error. If the search fails too, whether the record exists is unknown: that error is reported
    /// (a retry searches first), never the create's, which may say "rejected" for good.
    private func findAfterFailedCreate(_ search: PlannedRequest, _ key: BullhornEntityKey, failure: ConnectorError) async throws(ConnectorError) -> String {
        let found: String?
        do {
            found = try await find(search, key)
        } catch {
            throw Self.lookupFailed(error, after: failure)
        }
        guard let found else { throw failure }
        return found
    }

    private func find(_ search: PlannedRequest, _ key: BullhornEntityKey) async throws(ConnectorError) -> String? {
        let (_, answer) = try await api.send(search)
        return BullhornSearchPage.hits(answer, externalID: key.description).first
    }
}
