import AtsgateCore

/// The Message-ID of what atsgate sends: `<atsgate.ORG.JOB.WHAT.HASH@FROM-DOMAIN>`.
///
/// It is deterministic on purpose. SMTP has no idempotency key, so a message whose acceptance
/// we never heard about (a crash or a timeout after the end of DATA) is sent again on the next
/// attempt; the copy carries the same Message-ID, which is what receivers that suppress
/// duplicates go by (Gmail within a mailbox, Sieve `duplicate`, Cyrus duplicate delivery
/// suppression, `formail -D`). The id changes exactly when the content is meant to: another
/// operation, another job version, another target. The readable parts are shortened and made
/// safe for a `dot-atom`; the hash over the exact values keeps shortened ids apart.
enum MessageID {
    static func forSubmission(target: TargetName, marker: JobMarker, operation: SubmissionOperation, version: Int, domain: String) -> String {
        let parts = ["job", target.rawValue, marker.organisationID.rawValue, marker.jobID.rawValue, operation.rawValue, String(version)]
        return make(
            readable: [marker.organisationID.rawValue, marker.jobID.rawValue, operation.rawValue, "v\(version)"],
            hashing: parts, domain: domain
        )
    }

    /// One notification row is one message: its id is unique on (job, person, type).
    static func forNotification(target: TargetName, _ request: NotificationRequest, domain: String) -> String {
        let marker = request.snapshot.marker
        let parts = ["notification", target.rawValue, marker.organisationID.rawValue, marker.jobID.rawValue,
                     request.recipient.id.rawValue, request.type.rawValue, String(request.notificationID)]
        return make(
            readable: [marker.organisationID.rawValue, marker.jobID.rawValue, request.type.rawValue, "n\(request.notificationID)"],
            hashing: parts, domain: domain
        )
    }

    /// Whether `text` is a single `<left@right>` msg-id atsgate may repeat in In-Reply-To.
    static func isWellFormed(_ text: String) -> Bool {
        guard text.hasPrefix("<"), text.hasSuffix(">"), text.count <= 250 else { return false }
        let inner = text.dropFirst().dropLast()
        let halves = inner.split(separator: "@", omittingEmptySubsequences: false)
        return halves.count == 2 && halves.allSatisfy { half in
            !half.isEmpty && half.unicodeScalars.allSatisfy { $0 == "." || HeaderText.isAtomText($0) }
        }
    }

    private static func make(readable: [String], hashing parts: [String], domain: String) -> String {
        let left = (["atsgate"] + readable.map(token) + [fnv1a64(parts.joined(separator: "\u{0}"))]).joined(separator: ".")
        return "<\(left)@\(domain)>"
    }

    /// Letters, digits, `-` and `_`; anything else becomes `_`; at most 32 characters.
    private static func token(_ text: String) -> String {
        let safe = String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-") ? scalar : "_"
        }))
        return safe.isEmpty ? "_" : String(safe.prefix(32))
    }

    static func fnv1a64(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
