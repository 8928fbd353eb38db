import ArgumentParser
import AtsgateCore
import Foundation

extension Atsgate {
    struct Secrets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "secrets",
            abstract: "The key connection secrets are sealed with.",
            subcommands: [Rotate.self]
        )
    }
}

extension Atsgate.Secrets {
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Seal every stored secret again under ATSGATE_SECRET_KEY, opening the old ones with ATSGATE_SECRET_KEY_PREVIOUS.",
            discussion: """
            All or nothing: a secret that opens with neither key stops the rotation (exit 2, naming it) and \
            nothing changes. Secrets already under the current key are left alone, so running it again is safe. \
            Afterwards ATSGATE_SECRET_KEY_PREVIOUS can be dropped.
            """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Who is rotating, for the audit log (default: $USER).")
        var by: String?

        struct Report: Encodable {
            var keyId: String
            var connections: Int
            var secrets: Int
        }

        func run() async throws {
            let keyring = try SecretKeyring(environment: global.environment)
            guard let current = keyring.currentKeyID else {
                throw KeyringError("rotating needs the new key in \(SecretKeyring.keyVariable) (and the old one in \(SecretKeyring.previousKeyVariable))")
            }
            let report = try await global.withStore { store in
                var resealed: [StoredConnection] = []
                var secrets = 0
                for connection in try await store.connections(organisationID: nil) where connection.secrets.values.contains(where: { $0.keyID != current }) {
                    var rotated = connection
                    for (key, sealed) in connection.secrets where sealed.keyID != current {
                        let secret = try keyring.open(sealed, name: key, of: connection.name)
                        rotated.secrets[key] = try keyring.seal(secret, name: key, of: connection.name)
                        secrets += 1
                    }
                    resealed.append(rotated)
                }
                if !resealed.isEmpty { try await store.resealSecrets(resealed, actor: by ?? Actor.current) }
                return Report(keyId: current, connections: resealed.count, secrets: secrets)
            }
            if output.json {
                try JSONOutput.print(report)
            } else {
                print("sealed \(report.secrets) secret\(report.secrets == 1 ? "" : "s") of \(report.connections) connection\(report.connections == 1 ? "" : "s") again under key \(report.keyId)")
            }
        }
    }
}
