public import AtsgateCore
import Foundation

extension LoxoConnector {
    /// Loxo answers 400 past the first 10,000 results of a listing (A5).
    static let resultWall = 10_000

    /// Every Loxo job, one status at a time: `GET /job_statuses`, then `GET /jobs?job_status_id=…`
    /// page by page. A status holding more than 10,000 jobs cannot be listed completely, and the
    /// listing fails instead of returning part of it.
    public func listJobs(page token: RemotePageToken?) async throws(ConnectorError) -> RemoteJobPage {
        let position: LoxoListingPosition
        if let token {
            position = try LoxoListingPosition(token)
        } else {
            guard let first = LoxoListingPosition(statuses: try await jobStatusIDs()) else {
                return RemoteJobPage(jobs: [], next: nil)
            }
            position = first
        }
        let (status, answer) = try await api.send(requests.jobPage(status: position.status, page: position.page))
        guard let page = LoxoJobPage(answer: answer) else {
            throw .rejected("Loxo's job listing answer (\(status)) has no 'results' list", httpStatus: status)
        }
        guard page.unreadable == 0 else {
            throw .rejected("Loxo's job listing has \(page.unreadable) result(s) without an id", httpStatus: status)
        }
        guard page.totalCount <= Self.resultWall else {
            throw .rejected(
                "Loxo holds \(page.totalCount) jobs with status \(position.status); it pages through at most the first \(Self.resultWall) results of a listing, so the listing would be partial",
                httpStatus: status
            )
        }
        let next = position.page < page.totalPages ? position.nextPage : position.nextStatus
        return RemoteJobPage(
            jobs: page.jobs.map(remoteJob),
            next: next.map { RemotePageToken($0.token) }
        )
    }

    /// `GET /job_statuses`: a read that needs the right key and agency slug, and changes nothing.
    public func checkConnection() async throws(ConnectorError) -> String {
        let statuses = try await jobStatusIDs()
        return "agency '\(api.agencySlug)' answers with the key from \(api.apiKeyVariable); \(statuses.count) job statuses"
    }

    /// The agency's job statuses: a reference list, returned whole (no cursor parameters, A5).
    private func jobStatusIDs() async throws(ConnectorError) -> [Int] {
        let (status, answer) = try await api.send(requests.jobStatuses())
        guard let list = answer.array ?? answer["job_statuses"]?.array else {
            throw .rejected("Loxo's job status list (\(status)) is not a list", httpStatus: status)
        }
        let ids = list.compactMap { $0["id"]?.int }
        guard ids.count == list.count else {
            throw .rejected("Loxo's job status list has entries without an id", httpStatus: status)
        }
        return ids.sorted()
    }
}

/// Where a Loxo listing stands: the statuses still to list (the first is the current one) and
/// the page of the current one. Its token is `2,3@4`: status 2, page 4, then status 3.
struct LoxoListingPosition: Hashable, Sendable {
    var statuses: [Int]
    var page: Int

    init?(statuses: [Int], page: Int = 1) {
        guard !statuses.isEmpty, page >= 1 else { return nil }
        self.statuses = statuses
        self.page = page
    }

    init(_ token: RemotePageToken) throws(ConnectorError) {
        let parts = token.value.split(separator: "@")
        let statuses = parts.first.map { $0.split(separator: ",").compactMap { Int($0) } } ?? []
        guard parts.count == 2, let page = Int(parts[1]), let position = Self(statuses: statuses, page: page),
              statuses.count == parts[0].split(separator: ",").count
        else {
            throw .config(setting: "page token", reason: "'\(token.value)' is not a Loxo listing position")
        }
        self = position
    }

    var status: Int { statuses[0] }
    var token: String { "\(statuses.map(String.init).joined(separator: ","))@\(page)" }
    var nextPage: Self? { Self(statuses: statuses, page: page + 1) }
    var nextStatus: Self? { Self(statuses: Array(statuses.dropFirst())) }
}
