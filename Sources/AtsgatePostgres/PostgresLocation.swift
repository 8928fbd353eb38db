public import AtsgateCore
import Foundation

/// A PostgreSQL database named by `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?OPTIONS]`.
///
/// Options: `sslmode` (`disable`, `prefer`, `require`; libpq's `verify-ca`/`verify-full` are
/// `require` with certificate checks), `schema` (default `atsgate`: the gateway's tables live
/// there, beside whatever else the database holds), `pool_size` (connections per process,
/// default 10) and `transaction_timeout` (seconds a transaction may run before the gateway
/// gives up on it and closes its connection, default 120). A password missing from the URL
/// comes from `PGPASSWORD`.
public struct PostgresLocation: Hashable, Sendable, CustomStringConvertible {
    public enum TLSMode: String, Hashable, Sendable, CaseIterable {
        case disable, prefer, require, verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: Password?
    public var database: String
    public var schema: String
    public var tls: TLSMode
    public var poolSize: Int
    public var transactionTimeout: Duration

    /// A password that never prints.
    public struct Password: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        public let value: String
        public init(_ value: String) { self.value = value }
        public var description: String { "<redacted>" }
        public var debugDescription: String { "<redacted>" }
        public var customMirror: Mirror { Mirror(self, children: []) }
    }

    public static let defaultSchema = "atsgate"
    public static let defaultPoolSize = 10
    public static let defaultTransactionTimeout = Duration.seconds(120)

    /// Parses the URL; `environment` supplies `PGPASSWORD`.
    public init(url text: String, environment: [String: String]) throws(StoreError) {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"), let components = URLComponents(string: text) else {
            throw Self.invalid("is not a postgres://USER@HOST:PORT/DATABASE URL")
        }
        guard let host = components.host, !host.isEmpty else { throw Self.invalid("names no host") }
        guard let username = components.user, !username.isEmpty else { throw Self.invalid("names no user (postgres://USER@\(host)/DATABASE)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw Self.invalid("names no database (postgres://USER@\(host)/DATABASE)") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = username
        self.database = database
        self.password = (components.password ?? environment["PGPASSWORD"]).map(Password.init)
        self.schema = Self.defaultSchema
        self.tls = .prefer
        self.poolSize = Self.defaultPoolSize
        self.transactionTimeout = Self.defaultTransactionTimeout
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                switch value {
                case "disable", "allow": tls = .disable
                case "prefer": tls = .prefer
                case "require": tls = .require
                case "verify-ca", "verify-full": tls = .verifyFull
                default: throw Self.invalid("has sslmode=\(value); use disable, prefer, require or verify-full")
                }
            case "schema":
                guard Self.isPlainIdentifier(value) else {
                    throw Self.invalid("has schema=\(value); a schema name is lowercase letters, digits and _ (at most 63), not starting with a digit")
                }
                schema = value
            case "pool_size":
                guard let size = Int(value), (1...200).contains(size) else { throw Self.invalid("has pool_size=\(value); use 1 to 200") }
                poolSize = size
            case "transaction_timeout":
                guard let seconds = Int(value), (1...86_400).contains(seconds) else {
                    throw Self.invalid("has transaction_timeout=\(value); use whole seconds, 1 to 86400")
                }
                transactionTimeout = .seconds(seconds)
            default:
                throw Self.invalid("has an unknown option '\(item.name)'; known: sslmode, schema, pool_size, transaction_timeout")
            }
        }
    }

    /// The URL without its password, for logs, errors and reports.
    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database)?schema=\(schema)"
    }

    /// Where the server is, for messages that must not say more (`HOST:PORT`).
    public var server: String { "\(host):\(port)" }

    private static func invalid(_ problem: String) -> StoreError {
        StoreError(.invalidLocation, "--database: the PostgreSQL URL \(problem)")
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
