import Foundation
import LedgerModel
import Testing

@testable import Targets

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

    @Test("a supplier goes as the ContactGuid validation found; one it did not find is refused, not sent as a name")
    func supplier() throws {
        func purchase(_ contact: ContactReference) -> Document {
            Document(
                kind: .purchaseVoucher, reference: "r", date: LocalDate(year: 2026, month: 3, day: 1)!, currency: .dkk,
                description: "x",
                purchase: PurchaseTerms(
                    payment: .credit, contact: contact, paymentDate: LocalDate(year: 2026, month: 4, day: 1)!),
                lines: [
                    DocumentLine(
                        description: "x", account: 2750, amount: Money(minorUnits: 100, currency: .dkk),
                        vat: .code("I25"),
                        row: SourceRow(record: 1, line: 2))
                ], provenance: Provenance(file: "f.csv", rows: [SourceRow(record: 1, line: 2)]))
        }
        let id = "11111111-1111-4111-8111-111111111111"
        let wire = try DineroTranslation.wire(purchase(ContactReference(name: "Acme ApS", id: id)))
        let body = try #require(try JSONSerialization.jsonObject(with: wire) as? [String: Any])
        #expect(body["ContactGuid"] as? String == id)
        #expect(throws: TargetError.self) { try DineroTranslation.wire(purchase(ContactReference(name: "Acme ApS"))) }
        // A contact's id is derived from the organization and its key: stable, and per organization.
        let contact = DineroTranslation.contactID(organization: 1, key: "vat:DK12345678")
        #expect(contact == DineroTranslation.contactID(organization: 1, key: "vat:DK12345678"))
        #expect(contact != DineroTranslation.contactID(organization: 2, key: "vat:DK12345678"))
        #expect(UUID(uuidString: contact) != nil)
    }
}
