/// Every configured target, by name.
public struct TargetCatalog: Hashable, Sendable {
    public private(set) var targets: [TargetName: TargetConfiguration]

    public init(_ targets: [TargetConfiguration] = []) {
        self.targets = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    public subscript(name: TargetName) -> TargetConfiguration? { targets[name] }

    /// Enabled targets in name order: the default destinations of a qualified job.
    public var enabledTargets: [TargetName] {
        targets.values.filter(\.isEnabled).map(\.name).sorted()
    }

    public var allNames: [TargetName] { targets.keys.sorted() }
}
