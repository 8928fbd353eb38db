import AtsgateCore
@testable import AtsgateEmail
import Foundation

/// A job with non-ASCII text, markup and a header-injection attempt, and connectors built from
/// the templates the repository ships in `mappings/email/`.
enum EmailFixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let ada = Person(
        organisationID: "org-a", id: "per-1", firstName: "Ada", lastName: "Lind", email: "ada@halcyon.example",
        phone: "+46 8 555 01", companyRole: "CTO", companyID: "cmp-1"
    )
    static let cy = Person(organisationID: "org-a", id: "per-3", firstName: "Cy", lastName: "Moreau", email: "cy@halcyon.example", companyID: "cmp-1")

    static let snapshot = JobSnapshot(
        job: Job(
            organisationID: "org-a", id: "job-1", companyID: "cmp-1", title: "Ingénieur Backend — Zürich & <Ops>",
            description: "Build the pipeline.\nSecond line with <script>alert(1)</script>.", location: "Zürich",
            employmentType: .fullTime, salary: SalaryRange(minimum: 90_000, maximum: 120_000.5, currency: "EUR"),
            jobURL: "https://halcyon.example/jobs/1", qualificationStatus: .qualify, qualifiedBy: "rita"
        ),
        version: 3,
        company: Company(organisationID: "org-a", id: "cmp-1", name: "Hälcyon Robotics", website: "https://halcyon.example"),
        decisionMakers: [ada], hiringManagers: [cy], primaryContact: ada
    )

    static let recipients = ["desk@agency.example", "lead@agency.example"]

    static var templates: EmailTemplates {
        get throws { try EmailTemplates(configurationDirectory: repositoryRoot) }
    }

    static func settings(
        url: String, startTLS: TargetConfiguration.EmailSettings.StartTLS = .off, to: [String] = recipients,
        credentials: Bool = false
    ) -> TargetConfiguration.EmailSettings {
        TargetConfiguration.EmailSettings(
            smtpURL: url, startTLS: startTLS, from: "atsgate@agency.example", to: to,
            usernameEnvironmentVariable: credentials ? "SMTP_USER" : nil,
            passwordEnvironmentVariable: credentials ? "SMTP_PASSWORD" : nil
        )
    }

    static func connector(
        _ settings: TargetConfiguration.EmailSettings, username: String? = nil, password: String? = nil,
        caFile: String? = nil, timeout: Duration = .seconds(10)
    ) throws -> EmailConnector {
        try EmailConnector(
            target: "email", settings: settings, username: Secret(username), password: Secret(password), templates: templates,
            timeout: timeout, options: .init(connectTimeout: .seconds(5), caFile: caFile)
        )
    }

    static func notification(_ person: Person = ada, type: NotificationType = .jobQualified) -> NotificationRequest {
        NotificationRequest(notificationID: 42, type: type, recipient: person, snapshot: snapshot)
    }

    /// The error `body` throws, or `nil` when it succeeds.
    static func failure(_ body: () async throws(ConnectorError) -> Void) async -> ConnectorError? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }
}
