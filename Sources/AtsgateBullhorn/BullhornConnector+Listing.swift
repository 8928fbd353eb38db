public import AtsgateCore
import Foundation

extension BullhornConnector {
    /// Every live JobOrder, 500 at a time: `search/JobOrder?query=isDeleted:0`, sorted by id, paged
    /// by `start`/`count` (ATS_APIS.md B5). The page token is the next `start`. Every JobOrder of
    /// the corporation is listed (whether `externalID` is in a tenant's search index is
    /// unconfirmed, B8); reconciliation ignores the ones without our marker.
    public func listJobs(page token: RemotePageToken?) async throws(ConnectorError) -> RemoteJobPage {
        var start = 0
        if let token {
            guard let value = Int(token.value), value >= 0 else {
                throw .config(setting: "page token", reason: "'\(token.value)' is not a Bullhorn listing position")
            }
            start = value
        }
        let (status, answer) = try await api.send(requests.jobPage(start: start))
        guard let page = BullhornSearchPage(answer) else {
            throw .rejected("Bullhorn's JobOrder search answer (\(status)) has no 'data' list", httpStatus: status)
        }
        guard page.unreadable == 0 else {
            throw .rejected("Bullhorn's JobOrder search has \(page.unreadable) result(s) without an id", httpStatus: status)
        }
        let next = start + page.records.count
        return RemoteJobPage(
            jobs: page.records.filter { !$0.isDeleted }.map { $0.remoteJob(comparedFields: shape.comparedFields) },
            next: !page.records.isEmpty && next < page.total ? RemotePageToken(String(next)) : nil
        )
    }

    /// Logs in (or reuses the session) and runs one search of a single id: a read that needs every
    /// credential and the right data center, and changes nothing but the rotated refresh token.
    public func checkConnection() async throws(ConnectorError) -> String {
        let session = try await api.keeper.session()
        let (status, answer) = try await api.send(requests.probe())
        guard let page = BullhornSearchPage(answer) else {
            throw .rejected("Bullhorn's JobOrder search answer (\(status)) has no 'data' list", httpStatus: status)
        }
        let host = URLComponents(string: session.restURL)?.host ?? "its REST URL"
        return "the API user logs in and \(host) answers; \(page.total) live JobOrder(s)"
    }

    /// Which of `ids` still name a live JobOrder, read from the records themselves
    /// (`GET entity/JobOrder/{id1},{id2}…?fields=id,isDeleted`, 100 ids a request, B2/B5), not from the
    /// search index, which may lag and holds deleted records. Ids that are not Bullhorn ids are not live.
    public func existingJobIDs(_ ids: some Collection<String>) async throws(ConnectorError) -> Set<String> {
        Set(try await jobOrders(ids: Array(ids)).filter { !$0.isDeleted }.map(\.id))
    }

    /// Live JobOrders whose `externalID` is exactly the marker, oldest first. Found through the
    /// search (which matches words, so every hit is compared), then confirmed from the records.
    func searchJobOrders(carrying marker: JobMarker) async throws(ConnectorError) -> [BullhornJobOrder] {
        let (_, answer) = try await api.send(requests.jobSearch(carrying: marker))
        let ids = BullhornSearchPage.hits(answer, externalID: marker.description)
        guard !ids.isEmpty else { return [] }
        return try await jobOrders(ids: ids)
            .filter { $0.externalID == marker.description && !$0.isDeleted }
            .sorted { ($0.id.count, $0.id) < ($1.id.count, $1.id) }
    }

    /// The JobOrders among `ids` that exist, with the listed fields; a 404 means none does (B2).
    func jobOrders(ids: [String]) async throws(ConnectorError) -> [BullhornJobOrder] {
        let numeric = Array(Set(ids.filter { !$0.isEmpty && $0.allSatisfy(\.isNumber) })).sorted()
        var found: [BullhornJobOrder] = []
        for start in stride(from: 0, to: numeric.count, by: BullhornRequests.idsPerRead) {
            let chunk = Array(numeric[start..<min(start + BullhornRequests.idsPerRead, numeric.count)])
            do throws(ConnectorError) {
                let (status, answer) = try await api.send(requests.jobOrders(ids: chunk))
                let read = BullhornJobOrder.records(in: answer)
                guard read.unreadable == 0 else {
                    throw ConnectorError.rejected("Bullhorn's JobOrder read (\(status)) has records without an id", httpStatus: status)
                }
                found += read.records
            } catch where error.httpStatus == 404 {
                continue
            }
        }
        return found
    }
}
