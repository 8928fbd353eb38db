@testable import AtsgateBullhorn
import AtsgateCore
import AtsgateTesting
import Foundation
import Testing

/// What the Bullhorn connector tests share: the repository's mapping, a job with its company and
/// contacts, a connector pointed at a running fake, and an in-memory credential store.
enum BullhornFixture {
    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let shippedMapping: TargetMapping = {
        do {
            return try MappingLoader(configurationDirectory: repository).load("bullhorn.yaml")
        } catch {
            fatalError("mappings/bullhorn.yaml does not load: \(error)")
        }
    }()

    static let ada = Person(organisationID: "org-a", id: "per-1", firstName: "Ada", lastName: "Lind", email: "ada@halcyon.example", companyRole: "VP Engineering", companyID: "cmp-1")
    static let bo = Person(organisationID: "org-a", id: "per-2", firstName: "Bo", lastName: "Krantz", companyID: "cmp-1")

    static func snapshot(
        _ id: JobID = "job-1", title: String = "Backend Engineer", status: JobStatus = .open, company: CompanyID = "cmp-1",
        decisionMakers: [Person] = [ada], hiringManagers: [Person] = [bo]
    ) -> JobSnapshot {
        var job = Job(organisationID: "org-a", id: id, companyID: company, title: title, status: status)
        job.employmentType = .fullTime
        job.description = "Build robots."
        job.salary = SalaryRange(minimum: 90_000, maximum: 120_000, currency: "EUR")
        job.qualifiedAt = Date(timeIntervalSince1970: 1_790_000_000)
        return JobSnapshot(
            job: job, version: 1,
            company: Company(organisationID: "org-a", id: company, name: "Halcyon Robotics \(company)"),
            decisionMakers: decisionMakers, hiringManagers: hiringManagers
        )
    }

    static let variables = TargetConfiguration.BullhornSettings(
        loginInfoURL: "unused", clientIDEnvironmentVariable: "BH_CLIENT_ID", clientSecretEnvironmentVariable: "BH_CLIENT_SECRET",
        usernameEnvironmentVariable: "BH_USERNAME", passwordEnvironmentVariable: "BH_PASSWORD"
    )

    static func secrets(_ fake: FakeBullhorn, password: String? = nil, clientID: String? = nil, clientSecret: String? = nil) -> BullhornSecrets {
        let configuration = fake.configuration
        return BullhornSecrets(
            clientID: Secret(clientID ?? configuration.clientID), clientSecret: Secret(clientSecret ?? configuration.clientSecret),
            username: Secret(configuration.username), password: Secret(password ?? configuration.password)
        )
    }

    static func connector(
        _ fake: FakeBullhorn, secrets: BullhornSecrets? = nil, mapping: TargetMapping = shippedMapping,
        store: (any CredentialStore)? = nil, clock: any GatewayClock = SystemClock(), timeout: Duration = .seconds(5),
        redirectURI: String? = nil
    ) throws -> BullhornConnector {
        var settings = variables
        settings.loginInfoURL = fake.loginInfoURL
        settings.redirectURI = redirectURI
        return try BullhornConnector(
            target: "bullhorn", settings: settings, secrets: secrets ?? Self.secrets(fake), mapping: mapping,
            timeout: timeout, client: .shared, credentials: store, options: .init(clock: clock)
        )
    }

    /// The connector error `body` ends with; `nil` when it succeeds (another error fails the test).
    static func failure(_ body: () async throws -> Void) async -> ConnectorError? {
        do {
            try await body()
            return nil
        } catch {
            guard let error = error as? ConnectorError else {
                Issue.record("expected a ConnectorError, got \(error)")
                return nil
            }
            return error
        }
    }

    static func marker(_ job: JobID) -> String { "atsgate:org-a:\(job)" }
}

/// Rotated credentials kept in memory, with the store's compare-and-swap; counts the writes.
actor MemoryCredentialStore: CredentialStore {
    private var values: [String: String] = [:]
    private(set) var swaps = 0

    func credential(named name: String, target: TargetName) -> String? {
        values["\(target)/\(name)"]
    }

    func replaceCredential(named name: String, target: TargetName, expected: String?, with value: String?) -> Bool {
        let key = "\(target)/\(name)"
        guard values[key] == expected else { return false }
        values[key] = value
        swaps += 1
        return true
    }

    /// The only credential stored, whatever its name.
    var onlyValue: String? { values.count == 1 ? values.values.first : nil }

    func overwriteAll(with value: String) {
        for key in values.keys { values[key] = value }
    }
}

extension FakeBullhorn {
    func jobOrders(carrying marker: String) -> [Record] {
        jobOrders.filter { $0["externalID"]?.string == marker }
    }

    /// Contacts atsgate could have made: every one but the archived placeholders of new companies.
    var realContacts: [Record] {
        clientContacts.filter { $0["status"]?.string != "Archive" }
    }

    /// Requests below `restUrl` (data calls), without the session checks' pings.
    var dataRequests: [ReceivedRequest] {
        requests.filter { $0.path.contains("/rest-services/\(configuration.corpToken)/") && !$0.path.hasSuffix("/ping") }
    }
}

extension Array {
    /// The element of a one-element array.
    var only: Element? { count == 1 ? first : nil }
}
