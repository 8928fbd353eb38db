/// Why a qualification command was refused. Nothing was written.
public struct WorkflowError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        case jobNotFound
        case unknownTarget
        case targetDisabled
        case noEnabledTargets
        case jobNotOpen
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func jobNotFound(_ job: JobID, organisation: OrganisationID) -> Self {
        .init(.jobNotFound, "no job '\(job)' in organisation '\(organisation)'")
    }

    public static func unknownTarget(_ name: String, configured: [TargetName]) -> Self {
        let list = configured.isEmpty ? "none" : configured.map(\.rawValue).joined(separator: ", ")
        return .init(.unknownTarget, "unknown target '\(name)' (configured: \(list))")
    }

    public static func targetDisabled(_ name: TargetName) -> Self {
        .init(.targetDisabled, "target '\(name)' is disabled (enabled: false in connectors/\(name).yaml)")
    }

    public static let noEnabledTargets = Self(.noEnabledTargets, "no enabled targets: add one under connectors/ or set enabled: true")

    public static func jobNotOpen(_ job: JobID, status: JobStatus) -> Self {
        .init(.jobNotOpen, "job '\(job)' is \(status.rawValue); only open jobs can be qualified")
    }
}
