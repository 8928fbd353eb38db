public import ArgumentParser
public import AtsgateCore
import AtsgateServer
import Foundation

extension Atsgate {
    struct APIKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "api-keys",
            abstract: "Create, list and revoke the API keys of `atsgate serve`.",
            subcommands: [Create.self, List.self, Revoke.self]
        )
    }
}

extension APIRole: ExpressibleByArgument {}

extension Atsgate.APIKeys {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a key and print it once: only its SHA-256 is stored.",
            discussion: """
            A key acts within its organisation only. crm: writes CRM data and decisions; operator: replays, \
            cancels and reconciles; reader: reads. Every role reads.
            """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var organisation: OrganisationOption
        @OptionGroup var output: OutputOptions

        @Option(help: "crm, operator or reader.")
        var role: APIRole

        @Option(help: "A name for people: who or what uses the key.")
        var name: String?

        @Option(help: "Who creates it, for the audit log (default: $USER).")
        var by: String?

        func run() async throws {
            let organisationID = try organisation.resolve()
            let (key, record) = AtsgateServer.APIKeys.make(organisationID: organisationID, role: role, name: name, createdBy: by ?? Actor.current, now: Date())
            try await global.withStore { try await $0.createAPIKey(record) }
            if output.json {
                try JSONOutput.print(APIKeyReport(record, key: key))
            } else {
                print("created \(record.role.rawValue) key \(record.id) for organisation \(organisationID); it is shown only now:")
                print(key)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List keys (never the keys themselves).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Only this organisation's keys.")
        var organisation: String?

        func run() async throws {
            let keys = try await global.withStore { try await $0.apiKeys(organisationID: organisation.map { OrganisationID($0) }) }
            if output.json {
                try JSONOutput.print(keys.map { APIKeyReport($0) })
                return
            }
            guard !keys.isEmpty else {
                print("no API keys")
                return
            }
            var table = TextTable(["KEY", "ORGANISATION", "ROLE", "NAME", "CREATED", "BY", "REVOKED"])
            for key in keys {
                table.append([
                    key.id, key.organisationID.rawValue, key.role.rawValue, key.name ?? "-", key.createdAt.isoText, key.createdBy,
                    key.revokedAt?.isoText ?? "-",
                ])
            }
            print(table.render())
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a key: the next request with it is refused.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The key's id (ak_…, from `api-keys list`).")
        var id: String

        @Option(help: "Who revokes it, for the audit log (default: $USER).")
        var by: String?

        func run() async throws {
            guard let key = try await global.withStore({ try await $0.revokeAPIKey(id: id, actor: by ?? Actor.current, now: Date()) }) else {
                throw ValidationError("there is no API key '\(id)'")
            }
            print("revoked \(key.role.rawValue) key \(key.id) of organisation \(key.organisationID)")
        }
    }
}

/// A key as `api-keys list --json` shows it; `key` only when it was just created.
struct APIKeyReport: Encodable {
    var id: String
    var organisationId: String
    var role: String
    var name: String?
    var createdAt: Date
    var createdBy: String
    var revokedAt: Date?
    var key: String?

    init(_ record: APIKeyRecord, key: String? = nil) {
        id = record.id
        organisationId = record.organisationID.rawValue
        role = record.role.rawValue
        name = record.name
        createdAt = record.createdAt
        createdBy = record.createdBy
        revokedAt = record.revokedAt
        self.key = key
    }
}
