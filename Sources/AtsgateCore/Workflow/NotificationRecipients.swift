import Foundation

/// Who is told about a job, and who is skipped: the one rule the qualification workflow
/// (`job_qualified`) and a delivery's settlement (`job_submitted`) share.
public enum NotificationRecipients {
    static let noEmail = "person has no email address"

    /// A draft per decision maker not told about this job yet (`alreadyNotified`), in id order: pending
    /// for a person with an email address, skipped with the reason for one without (none, or blank).
    public static func drafts(_ type: NotificationType, for decisionMakers: [Person], alreadyNotified: Set<PersonID>) -> [NotificationDraft] {
        decisionMakers
            .filter { !alreadyNotified.contains($0.id) }
            .sorted { $0.id < $1.id }
            .map { person in
                hasEmail(person)
                    ? NotificationDraft(personID: person.id, type: type, status: .pending)
                    : NotificationDraft(personID: person.id, type: type, status: .skipped, reason: noEmail)
            }
    }

    static func hasEmail(_ person: Person) -> Bool {
        !(person.email?.trimmingCharacters(in: .whitespaces).isEmpty ?? true)
    }
}
