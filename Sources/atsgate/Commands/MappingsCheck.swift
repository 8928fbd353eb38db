import ArgumentParser
import AsyncHTTPClient
import AtsgateCore
import Foundation

extension Atsgate.Mappings {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate every mappings/*.yaml and email template, and that each enabled ATS target's mapping exists (exit 2 naming file, line and field).",
            discussion: """
            A target's connector also checks what it needs beyond plain fields (Loxo: the job field fed by \
            `marker`, and a `job_status_id` table). Nothing is sent anywhere.
            """
        )

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let catalog = try global.loadTargets()
            let loader = MappingLoader(configurationDirectory: global.configurationDirectory)
            let mappings = try loader.loadAll()
            var errors: [ConfigurationError] = []
            let factory = ConnectorFactory(environment: [:], client: .shared, configurationDirectory: global.configurationDirectory)
            // Email targets have templates, not a field mapping: building the connector loads and checks them.
            for target in catalog.targets.values.sorted(by: { $0.name < $1.name }) where target.isEnabled && target.kind == .email {
                do throws(ConfigurationError) {
                    _ = try factory.connector(for: target)
                } catch {
                    errors.append(error)
                }
            }
            for target in catalog.targets.values.sorted(by: { $0.name < $1.name }) where target.isEnabled && Self.usesMapping(target.kind) {
                guard mappings.contains(where: { $0.file == "mappings/\(target.mapping)" }) else {
                    errors.append(ConfigurationError(
                        file: "connectors/\(target.name).yaml", field: "mapping",
                        reason: "names mappings/\(target.mapping), which does not exist"
                    ))
                    continue
                }
                do throws(ConfigurationError) {
                    _ = try factory.connector(for: target)
                } catch {
                    errors.append(error)
                }
            }
            guard errors.isEmpty else { throw ConfigurationErrors(errors) }
            for mapping in mappings {
                let fields = mapping.entities.values.map(\.fields.count).reduce(0, +)
                print("ok  \(mapping.file): \(mapping.entities.keys.sorted().joined(separator: ", ")) (\(fields) fields)")
            }
        }

        /// Email bodies come from templates and webhooks send the whole job document; only the ATS kinds map fields.
        static func usesMapping(_ kind: TargetKind) -> Bool {
            kind == .loxo || kind == .bullhorn
        }
    }
}
