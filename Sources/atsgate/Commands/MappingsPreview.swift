public import ArgumentParser
public import AtsgateCore
import AtsgateEmail
import Foundation

extension Atsgate.Mappings {
    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "preview",
            abstract: "Print the exact requests a delivery of a job to a target would send, without sending anything.",
            discussion: """
            The operation is the job's outbox row's (create when there is none), or --operation. Ids the target \
            already gave atsgate (external_refs) are used; ids it would give during the delivery appear as \
            <placeholders>, and requests that depend on what the target holds say so. A mapping failure (a \
            required field empty) is printed as the delivery would record it, with exit 1. Targets whose \
            connector cannot list its requests print the mapped payload of each entity instead.
            """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var organisation: OrganisationOption
        @OptionGroup var output: OutputOptions

        @Option(help: ArgumentHelp("The job's CRM id.", valueName: "job"))
        var job: String

        @Option(help: "The target whose mapping to apply.")
        var target: TargetName

        @Option(help: "create, update or close (default: the outbox row's operation, else create).")
        var operation: SubmissionOperation?

        func run() async throws {
            let catalog = try global.loadTargets()
            guard let configuration = catalog[target] else {
                throw WorkflowError.unknownTarget(target.rawValue, configured: catalog.allNames)
            }
            guard Check.usesMapping(configuration.kind) || configuration.kind == .email else {
                throw ValidationError("target '\(target)' is a \(configuration.kind.rawValue) target, which has no field mapping")
            }
            let organisationID = try organisation.resolve()
            try await global.withStore { store in
                guard let snapshot = try await store.jobSnapshot(organisationID: organisationID, jobID: JobID(job)) else {
                    throw WorkflowError.jobNotFound(JobID(job), organisation: organisationID)
                }
                let row = try await store.outboxEntries(matching: OutboxFilter(organisationID: organisationID, target: target, jobID: JobID(job))).first
                let request = SubmissionRequest(
                    operation: operation ?? row?.operation ?? .create, snapshot: snapshot, externalID: row?.externalID,
                    references: try await store.remoteReferences(organisationID: organisationID, companyID: snapshot.company.id, target: target)
                )
                let factory = ConnectorFactory(environment: [:], client: .shared, configurationDirectory: global.configurationDirectory)
                if let email = try factory.connector(for: configuration) as? EmailConnector {
                    // The message as it would go out: headers and both MIME parts.
                    print(try Self.reportingMappingFailure { () throws(ConnectorError) in try email.renderedMessage(for: request) })
                } else if let connector = try factory.connector(for: configuration) as? any RequestPreviewing {
                    let planned = try Self.reportingMappingFailure { () throws(ConnectorError) in try connector.plannedRequests(for: request) }
                    if output.json {
                        try JSONOutput.print(planned.map(PlannedRequestReport.init), keepingKeys: true)
                    } else {
                        print(PlannedRequestText.render(planned, target: configuration, request: request))
                    }
                } else {
                    let engine = MappingEngine(mapping: try MappingLoader(configurationDirectory: global.configurationDirectory).load(configuration.mapping))
                    let payloads = try Self.reportingMappingFailure { () throws(ConnectorError) in try Self.payloads(engine, snapshot) }
                    try JSONOutput.print(MappedValue.object(payloads), keepingKeys: true)
                }
            }
        }

        /// A mapping failure is printed as the delivery would record it, with exit 1.
        static func reportingMappingFailure<Value>(_ body: () throws(ConnectorError) -> Value) throws -> Value {
            do {
                return try body()
            } catch {
                FileHandle.standardError.write(Data("atsgate: \(error)\n".utf8))
                throw ExitCode(CommandFailure.Code.problemsFound)
            }
        }

        /// Every entity of the mapping; `contact` once per decision maker and hiring manager.
        static func payloads(_ engine: MappingEngine, _ snapshot: JobSnapshot) throws(ConnectorError) -> [String: MappedValue] {
            var payloads: [String: MappedValue] = [:]
            for entity in engine.mapping.entities.keys.sorted() {
                if entity == "contact" {
                    let contacts = snapshot.decisionMakers + snapshot.hiringManagers.filter { manager in !snapshot.decisionMakers.contains(manager) }
                    payloads[entity] = .array(try contacts.map { person throws(ConnectorError) in .object(try engine.map(entity, snapshot: snapshot, person: person)) })
                } else {
                    payloads[entity] = .object(try engine.map(entity, snapshot: snapshot))
                }
            }
            return payloads
        }
    }
}

extension SubmissionOperation: ExpressibleByArgument {}

/// `--json`: one object per request.
struct PlannedRequestReport: Encodable {
    var method: String
    var path: String
    var condition: String?
    var body: MappedValue?

    init(_ request: PlannedRequest) {
        method = request.method
        path = request.path
        condition = request.condition
        body = request.body
    }
}

/// The requests for people: method and path, the condition, the JSON body.
enum PlannedRequestText {
    static func render(_ planned: [PlannedRequest], target: TargetConfiguration, request: SubmissionRequest) -> String {
        var lines = ["# \(request.operation.rawValue) of job \(request.snapshot.job.id) at target '\(target.name)' (\(target.kind.rawValue)): \(planned.count) request(s), nothing sent"]
        if case .loxo(let settings) = target.settings {
            lines.append("# every path is below \(settings.baseURL)/api/\(settings.agencySlug), with Authorization: Bearer $\(settings.apiKeyEnvironmentVariable)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        for (index, request) in planned.enumerated() {
            lines.append("")
            lines.append("\(index + 1). \(request.method) \(request.path)")
            if let readable = request.path.removingPercentEncoding, readable != request.path {
                lines.append("   (decoded: \(readable))")
            }
            if let condition = request.condition { lines.append("   (\(condition))") }
            if let body = request.body, let data = try? encoder.encode(body) {
                lines.append(String(decoding: data, as: UTF8.self).split(separator: "\n").map { "   \($0)" }.joined(separator: "\n"))
            }
        }
        return lines.joined(separator: "\n")
    }
}
