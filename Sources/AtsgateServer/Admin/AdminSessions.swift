import AtsgateCore
import Foundation
import Synchronization

/// A signed-in operator: which key, and the CSRF token every form of the session carries.
struct AdminSession: Sendable {
    var keyID: String
    var organisationID: OrganisationID
    /// The key's hash: each request checks the key is still active, so revoking it ends the session.
    var keySecretHash: String
    var csrfToken: String
    var expiresAt: Date
}

/// Sessions of `/admin`, in this process's memory: a restart signs everyone out, and behind a
/// load balancer an operator needs to stay on one node (sticky sessions).
final class AdminSessions: Sendable {
    private let sessions = Mutex<[String: AdminSession]>([:])
    let lifetime: Duration

    init(lifetime: Duration) {
        self.lifetime = lifetime
    }

    /// Starts a session and returns its cookie value.
    func start(for key: APIKeyRecord, now: Date) -> (token: String, session: AdminSession) {
        let token = APIKeys.base64URL(APIKeys.randomBytes(32))
        let session = AdminSession(
            keyID: key.id, organisationID: key.organisationID, keySecretHash: key.secretHash,
            csrfToken: APIKeys.base64URL(APIKeys.randomBytes(24)), expiresAt: now.addingTimeInterval(lifetime.timeInterval)
        )
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expiresAt > now }
            sessions[token] = session
        }
        return (token, session)
    }

    func session(_ token: String, now: Date) -> AdminSession? {
        sessions.withLock { sessions in
            guard let session = sessions[token] else { return nil }
            guard session.expiresAt > now else {
                sessions[token] = nil
                return nil
            }
            return session
        }
    }

    func end(_ token: String) {
        sessions.withLock { $0[token] = nil }
    }
}

/// Compares two tokens in time that does not depend on where they differ.
func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let left = Array(a.utf8), right = Array(b.utf8)
    guard left.count == right.count else { return false }
    return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
}
