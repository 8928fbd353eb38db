import AtsgateCore

/// The requests a delivery would send, in order, with placeholders for ids Bullhorn has not given
/// yet and a condition on the ones that depend on what Bullhorn holds. (Each comes after the
/// session steps of B1 when no session is open; those carry credentials and are not shown.)
struct BullhornPreview: Sendable {
    let requests: BullhornRequests

    func plan(_ request: SubmissionRequest) throws(ConnectorError) -> [PlannedRequest] {
        let snapshot = request.snapshot
        var planned: [PlannedRequest] = []
        if request.operation == .create, request.outcomeOfEarlierAttemptUnknown {
            var search = requests.jobSearch(carrying: snapshot.marker)
            search.condition = "an earlier attempt may have reached Bullhorn: a JobOrder carrying the marker is adopted and brought up to date, and nothing is created"
            planned.append(search)
        }

        let companyID: String
        if let known = request.references.companies[snapshot.company.id] {
            companyID = known
        } else {
            let key = BullhornEntityKey.company(snapshot.company)
            companyID = "<id of company '\(snapshot.company.name)'>"
            planned.append(requests.companySearch(key))
            var create = try requests.createCompany(for: snapshot)
            create.condition = "only if no ClientCorporation has the externalID '\(key)'"
            planned.append(create)
        }

        let person = try snapshot.jobOrderContact()
        let contactID: String
        if let known = request.references.people[person.id] {
            contactID = known
        } else {
            let key = BullhornEntityKey.contact(person)
            contactID = "<id of contact \(person.id)>"
            planned.append(requests.contactSearch(key))
            var create = try requests.createContact(person, of: snapshot, companyID: companyID)
            create.condition = "only if no live ClientContact has the externalID '\(key)'"
            planned.append(create)
        }

        switch request.operation {
        case .create:
            let job = try requests.mappedJob(snapshot, companyID: companyID, contactID: contactID)
            planned.append(requests.createJob(job))
            var lookup = requests.jobSearch(carrying: snapshot.marker)
            lookup.condition = "only if the create does not end cleanly (an error, a timeout): a JobOrder Bullhorn stored anyway is adopted"
            planned.append(lookup)
        case .update, .close:
            let id = request.externalID ?? "<Bullhorn JobOrder id>"
            let job = try requests.mappedJob(snapshot, companyID: companyID, contactID: contactID, closing: request.operation == .close)
            planned.append(requests.readJob(id: id))
            var update = requests.updateJob(id: id, job)
            update.condition = "only the fields whose value differs from what Bullhorn holds (and the compare: false ones) are sent; nothing if none differ"
            planned.append(update)
        }
        return planned
    }
}
