import Foundation
import LedgerModel
import Testing

/// `Document` keeps its rarely used fields (attachment, purchase terms, declared VAT) in one
/// box; these tests hold it to behaving exactly as plain stored properties did.
@Suite("Document: the boxed fields")
struct DocumentModelTests {
    static let dkk = Currency(code: "DKK")!
    static let date = LocalDate(year: 2026, month: 3, day: 1)!

    static func document(
        attachment: String? = nil, purchase: PurchaseTerms? = nil, declaredVat: DeclaredVat? = nil
    ) -> Document {
        Document(
            kind: purchase == nil ? .ledgerItem : .purchaseVoucher, reference: "ll1-test", date: date, currency: dkk,
            description: "Kaffe", attachment: attachment, purchase: purchase,
            lines: [
                DocumentLine(
                    description: "Kaffe", account: "2750", amount: Money(minorUnits: 4500, currency: dkk),
                    vat: .code("I25"),
                    row: SourceRow(record: 1, line: 2))
            ],
            provenance: Provenance(file: "in.csv", first: SourceRow(record: 1, line: 2)), declaredVat: declaredVat)
    }

    static let purchase = PurchaseTerms(payment: .cash, depositAccount: "5500", region: .denmark)
    static let declared = DeclaredVat(
        gross: Money(minorUnits: 4500, currency: dkk), vat: Money(minorUnits: 900, currency: dkk), code: "I25")

    static func json(_ document: Document) throws -> String {
        String(decoding: try JSONEncoder().encode(document), as: UTF8.self)
    }

    @Test("each boxed field reads back what was set, alone or with the others, and clears")
    func readWrite() {
        var document = Self.document()
        #expect(document.attachment == nil && document.purchase == nil && document.declaredVat == nil)
        document.attachment = "receipts/kaffe.pdf"
        #expect(document.attachment == "receipts/kaffe.pdf" && document.purchase == nil)
        document.purchase = Self.purchase
        document.declaredVat = Self.declared
        #expect(document.attachment == "receipts/kaffe.pdf")
        #expect(document.purchase == Self.purchase && document.declaredVat == Self.declared)
        document.purchase?.depositAccount = "5510"
        #expect(document.purchase?.depositAccount == "5510")
        document.attachment = nil
        document.purchase = nil
        document.declaredVat = nil
        #expect(document == Self.document(), "a document emptied again equals one never given the fields")
        #expect(document.hashValue == Self.document().hashValue)
    }

    @Test("a copy is a value: changing it leaves the original alone")
    func valueSemantics() {
        let original = Self.document(attachment: "a.pdf", purchase: Self.purchase)
        var copy = original
        copy.attachment = "b.pdf"
        copy.purchase?.payment = .credit
        #expect(original.attachment == "a.pdf" && original.purchase?.payment == .cash)
        #expect(copy.attachment == "b.pdf" && copy.purchase?.payment == .credit)
        #expect(copy != original)
    }

    /// `Document` as it was before the box: plain stored properties, synthesized Codable.
    struct Unboxed: Codable {
        var kind: DocumentKind
        var reference: String
        var date: LocalDate
        var currency: Currency
        var description: String?
        var voucherNumber: Int?
        var attachment: String?
        var purchase: PurchaseTerms?
        var lines: [DocumentLine]
        var provenance: Provenance
        var declaredVat: DeclaredVat?

        init(_ d: Document) {
            (kind, reference, date, currency, description, voucherNumber) =
                (d.kind, d.reference, d.date, d.currency, d.description, d.voucherNumber)
            (attachment, purchase, lines, provenance, declaredVat) =
                (d.attachment, d.purchase, d.lines, d.provenance, d.declaredVat)
        }
    }

    @Test(
        "JSON is byte for byte what plain stored properties gave, and decodes both ways",
        arguments: [
            document(), document(attachment: "r.pdf"), document(purchase: purchase),
            document(attachment: "r.pdf", purchase: purchase, declaredVat: declared),
        ])
    func json(_ document: Document) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let boxed = try encoder.encode(document)
        let unboxed = try encoder.encode(Unboxed(document))
        #expect(boxed == unboxed, "\(String(decoding: boxed, as: UTF8.self))")
        #expect(try JSONDecoder().decode(Document.self, from: unboxed) == document)
        let back = try JSONDecoder().decode(Unboxed.self, from: boxed)
        #expect(back.attachment == document.attachment && back.purchase == document.purchase)
        #expect(back.declaredVat == document.declaredVat && back.lines == document.lines)
    }

    @Test("a line's JSON has exactly its seven fields, as state files written before hold them")
    func lineKeys() throws {
        let line = DocumentLine(
            description: "Husleje", account: 3400, balancingAccount: 5500,
            amount: Money(minorUnits: 1_250_000, currency: .dkk), vat: .code("I25"), balancingVat: VatSpec.none,
            row: SourceRow(record: 4, line: 5))
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(line)) as? [String: Any]
        #expect(
            Set(object?.keys.map { $0 } ?? [])
                == ["description", "account", "balancingAccount", "amount", "vat", "balancingVat", "row"])
        #expect(try JSONDecoder().decode(DocumentLine.self, from: JSONEncoder().encode(line)) == line)
    }

    @Test("a document fits in 128 bytes, so moving one stays a few inline loads and stores")
    func documentSize() {
        // Past 128 bytes, every move of a document (about ten a row between a mapping thread and
        // the report) became a call to `memcpy`: see the comment on `Document`'s properties.
        #if arch(x86_64) || arch(arm64)
            #expect(MemoryLayout<Document>.size <= 128)
            #expect(MemoryLayout<DocumentReference>.size <= 18)
        #endif
    }
}

@Suite("Document initializers")
struct DocumentInitializerTests {
    @Test("a document made without rare fields equals one made with them all nil")
    func withoutRareFields() {
        let line = DocumentLine(
            description: "x", account: "5500", amount: Money(minorUnits: 1, currency: .dkk),
            row: SourceRow(record: 1, line: 2))
        let provenance = Provenance(file: "f.csv", first: SourceRow(record: 1, line: 2))
        let reference = DocumentReference("ref-1")
        let date = LocalDate(iso: "2026-03-01")!
        let short = Document(
            kind: .ledgerItem, reference: reference, date: date, currency: .dkk, description: "d", voucherNumber: 3,
            lines: [line], provenance: provenance)
        let full = Document(
            kind: .ledgerItem, reference: reference, date: date, currency: .dkk, description: "d", voucherNumber: 3,
            attachment: nil, purchase: nil, lines: [line], provenance: provenance, declaredVat: nil)
        #expect(short == full)
        #expect(short.attachment == nil && short.purchase == nil && short.declaredVat == nil)
    }
}
