/// The kinds of rows an import file holds, in the order they are applied.
public enum ImportEntity: String, Hashable, Sendable, CaseIterable, Comparable {
    case organisations
    case companies
    case people
    case associations
    case jobs

    /// Referenced entities come first, so a row can point at one defined earlier.
    private var applyOrder: Int {
        switch self {
        case .organisations: 0
        case .companies: 1
        case .people: 2
        case .associations: 3
        case .jobs: 4
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.applyOrder < rhs.applyOrder }
}

/// Where a row came from, for error messages: `crm.json: jobs[12]` or `jobs.csv: row 13`.
public struct ImportLocation: Hashable, Sendable, CustomStringConvertible {
    public enum Style: Hashable, Sendable {
        /// 0-based index into the entity's JSON array.
        case jsonIndex
        /// 1-based row of the CSV file, counting the header as row 1.
        case csvRow
    }

    public var file: String
    public var entity: ImportEntity
    public var row: Int
    public var style: Style

    public init(file: String, entity: ImportEntity, row: Int, style: Style) {
        self.file = file
        self.entity = entity
        self.row = row
        self.style = style
    }

    public var description: String {
        switch style {
        case .jsonIndex: "\(file): \(entity.rawValue)[\(row)]"
        case .csvRow: "\(file): row \(row)"
        }
    }
}

/// One unvalidated row and where it came from.
public struct ImportRecord: Hashable, Sendable {
    public var location: ImportLocation
    public var fields: [String: ImportValue]

    public init(location: ImportLocation, fields: [String: ImportValue]) {
        self.location = location
        self.fields = fields
    }
}

/// One thing wrong with an import: the file, row, field and reason.
public struct ImportIssue: Hashable, Sendable, CustomStringConvertible {
    /// `nil` when the whole file is wrong (unreadable, not JSON, unknown entity).
    public var location: ImportLocation?
    public var file: String
    public var field: String?
    public var reason: String

    public init(location: ImportLocation, field: String?, reason: String) {
        self.location = location
        self.file = location.file
        self.field = field
        self.reason = reason
    }

    public init(file: String, reason: String) {
        self.location = nil
        self.file = file
        self.field = nil
        self.reason = reason
    }

    public var description: String {
        let place = location?.description ?? file
        if let field {
            return "\(place): field '\(field)': \(reason)"
        }
        return "\(place): \(reason)"
    }
}

/// An import that was refused. Nothing of it was stored.
public struct ImportError: Error, Hashable, Sendable, CustomStringConvertible {
    public var issues: [ImportIssue]

    public init(issues: [ImportIssue]) {
        self.issues = issues
    }

    /// How many issues `description` lists before summarising the rest.
    public static let listedIssueLimit = 50

    public var description: String {
        let listed = issues.prefix(Self.listedIssueLimit).map { "  \($0)" }
        var lines = ["import refused, nothing was stored (\(issues.count) problem\(issues.count == 1 ? "" : "s")):"] + listed
        if issues.count > Self.listedIssueLimit {
            lines.append("  … and \(issues.count - Self.listedIssueLimit) more")
        }
        return lines.joined(separator: "\n")
    }
}
