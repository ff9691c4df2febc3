import Foundation
import LedgerModel
import Readers
import Testing

@testable import Mapping

/// Every sample in `samples/` plans cleanly with its mapping in `mappings/`.
@Suite("Samples")
struct SampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func plan(_ mapping: String, _ sample: String) throws -> (events: [MappingEvent], summary: PlanSummary) {
        let (compiled, diagnostics) = MappingCompiler.compile(
            path: root.appendingPathComponent("mappings/\(mapping)").path)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let mapping = try #require(compiled)
        let reader = try Readers.open(
            root.appendingPathComponent("samples/\(sample)").path, options: mapping.readerOptions)
        let (bound, bindDiagnostics) = BoundMapping.bind(mapping, to: reader.source)
        #expect(bindDiagnostics.isEmpty, "\(bindDiagnostics)")
        let builder = try DocumentBuilder(try #require(bound), reader: reader)
        var events: [MappingEvent] = []
        var summary = PlanSummary()
        while let event = try builder.next() {
            events.append(event)
            if let document = event.document { summary.add(document) }
        }
        #expect(events.rejections.isEmpty, "\(events.rejections)")
        return (events, summary)
    }

    static func net(_ summary: PlanSummary, _ account: String) -> String? {
        summary.accounts.first { $0.name == account }?.net.amountText
    }

    /// Derived references are the exactly-once key: a document booked last year must get the
    /// same reference from the same rows today, whatever changed in the code. These are pinned.
    @Test(
        "derived references never change (scheme ll1)",
        arguments: [
            (
                "bank-statement.yaml", "bank-statement.csv", "ll1-nhe3114fn0qcb97cmembsb497z",
                "ll1-zhx6df6a6v58bzh3q4jnr601cm"
            ),
            ("daily-sales.yaml", "daily-sales.csv", "ll1-hbygj4emj0grpk0808vfv6zq5s", "ll1-9w37rwe94n35eree0wvv7hr1yr"),
            ("expenses.yaml", "expenses.csv", "ll1-7zyjnp2snrg3ycp37xvq4zg01c", "ll1-dtm070xxvde1afg175c54fv8ac"),
        ])
    func referencesArePinned(mapping: String, sample: String, first: String, second: String) throws {
        let references = try Self.plan(mapping, sample).events.documents.map(\.reference)
        #expect(references.prefix(2) == [first, second])
    }

    @Test("a JSON document with `for_each` lines: its derived reference never changes")
    func groupedReferenceIsPinned() throws {
        let references = try Self.plan("payroll.yaml", "payroll.json").events.documents.map(\.reference)
        #expect(references == ["ll1-12j622pm1cfde6f60k2atw0p1a"])
    }

    @Test("bank statement: 16 ledger items, counter-accounts from the text rules")
    func bankStatement() throws {
        let (events, summary) = try Self.plan("bank-statement.yaml", "bank-statement.csv")
        #expect(events.documents.count == 16)
        #expect(events.documents[0].lines[0].balancingAccount == "5600")
        #expect(events.documents[3].lines[0].balancingVat == .code("I25"))
        #expect(Self.net(summary, "5500") == "-52318.08")
        #expect(!events.documents.contains { $0.lines[0].balancingAccount == "9900" }, "every text has a rule")
    }

    @Test("daily sales: cash, card and MobilePay lines with U25, fees as expense; the closed day skipped")
    func dailySales() throws {
        let (events, summary) = try Self.plan("daily-sales.yaml", "daily-sales.csv")
        #expect(events.documents.count == 8)
        #expect(events.skips.count == 1)
        #expect(Self.net(summary, "1000") == "-61444.75")
        #expect(Self.net(summary, "4000") == "512.07")
    }

