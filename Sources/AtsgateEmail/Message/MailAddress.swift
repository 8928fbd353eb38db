import AtsgateCore

/// An address atsgate puts in an SMTP envelope and a header: an ASCII `local@domain` whose
/// local part is a dot-atom and whose domain is a host name, so it can never break a header
/// or an SMTP command. The display name is optional and encoded when written.
struct MailAddress: Hashable, Sendable {
    let address: String
    let displayName: String?

    /// `nil` for an address ``problem(with:)`` finds fault with.
    init?(_ address: String, displayName: String? = nil) {
        guard Self.problem(with: address) == nil else { return nil }
        self.address = address
        self.displayName = displayName.map(HeaderText.singleLine).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The part after `@`, lower-cased.
    var domain: String {
        address.split(separator: "@").last.map { $0.lowercased() } ?? ""
    }

    /// `Name <local@domain>`, or the bare address: how it appears in From and To.
    var headerForm: String {
        guard let displayName else { return address }
        return "\(HeaderText.phrase(displayName)) <\(address)>"
    }

    /// Why atsgate will not send to `text`; `nil` when it will.
    static func problem(with text: String) -> String? {
        guard EmailAddress.isValid(text), let at = text.lastIndex(of: "@") else { return "is not a valid email address" }
        guard text.unicodeScalars.allSatisfy(\.isASCII) else {
            return "has non-ASCII characters, which would need SMTPUTF8 (not supported)"
        }
        let localIsDotAtom = text[..<at].split(separator: ".", omittingEmptySubsequences: false)
            .allSatisfy { atom in !atom.isEmpty && atom.unicodeScalars.allSatisfy(HeaderText.isAtomText) }
        guard localIsDotAtom else { return "has a local part that would need quoting (not supported)" }
        let isHostName = text[text.index(after: at)...].unicodeScalars
            .allSatisfy { $0 == "." || $0 == "-" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
        guard isHostName else { return "has a domain that is not a host name" }
        return nil
    }
}
