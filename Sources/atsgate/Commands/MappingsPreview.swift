import ArgumentParser
import AtsgateCore
import Foundation

extension Atsgate.Mappings {
    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the payloads a target's mapping produces for a job, entity by entity.",
            discussion: """
            Shows every entity of the mapping: `company`, `job`, and `contact` once per decision maker and \
            hiring manager. A mapping failure (a required field empty) is printed as the delivery would record it, \
            with exit 1.
            """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var organisation: OrganisationOption

        @Option(help: ArgumentHelp("The job's CRM id.", valueName: "job"))
        var job: String

        @Option(help: "The target whose mapping to apply.")
        var target: TargetName

        func run() async throws {
            let catalog = try global.loadTargets()
            guard let configuration = catalog[target] else {
                throw WorkflowError.unknownTarget(target.rawValue, configured: catalog.allNames)
            }
            guard Check.usesMapping(configuration.kind) else {
                throw ValidationError("target '\(target)' is a \(configuration.kind.rawValue) target, which has no field mapping")
            }
            let mapping = try MappingLoader(configurationDirectory: global.configurationDirectory).load(configuration.mapping)
            let organisationID = try organisation.resolve()
            guard let snapshot = try await global.openStore().jobSnapshot(organisationID: organisationID, jobID: JobID(job)) else {
                throw WorkflowError.jobNotFound(JobID(job), organisation: organisationID)
            }
            let engine = MappingEngine(mapping: mapping)
            var preview: [String: MappedValue] = [:]
            do throws(ConnectorError) {
                for entity in mapping.entities.keys.sorted() {
                    if entity == "contact" {
                        let contacts = snapshot.decisionMakers + snapshot.hiringManagers.filter { manager in !snapshot.decisionMakers.contains(manager) }
                        preview[entity] = .array(try contacts.map { person throws(ConnectorError) in .object(try engine.map(entity, snapshot: snapshot, person: person)) })
                    } else {
                        preview[entity] = .object(try engine.map(entity, snapshot: snapshot))
                    }
                }
            } catch {
                FileHandle.standardError.write(Data("atsgate: \(error)\n".utf8))
                throw ExitCode(CommandFailure.Code.problemsFound)
            }
            try JSONOutput.print(MappedValue.object(preview), keepingKeys: true)
        }
    }
}
