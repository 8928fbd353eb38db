import AtsgateCore
import AtsgateSQLite
import AtsgateTesting
import Foundation
import Testing

/// The storage engines the conformance suite runs against; every case of the suite runs once per engine.
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case memory

    var testDescription: String { rawValue }

    /// A fresh, empty store of this engine, removed when the returned value goes away.
    func open() throws -> StoreFixture {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atsgate-conformance-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let store = try SQLiteStore.open(path: directory.appendingPathComponent("test.sqlite").path)
            return StoreFixture(store: store) { try? FileManager.default.removeItem(at: directory) }
        case .memory:
            return StoreFixture()
        }
    }
}

/// The root of the conformance suite: `swift test --filter StoreConformance` runs all of it.
@Suite("StoreConformance")
struct StoreConformance {}
