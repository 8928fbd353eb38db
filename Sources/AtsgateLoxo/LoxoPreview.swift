import AtsgateCore

/// The requests a delivery would send, in order, with placeholders for ids Loxo has not given
/// yet and a condition on the ones that depend on what Loxo already holds.
struct LoxoPreview: Sendable {
    let requests: LoxoRequests

    func plan(_ request: SubmissionRequest) throws(ConnectorError) -> [PlannedRequest] {
        let snapshot = request.snapshot
        var planned: [PlannedRequest] = []
        if request.operation == .create, request.outcomeOfEarlierAttemptUnknown {
            var search = requests.jobSearch(carrying: snapshot.marker)
            search.condition = "an earlier attempt may have reached Loxo: a job carrying the marker is adopted, and nothing is created"
            planned.append(search)
        }

        let companyID: String
        if let known = request.references.companies[snapshot.company.id] {
            companyID = known
        } else {
            companyID = "<id of company '\(snapshot.company.name)'>"
            planned.append(requests.companySearch(named: snapshot.company.name))
            var create = try requests.createCompany(for: snapshot)
            create.condition = "only if no company is named exactly '\(snapshot.company.name)'"
            planned.append(create)
        }

        let job = try requests.mappedJob(snapshot, companyID: companyID)
        let jobID: String
        switch request.operation {
        case .create:
            jobID = "<id of the new job>"
            planned.append(requests.createJob(job))
        case .update, .close:
            jobID = request.externalID ?? "<Loxo job id>"
            planned.append(requests.updateJob(id: jobID, job))
        }

        for person in snapshot.hiringContacts {
            let personID: String
            if let known = request.references.people[person.id] {
                personID = known
            } else {
                personID = "<id of person \(person.id)>"
                planned.append(requests.personSearch(for: person))
                var create = try requests.createPerson(person, of: snapshot)
                create.condition = person.email.map { "only if nobody has the email \($0)" } ?? "only if nobody is named exactly '\(person.fullName)'"
                planned.append(create)
            }
            var attach = try requests.attachContact(person, remoteID: personID, toJob: jobID, of: snapshot)
            attach.condition = request.operation == .create ? nil : "only if not attached to the job yet"
            planned.append(attach)
        }
        return planned
    }
}
