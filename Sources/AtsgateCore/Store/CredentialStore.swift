/// Where a connector keeps credentials a target rotates (Bullhorn's single-use refresh tokens),
/// so a restart does not need a password login, and several workers share the newest one.
///
/// Only rotated session credentials live here, never the configured secrets (those stay in the
/// environment); they are never logged or copied into the outbox.
public protocol CredentialStore: Sendable {
    func credential(named name: String, target: TargetName) async throws -> String?

    /// Stores `value` if the stored credential is still `expected` (`nil`: none stored); returns
    /// whether it did. A refresh by another worker in between makes this fail, so the caller
    /// re-reads instead of overwriting a newer token with an older one.
    func replaceCredential(named name: String, target: TargetName, expected: String?, with value: String?) async throws -> Bool
}
