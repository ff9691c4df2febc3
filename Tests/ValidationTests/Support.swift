import LedgerModel
import Validation

/// Documents and an organization for validation tests, built in code.
enum Fixture {
    static let reference = ReferenceData(
        organization: "Test ApS",
        accounts: [
            .init(number: 1000, name: "Salg", kind: .sales, vat: "U25"),
            .init(number: 2750, name: "Småanskaffelser", kind: .expense, vat: "I25"),
            .init(number: 3710, name: "Repræsentation", kind: .expense, vat: "REP"),
            .init(number: 3800, name: "Software", kind: .expense),
            .init(number: 4100, name: "Gammel konto", kind: .expense, hidden: true),
            .init(number: 5500, name: "Bank", kind: .asset),
            .init(number: 5600, name: "Debitorer", kind: .asset),
            .init(number: 6800, name: "Kreditorer", kind: .liability),
        ],
        depositAccounts: [.init(number: 5500, name: "Bank")],
        years: [
            .init(name: "2025", from: date("2025-01-01"), to: date("2025-12-31"), closed: true),
            .init(name: "2026", from: date("2026-01-01"), to: date("2026-12-31")),
        ],
        vatCodes: [
            "U25", "I25", "UEUV", "UEUV2", "UEUY", "UVV", "UVY", "IEUV", "IEUY", "IVV", "IVY", "REP", "HREP",
            "OBPS",
        ])

    static func date(_ text: String) -> LocalDate { LocalDate(iso: text)! }

    static func options(today: String = "2026-06-30") -> ValidationOptions {
        var options = ValidationOptions(today: date(today))
        options.currencies = dineroCurrencies
        return options
    }

    /// Dinero's currencies, as its target states them.
    static let dineroCurrencies = CurrencyRules(
        system: "Dinero", manualVoucher: [.dkk], ledgerItem: [.dkk], cashPurchase: [.dkk], creditPurchase: nil)

    static func validator(
        vat: VatModel = .dineroDenmark, reference: ReferenceData? = Fixture.reference,
        options: ValidationOptions = Fixture.options()
    ) -> Validator {
        Validator(vat: vat, reference: reference, options: options)
    }

    static func money(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: .dkk) }

    static func line(
        _ account: AccountNumber?, _ amount: Int64, balancing: AccountNumber? = nil, vat: VatSpec? = VatSpec.none,
        balancingVat: VatSpec? = VatSpec.none, row: Int = 1
    ) -> DocumentLine {
        DocumentLine(
            description: "test", account: account, balancingAccount: balancing, amount: money(amount), vat: vat,
            balancingVat: balancingVat, row: SourceRow(record: row, line: row + 1))
    }

    static func document(
        _ kind: DocumentKind = .ledgerItem, date: String = "2026-03-01", lines: [DocumentLine],
        purchase: PurchaseTerms? = nil, reference: String = "ref-1", currency: Currency = .dkk,
        declaredVat: DeclaredVat? = nil
    ) -> Document {
        Document(
            kind: kind, reference: reference, date: Fixture.date(date), currency: currency, description: "test",
            purchase: purchase, lines: lines,
            provenance: Provenance(file: "test.csv", rows: lines.map(\.row)), declaredVat: declaredVat)
    }

    static let cash = PurchaseTerms(payment: .cash, depositAccount: 5500, region: .denmark)
}

extension [Diagnostic] {
    var codes: [String] { map(\.code.rawValue) }
    var errorCodes: [String] { filter { $0.severity == .error }.map(\.code.rawValue) }
}
