public import AtsgateCore
public import Foundation

/// Small, valid values for tests to start from and then break one field at a time.
public enum Fixtures {
    public static let loxo: TargetName = "loxo"
    public static let bullhorn: TargetName = "bullhorn"
    public static let email: TargetName = "email"

    /// Three enabled targets, one of each kind.
    public static var catalog: TargetCatalog {
        TargetCatalog([
            TargetConfiguration(name: loxo, settings: .loxo(.init(agencySlug: "acme", apiKeyEnvironmentVariable: "LOXO_KEY"))),
            TargetConfiguration(name: bullhorn, settings: .bullhorn(.init(
                clientIDEnvironmentVariable: "BH_ID", clientSecretEnvironmentVariable: "BH_SECRET",
                usernameEnvironmentVariable: "BH_USER", passwordEnvironmentVariable: "BH_PASSWORD"
            ))),
            TargetConfiguration(name: email, settings: .email(.init(
                smtpURL: "smtp://127.0.0.1:2525", from: "gateway@agency.example", to: ["desk@agency.example"]
            ))),
        ])
    }

    /// A fixed instant, so tests never depend on the wall clock.
    public static let now = Date(timeIntervalSince1970: 1_790_000_000)

    /// A JSON import with two organisations; `org-a` has a company with two decision makers
    /// (one without email), a hiring manager and three open jobs; `org-b` reuses the job id `job-1`.
    public static let smallDatasetJSON = """
    {
      "organisations": [{"id": "org-a", "name": "Agency A"}, {"id": "org-b", "name": "Agency B"}],
      "companies": [
        {"id": "cmp-1", "organisation_id": "org-a", "name": "Halcyon Robotics", "domain": "halcyon.example"},
        {"id": "cmp-1", "organisation_id": "org-b", "name": "Bramble Logistics"}
      ],
      "people": [
        {"id": "per-1", "organisation_id": "org-a", "first_name": "Ada", "last_name": "Lind", "email": "ada@halcyon.example", "company_id": "cmp-1"},
        {"id": "per-2", "organisation_id": "org-a", "first_name": "Bo", "last_name": "Krantz", "company_id": "cmp-1"},
        {"id": "per-3", "organisation_id": "org-a", "first_name": "Cy", "last_name": "Moreau", "email": "cy@halcyon.example", "company_id": "cmp-1"},
        {"id": "per-9", "organisation_id": "org-b", "first_name": "Dee", "last_name": "Okafor", "email": "dee@bramble.example", "company_id": "cmp-1"}
      ],
      "associations": [
        {"organisation_id": "org-a", "company_id": "cmp-1", "person_id": "per-1", "association_label": "decision_maker", "is_primary": true},
        {"organisation_id": "org-a", "company_id": "cmp-1", "person_id": "per-2", "association_label": "decision_maker", "is_primary": false},
        {"organisation_id": "org-a", "company_id": "cmp-1", "person_id": "per-3", "association_label": "hiring_manager", "is_primary": false},
        {"organisation_id": "org-b", "company_id": "cmp-1", "person_id": "per-9", "association_label": "decision_maker", "is_primary": true}
      ],
      "jobs": [
        {"id": "job-1", "organisation_id": "org-a", "company_id": "cmp-1", "title": "Backend Engineer", "status": "open",
         "qualification_status": "new", "salary_min": 90000, "salary_max": 120000.50, "salary_currency": "eur", "employment_type": "full_time"},
        {"id": "job-2", "organisation_id": "org-a", "company_id": "cmp-1", "title": "Data Engineer", "status": "open", "qualification_status": "new"},
        {"id": "job-3", "organisation_id": "org-a", "company_id": "cmp-1", "title": "Site Lead", "status": "closed", "qualification_status": "new"},
        {"id": "job-1", "organisation_id": "org-b", "company_id": "cmp-1", "title": "Driver", "status": "open", "qualification_status": "new"}
      ]
    }
    """

    public static func records(fromJSON json: String, file: String = "test.json") throws -> [ImportRecord] {
        try ImportFileReader().jsonRecords(Data(json.utf8), file: file)
    }

    public static func dataset(fromJSON json: String = smallDatasetJSON) throws -> CRMDataset {
        try DatasetParser().parse(records(fromJSON: json))
    }
}
