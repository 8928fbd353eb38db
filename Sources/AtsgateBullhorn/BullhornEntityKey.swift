import AtsgateCore

/// The `externalID` atsgate gives the ClientCorporations and ClientContacts it creates, and finds
/// them by before creating another (ATS_APIS.md B8).
///
/// Those fields hold at most 30 characters (B3), too few for every `atsgate:<organisation>:<id>`,
/// so the key is that text when it fits, and otherwise `atsgate~` and a 64-bit hash of the same
/// parts (FNV-1a; not a secret, only a stable short name). Either way it carries the organisation:
/// two tenants' `cmp-001` never meet at a shared Bullhorn.
struct BullhornEntityKey: Hashable, Sendable, CustomStringConvertible {
    static let maximumLength = 30

    let description: String

    static func company(_ company: Company) -> Self {
        Self(organisationID: company.organisationID.rawValue, localID: company.id.rawValue)
    }

    static func contact(_ person: Person) -> Self {
        Self(organisationID: person.organisationID.rawValue, localID: person.id.rawValue)
    }

    init(organisationID: String, localID: String) {
        let readable = "atsgate:\(organisationID):\(localID)"
        guard readable.count > Self.maximumLength else {
            description = readable
            return
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(organisationID)\u{0}\(localID)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(hash, radix: 16)
        description = "atsgate~" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
