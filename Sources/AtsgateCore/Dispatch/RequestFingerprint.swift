import Foundation

/// A stable hash of what a connector was asked to send, stored with each attempt so an
/// operator can tell whether two attempts sent the same thing. FNV-1a 64 over the request's
/// canonical JSON: change detection, not security.
enum RequestFingerprint {
    /// What goes over the wire: not whether an earlier attempt's outcome was unknown.
    struct Sent: Encodable {
        var operation: SubmissionOperation
        var externalID: String?
        var snapshot: JobSnapshot

        init(_ request: SubmissionRequest) {
            operation = request.operation
            externalID = request.externalID
            snapshot = request.snapshot
        }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static func of<Value: Encodable>(_ value: Value) -> String {
        guard let data = try? encoder.encode(value) else { return "unencodable" }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16)
    }
}