    @Test("expenses: cash purchase vouchers with receipts and VAT from shared lookups")
    func expenses() throws {
        let (events, _) = try Self.plan("expenses.yaml", "expenses.csv")
        #expect(events.documents.count == 7)
        let first = try #require(events.documents.first)
        #expect(first.kind == .purchaseVoucher)
        #expect(first.purchase == PurchaseTerms(payment: .cash, depositAccount: "5500", region: .denmark))
        #expect(first.lines[0].vat == .code("REP"))
        #expect(first.attachment?.hasSuffix("samples/receipts/receipt-0001.pdf") == true)
        #expect(FileManager.default.fileExists(atPath: first.attachment ?? ""))
        #expect(events.documents[4].purchase?.region == .world)
        #expect(events.documents[2].attachment == nil)
    }

    @Test("payroll: one manual voucher, wages debited with the gross pay")
    func payroll() throws {
        let (events, summary) = try Self.plan("payroll.yaml", "payroll.json")
        #expect(events.documents.count == 1)
        #expect(events.documents[0].lines.count == 12)
        #expect(Self.net(summary, "3600") == "80800.00")
    }

    @Test("journal: one ledger item per transaction, balanced, the transaction id as reference")
    func journal() throws {
        let (events, _) = try Self.plan("journal.yaml", "journal.xml")
        #expect(
            events.documents.map(\.reference) == [
                "saft-T-0001", "saft-T-0002", "saft-T-0003", "saft-T-0004", "saft-T-0005",
            ])
        #expect(events.documents.allSatisfy { $0.total.isZero })
        #expect(events.documents[3].lines.map { $0.vat?.description } == ["none", "U25", "UEUV"])
    }

    @Test("SAF-T Financial: one balanced ledger item per transaction, references unique across journals, VAT as posted")
    func saftFinancial() throws {
        let (events, summary) = try Self.plan("saft-financial.yaml", "saft-financial.xml")
        let documents = events.documents
        #expect(documents.map(\.reference) == ["saft-GL-1", "saft-GL-2", "saft-SALG-1", "saft-SALG-2"])
        #expect(documents.map { $0.total.isZero } == [true, true, true, true])
        #expect(documents.allSatisfy { $0.currency == .dkk })
        // No line carries a VAT code: the file's VAT lines are booked as they are, once.
        #expect(documents.flatMap(\.lines).allSatisfy { $0.vat?.description == "none" })
        #expect(Self.net(summary, "7320") == "-6500.00")
        #expect(Self.net(summary, "7310") == "3750.00")
        #expect(documents[2].lines[1].description == "Kontantsalg (tax U25: 250.00)")
    }

    @Test("supplier invoices: credit purchases, the supplier by name and VAT number, owed until the due date")
    func supplierInvoices() throws {
        let (events, _) = try Self.plan("supplier-invoices.yaml", "supplier-invoices.csv")
        let documents = events.documents
        #expect(documents.map(\.reference) == ["invoice-F-1001", "invoice-F-1002", "invoice-F-1003", "invoice-F-1004"])
        #expect(documents.map { $0.purchase?.payment } == [.credit, .credit, .credit, .credit])
        #expect(documents[0].purchase?.contact == ContactReference(name: "Kontorland A/S", vatNumber: "DK 12 34 56 78"))
        #expect(documents[3].purchase?.contact == ContactReference(name: "Netbutikken.dk"))
        #expect(documents[0].purchase?.paymentDate?.description == "2026-04-01")
    }

    @Test(
        "camt.053: a ledger item per booked entry, signed by CdtDbtInd, the amount's own currency, the bank's reference"
    )
    func camt053() throws {
        let (events, summary) = try Self.plan("camt053.yaml", "camt053.xml")
        let documents = events.documents
        #expect(documents.count == 4)
        #expect(documents[0].reference == "camt-DK5000400440116243-2026030200001")
        #expect(documents.map { $0.lines[0].amount.minorUnits } == [-1_875_000, 1_250_000, -6250, -7500])
        #expect(documents.map { $0.lines[0].balancingAccount?.rawValue } == ["3400", "5600", "4000", "4000"])
        #expect(Self.net(summary, "5500") == "-6387.50")
    }
}
