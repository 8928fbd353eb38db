/// Why a qualification command was refused. Nothing was written.
public struct WorkflowError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        case jobNotFound
        case unknownTarget
        case targetDisabled
        case noEnabledTargets
        case jobNotOpen
        case noConnection
    }

    public var code: Code
    public var message: String
    /// The job refused, for `jobNotFound` and `jobNotOpen`: a bulk request names which of its jobs.
    public var jobID: JobID?

    public init(_ code: Code, _ message: String, jobID: JobID? = nil) {
        self.code = code
        self.message = message
        self.jobID = jobID
    }

    public var description: String { message }

    public static func jobNotFound(_ job: JobID, organisation: OrganisationID) -> Self {
        .init(.jobNotFound, "no job '\(job)' in organisation '\(organisation)'", jobID: job)
    }

    public static func unknownTarget(_ name: String, configured: [TargetName]) -> Self {
        let list = configured.isEmpty ? "none" : configured.map(\.rawValue).joined(separator: ", ")
        return .init(.unknownTarget, "unknown target '\(name)' (configured: \(list))")
    }

    public static func targetDisabled(_ name: TargetName) -> Self {
        .init(.targetDisabled, "target '\(name)' is disabled (enabled: false in connectors/\(name).yaml)")
    }

    public static let noEnabledTargets = Self(.noEnabledTargets, "no enabled targets: add one under connectors/ or set enabled: true")

    public static func noConnection(_ organisation: OrganisationID, target: TargetName) -> Self {
        .init(
            .noConnection,
            "organisation '\(organisation)' has no connection to target '\(target)', which requires one (connections: required in connectors/\(target).yaml); "
                + "add one with atsgate connections set --organisation \(organisation) --target \(target) --file FILE"
        )
    }

    /// Refuses a qualification for targets where `organisation` has no connection of its own
    /// and the target no default: its rows could only fail. `targets` empty means every enabled one.
    public static func checkConnections(
        of organisation: OrganisationID, to targets: [TargetName], catalog: TargetCatalog, store: any ConnectionStore
    ) async throws {
        for name in targets.isEmpty ? catalog.enabledTargets : targets {
            guard let target = catalog[name], !target.hasDefaultConnection else { continue }
            if try await store.connection(organisationID: organisation, target: name) == nil {
                throw noConnection(organisation, target: name)
            }
        }
    }

    public static func jobNotOpen(_ job: JobID, status: JobStatus) -> Self {
        .init(.jobNotOpen, "job '\(job)' is \(status.rawValue); only open jobs can be qualified", jobID: job)
    }
}
