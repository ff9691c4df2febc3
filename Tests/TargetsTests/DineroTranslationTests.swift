import Foundation
import Targets
import Testing

@Suite("Dinero's words for documents")
struct DineroTranslationTests {
    @Test("ledger item ids are GUIDs derived from the reference, the same every time")
    func ledgerItemIDs() {
        let id = DineroTranslation.ledgerItemID(reference: "ll1-abc")
        #expect(id == DineroTranslation.ledgerItemID(reference: "ll1-abc"))
        #expect(id != DineroTranslation.ledgerItemID(reference: "ll1-abd"))
        #expect(UUID(uuidString: id) != nil)
        #expect(Array(id)[14] == "5")
    }
}
