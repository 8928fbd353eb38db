import AtsgateCore
import AtsgateWebhook
import Logging

/// Phase C: the same webhook creates as phase A, through the same `WebhookConnector` and HTTP
/// client, with no store and no dispatcher: `concurrency` tasks submit in a loop until `requests`
/// are answered. Its rate is the most phase A could reach on this machine with this connector
/// and target, so the gap between the two is what the outbox costs.
struct CeilingPhase {
    struct Result {
        var requests: Int
        var concurrency: Int
        var failures: Int
        var cpu: CPUUsage
    }

    let setup: BenchmarkSetup
    let requests: Int
    let targetPID: Int32?

    func run() async throws -> Result {
        let connector = setup.connector()
        let cpu = CPUUsage.start(targetPID: targetPID)
        let failures = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<setup.concurrency {
                let share = requests / setup.concurrency + (worker < requests % setup.concurrency ? 1 : 0)
                group.addTask {
                    var failures = 0
                    for index in 0..<share {
                        let request = SubmissionRequest(operation: .create, snapshot: Self.snapshot(worker: worker, index: index))
                        do {
                            _ = try await connector.submit(request)
                        } catch {
                            failures += 1
                        }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        return Result(requests: requests, concurrency: setup.concurrency, failures: failures, cpu: cpu.finish())
    }

    /// A job shaped like the benchmark data set's: a title, a company, one hiring manager.
    private static func snapshot(worker: Int, index: Int) -> JobSnapshot {
        let organisation = BenchmarkSetup.organisation
        let company = Company(organisationID: organisation, id: CompanyID("cmp-\(worker + 1)"), name: "Company \(worker + 1)")
        let manager = Person(
            organisationID: organisation, id: PersonID("per-\(worker + 1)"), firstName: "Hiring", lastName: "Manager \(worker + 1)",
            email: "hm\(worker + 1)@example.com", companyID: company.id
        )
        let job = Job(
            organisationID: organisation, id: JobID("ceiling-\(worker)-\(index)"), companyID: company.id,
            title: "Engineer \(index)", qualificationStatus: .qualify
        )
        return JobSnapshot(job: job, version: 1, company: company, hiringManagers: [manager])
    }
}
