@testable import AtsgateBullhorn
import AtsgateCore
import Testing

@Suite("Short external ids for Bullhorn companies and contacts")
struct BullhornEntityKeyTests {
    @Test("The readable key when it fits 30 characters, a hashed one otherwise; both carry the organisation")
    func keys() {
        let short = BullhornEntityKey(organisationID: "org-northwind", localID: "cmp-001")
        #expect(short.description == "atsgate:org-northwind:cmp-001")
        let long = BullhornEntityKey(organisationID: "org-a-very-long-organisation", localID: "cmp-001")
        #expect(long.description.hasPrefix("atsgate~"))
        #expect(long.description.count <= BullhornEntityKey.maximumLength)
        #expect(long == BullhornEntityKey(organisationID: "org-a-very-long-organisation", localID: "cmp-001"))
        #expect(long != BullhornEntityKey(organisationID: "org-a-very-long-organisatio", localID: "ncmp-001"))
        #expect(BullhornEntityKey(organisationID: "org-b", localID: "cmp-001") != BullhornEntityKey(organisationID: "org-a", localID: "cmp-001"))
    }
}
