import LedgerModel
import Testing

@testable import Validation

/// The validator remembers the line shapes (accounts and VAT codes, in a kind of document and a
/// region) whose check found nothing, and the VAT codes it wrote for them; these tests check that
/// remembering never changes what validation says or writes.
@Suite("Validation remembers clean line shapes")
struct LineMemoTests {
    @Test("a remembered shape still gets its VAT codes rewritten, as the first line did")
    func rewrites() {
        let validator = Fixture.validator()
        let vat = VatSpec.code("i25")
        let pair = VatSpec.zoneCategory(zone: "eu", category: "services", direction: nil)
        for row in 1...3 {
            var document = Fixture.document(
                lines: [Fixture.line(2750, 100, balancing: 1000, vat: vat, balancingVat: pair, row: row)],
                reference: "ref-\(row)")
            #expect(validator.validate(&document).isEmpty)
            #expect(document.lines[0].vat == .code("I25"))
            #expect(document.lines[0].balancingVat == .code("UEUY"))
        }
        for row in 4...5 {
            var document = Fixture.document(
                lines: [Fixture.line(1000, -100, balancing: 2750, vat: pair, balancingVat: vat, row: row)],
                reference: "ref-\(row)")
            #expect(validator.validate(&document).isEmpty)
            #expect(document.lines[0].vat == .code("UEUY"))
            #expect(document.lines[0].balancingVat == .code("I25"))
        }
    }

    @Test("a shape with a problem is checked every time, and each line's row is named")
    func problemsEveryTime() {
        let validator = Fixture.validator()
        for row in [3, 8, 13] {
            var document = Fixture.document(
                lines: [Fixture.line(9999, 100, balancing: 5500, row: row)], reference: "ref-\(row)")
            let diagnostics = validator.validate(&document)
            #expect(diagnostics.errorCodes == ["V301"])
            #expect(diagnostics.first?.location?.line == row + 1)
        }
        // Warnings too: a hidden account is said for every line.
        for row in [20, 21] {
            var document = Fixture.document(
                lines: [Fixture.line(4100, 100, balancing: 5500, row: row)], reference: "ref-\(row)")
            #expect(validator.validate(&document).codes == ["V309"])
        }
    }

    @Test("a shape clean on a ledger line is checked again on a purchase voucher, and per region")
    func documentKindAndRegion() {
        let validator = Fixture.validator()
        var ledger = Fixture.document(lines: [Fixture.line(5500, 100, balancing: 2750, vat: VatSpec.none)])
        #expect(validator.validate(&ledger).isEmpty)
        // The same account and code on a purchase: 5500 is a balance-sheet account.
        var purchase = Fixture.document(
            .purchaseVoucher, lines: [Fixture.line(5500, 100, vat: VatSpec.none, balancingVat: nil)],
            purchase: Fixture.cash, reference: "ref-2")
        #expect(validator.validate(&purchase).errorCodes == ["V302"])
        // A code for Danish purchases: clean in Denmark, wrong for an EU purchase.
        var danish = Fixture.document(
            .purchaseVoucher, lines: [Fixture.line(2750, 100, vat: .code("I25"), balancingVat: nil)],
            purchase: Fixture.cash, reference: "ref-3")
        #expect(validator.validate(&danish).isEmpty)
        var terms = Fixture.cash
        terms.region = .eu
        var eu = Fixture.document(
            .purchaseVoucher, lines: [Fixture.line(2750, 100, vat: .code("I25"), balancingVat: nil)],
            purchase: terms, reference: "ref-4")
        #expect(validator.validate(&eu).errorCodes.contains("V404"))
    }
}
