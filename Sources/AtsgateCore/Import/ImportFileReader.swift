public import Foundation
import CSV

/// Reads an import file into unvalidated rows.
///
/// JSON files hold every entity (`{"organisations": […], "companies": […], …}`); a CSV file holds
/// one entity, named by the file (`companies.csv`, `jobs.csv`, …).
public struct ImportFileReader: Sendable {
    public init() {}

    public func records(fromFileAt path: String) throws(ImportError) -> [ImportRecord] {
        let name = (path as NSString).lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ImportError(issues: [ImportIssue(file: path, reason: "cannot read the file")])
        }
        switch (name as NSString).pathExtension.lowercased() {
        case "json":
            return try jsonRecords(data, file: path)
        case "csv":
            let stem = (name as NSString).deletingPathExtension.lowercased()
            guard let entity = ImportEntity(rawValue: stem) else {
                let names = ImportEntity.allCases.map { "\($0.rawValue).csv" }.joined(separator: ", ")
                throw ImportError(issues: [ImportIssue(file: path, reason: "cannot tell which entity the file holds; name it one of \(names)")])
            }
            return try csvRecords(data, entity: entity, file: path)
        default:
            throw ImportError(issues: [ImportIssue(file: path, reason: "unsupported file type; expected .json or .csv")])
        }
    }

    // MARK: - JSON

    public func jsonRecords(_ data: Data, file: String) throws(ImportError) -> [ImportRecord] {
        let document: [String: JSONEntityRows]
        do {
            document = try JSONDecoder().decode([String: JSONEntityRows].self, from: data)
        } catch {
            throw ImportError(issues: [ImportIssue(file: file, reason: "is not a JSON object of entity arrays: \(Self.describe(error))")])
        }
        var records: [ImportRecord] = []
        var issues: [ImportIssue] = []
        for key in document.keys.sorted() {
            guard let entity = ImportEntity(rawValue: key) else {
                let names = ImportEntity.allCases.map(\.rawValue).joined(separator: ", ")
                issues.append(ImportIssue(file: file, reason: "unknown top-level key '\(key)' (expected: \(names))"))
                continue
            }
            guard case .rows(let rows)? = document[key] else {
                issues.append(ImportIssue(file: file, reason: "'\(key)' must be an array of objects"))
                continue
            }
            for (index, row) in rows.enumerated() {
                let location = ImportLocation(file: file, entity: entity, row: index, style: .jsonIndex)
                switch row {
                case .object(let fields):
                    records.append(ImportRecord(location: location, fields: fields))
                case .notAnObject:
                    issues.append(ImportIssue(location: location, field: nil, reason: "must be a JSON object"))
                }
            }
        }
        guard issues.isEmpty else { throw ImportError(issues: issues) }
        return records
    }

    private static func describe(_ error: any Error) -> String {
        guard let decodingError = error as? DecodingError else { return String(describing: error) }
        switch decodingError {
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context):
            return context.debugDescription
        @unknown default:
            return String(describing: decodingError)
        }
    }

    // MARK: - CSV

    public func csvRecords(_ data: Data, entity: ImportEntity, file: String) throws(ImportError) -> [ImportRecord] {
        guard let text = String(data: data, encoding: .utf8) else {
            throw ImportError(issues: [ImportIssue(file: file, reason: "is not UTF-8 text")])
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: true)
        } catch {
            throw ImportError(issues: [ImportIssue(file: file, reason: "is not valid CSV: \(error)")])
        }
        guard let header = reader.headerRow?.map({ $0.trimmingCharacters(in: .whitespaces) }), !header.isEmpty else {
            throw ImportError(issues: [ImportIssue(file: file, reason: "has no header row")])
        }
        var issues: [ImportIssue] = []
        let allowed = DatasetParser.fields(of: entity)
        for column in header where !allowed.contains(column) {
            issues.append(ImportIssue(
                location: ImportLocation(file: file, entity: entity, row: 1, style: .csvRow),
                field: column,
                reason: "unknown column (expected some of: \(allowed.sorted().joined(separator: ", ")))"
            ))
        }
        if Set(header).count != header.count {
            issues.append(ImportIssue(file: file, reason: "the header names a column twice"))
        }
        var records: [ImportRecord] = []
        var rowNumber = 1
        while let row = reader.next() {
            rowNumber += 1
            let location = ImportLocation(file: file, entity: entity, row: rowNumber, style: .csvRow)
            if row.allSatisfy({ $0.isEmpty }) { continue }
            guard row.count == header.count else {
                issues.append(ImportIssue(location: location, field: nil, reason: "has \(row.count) cells, the header has \(header.count)"))
                continue
            }
            var fields: [String: ImportValue] = [:]
            for (column, cell) in zip(header, row) where allowed.contains(column) {
                fields[column] = cell.isEmpty ? .null : .string(cell)
            }
            records.append(ImportRecord(location: location, fields: fields))
        }
        if let error = reader.error {
            issues.append(ImportIssue(file: file, reason: "is not valid CSV after row \(rowNumber): \(error)"))
        }
        guard issues.isEmpty else { throw ImportError(issues: issues) }
        return records
    }
}

/// The value of one top-level key of a JSON import file.
enum JSONEntityRows: Decodable {
    enum Row: Decodable {
        case object([String: ImportValue])
        case notAnObject

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let object = try? container.decode([String: ImportValue].self) {
                self = .object(object)
            } else {
                self = .notAnObject
            }
        }
    }

    case rows([Row])
    case notAnArray

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let rows = try? container.decode([Row].self) {
            self = .rows(rows)
        } else {
            self = .notAnArray
        }
    }
}
