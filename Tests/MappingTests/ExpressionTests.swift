import Foundation
import LedgerModel
import Testing

@testable import Mapping

@Suite("Expressions")
struct ExpressionTests {
    static let csv = "date;text;amount;other;code\n01-03-2026;  Kaffe & kage  ;\"1.234,56\";10,00;MP\n"

    /// (description expression, expected text)
    static let textCases: [(String, String)] = [
        // Fields are read without the spaces around them (`source: { trim: false }` keeps them).
        ("\"{text}\"", "Kaffe & kage"),
        ("{ column: text }", "Kaffe & kage"),
        ("{ column: 2 }", "Kaffe & kage"),
        ("\"{#5}-{date}\"", "MP-01-03-2026"),
        ("\"Salg {{kasse}} {code}\"", "Salg {kasse} MP"),
        ("{ trim: \"{text}\" }", "Kaffe & kage"),
        ("{ upper: { trim: \"{text}\" } }", "KAFFE & KAGE"),
        ("{ lower: \"{code}\" }", "mp"),
        ("{ replace: \"{text}\", pattern: \"\\\\s+\", with: \"_\" }", "Kaffe_&_kage"),
        ("{ first_of: [{ const: \"\" }, \"{code}\"] }", "MP"),
        ("{ lookup: methods, key: \"{code}\" }", "MobilePay"),
        ("{ lookup: methods, key: \"{date}\", default: other }", "other"),
        ("{ if: { code: MP }, then: yes, else: no }", "yes"),
        ("{ if: { code: { not_equals: MP } }, then: yes, else: no }", "no"),
        ("{ if: { other: { gt: 9.99 } }, then: big, else: small }", "big"),
        ("\"{$kind}\"", "mobile"),
    ]

    static let extra = """
        lookups:
          methods: { entries: { MP: MobilePay, Kort: Dankort } }
        rules:
          - when: { code: { in: [mp, kort] } }
            set: { kind: mobile }
          - set: { kind: other }
        """

    @Test("text expressions", arguments: Self.textCases)
    func text(expression: String, expected: String) throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(lineMapping(description: expression, extra: Self.extra), data: Self.csv)
        let document = try #require(events.documents.first, "\(events)")
        #expect(document.lines.first?.description == expected)
    }

    /// (amount expression, expected amount)
    static let amountCases: [(String, String)] = [
        ("\"{amount}\"", "1234.56"),
        ("{ column: other }", "10.00"),
        ("{ amount: \"{code}{amount}\", decimal_mark: \",\" }", "-"),
        ("{ negate: \"{amount}\" }", "-1234.56"),
        ("{ abs: { negate: \"{amount}\" } }", "1234.56"),
        ("{ sum: [\"{amount}\", \"{other}\", \"0,44\"] }", "1245.00"),
        ("{ difference: [\"{amount}\", \"{other}\"] }", "1224.56"),
        ("{ multiply: \"{amount}\", by: 0.8, round: half_even }", "987.65"),
        ("{ multiply: \"{amount}\", by: 0.8, round: down }", "987.64"),
        ("{ divide: \"{amount}\", by: 1.25 }", "987.65"),
        ("{ divide: \"{amount}\", by: 1.25, round: half_up }", "987.65"),
        ("{ debit: \"{amount}\", credit: \"{other}\", both: net }", "1224.56"),
        ("{ debit: \"{amount}\", credit: \"{other}\" }", "M110"),
        ("{ debit: \"{amount}\", credit: \"0,00\" }", "1234.56"),
        ("{ debit: \"0\", credit: \"{other}\", both: reject }", "-10.00"),
        ("{ credit: \"{amount}\" }", "-1234.56"),
        ("\"100\"", "100.00"),
        ("42", "42.00"),
        ("{ if: { code: MP }, then: \"{other}\", else: \"{amount}\" }", "10.00"),
    ]

    @Test("amount expressions are exact", arguments: Self.amountCases)
    func amounts(expression: String, expected: String) throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(lineMapping(amount: expression, extra: Self.extra), data: Self.csv)
        if expected == "-" {
            #expect(events.rejections.first?.diagnostics.first?.code == MappingCode.notAnAmount)
            return
        }
        if expected == "M110" {
            // Both sides stated: netting would book an amount the row does not say.
            #expect(events.rejections.first?.diagnostics.first?.code == MappingCode.bothSides)
            #expect(events.documents.isEmpty)
            return
        }
        let document = try #require(events.documents.first, "\(events)")
        #expect(document.lines.first?.amount.amountText == expected)
    }

    @Test(
        "number formats: trailing minus, parentheses, currency markers, per-field overrides",
        arguments: [
            ("\"1.234,56-\"", "-1234.56"), ("\"(45,00)\"", "-45.00"), ("\"kr. 12,50\"", "12.50"), ("\"DKK 3\"", "3.00"),
            ("{ amount: \"1,234.50\", decimal_mark: \".\", thousands_separator: \",\" }", "1234.50"),
        ])
    func numberFormats(expression: String, expected: String) throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(lineMapping(amount: expression), data: Self.csv)
        #expect(events.documents.first?.lines.first?.amount.amountText == expected, "\(events)")
    }

    @Test("an amount naming its own currency: it becomes the document's, or the row is rejected where it cannot")
    func amountCurrency() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        func run(_ amount: String, document: String = "") throws -> (Document?, DiagnosticCode?) {
            let events = try harness.run(lineMapping(amount: amount, document: document), data: Self.csv)
            return (events.documents.first, events.rejections.first?.diagnostics.first?.code)
        }
        // A symbol or code that names one currency: the document is in it (the mapping names none).
        let (pound, _) = try run("\"£ 7,90\"")
        #expect(pound?.currency.code == "GBP")
        #expect(pound?.lines.first?.amount.amountText == "7.90")
        #expect(try run("\"EUR 5\"").0?.currency.code == "EUR")
        #expect(try run("\"7,90 €\"").0?.currency.code == "EUR")
        // What fits the mapping's currency stays in it.
        #expect(try run("\"kr. 12,50\"").0?.currency.code == "DKK")
        #expect(try run("\"DKK 3\"").0?.currency.code == "DKK")
        // A dollar does not say which: rejected, not guessed.
        #expect(try run("\"$ 5,00\"").1 == MappingCode.currencyMismatch)
        // The row's currency named by the mapping, and an amount that says otherwise: rejected.
        #expect(try run("\"£ 7,90\"", document: "  currency: DKK").1 == MappingCode.currencyMismatch)
        #expect(try run("\"£ 7,90\"", document: "  currency: GBP").0?.currency.code == "GBP")
        // Lines in two currencies: rejected.
        let mixed = lineMapping(amount: "\"{amount}\"").replacingOccurrences(
            of: "  lines:\n",
            with:
                "  lines:\n    - { account: 1000, balancing_account: 5500, amount: \"£ 2,00\", vat: none, balancing_vat: none }\n"
        )
        #expect(mixed.contains("£ 2,00"))
        let events = try harness.run(mixed, data: Self.csv)
        #expect(events.documents.isEmpty)
        #expect(events.rejections.first?.diagnostics.first?.code == MappingCode.currencyMismatch)
        // … in either order.
        let after =
            lineMapping(amount: "\"{amount}\"")
            + "\n    - { account: 1000, balancing_account: 5500, amount: \"£ 2,00\", vat: none, balancing_vat: none }\n"
        let second = try harness.run(after, data: Self.csv)
        #expect(second.documents.isEmpty)
        #expect(second.rejections.first?.diagnostics.first?.code == MappingCode.currencyMismatch)
    }

    @Test("exchange_rate turns amounts into the base currency, rounded as stated, keeping the original in the text")
    func exchangeRate() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        func document(_ exchange: String) throws -> Document? {
            let mapping = lineMapping(document: "  currency: EUR\n  exchange_rate: \(exchange)")
            return try harness.run(mapping, data: Self.csv).documents.first
        }
        // 1,234.56 EUR × 7.4605 = 9,210.43488 → 9,210.43 DKK.
        let converted = try #require(try document("{ rate: 7.4605, round: half_even, to: DKK }"))
        #expect(converted.currency.code == "DKK")
        #expect(converted.lines.first?.amount.amountText == "9210.43")
        #expect(converted.lines.first?.description.contains("EUR 1234.56 at 7.4605") == true)
        // Quoted per 100, as Danish banks do; rounded up.
        let per100 = try #require(try document("{ rate: 746.05, per: 100, round: up, to: DKK }"))
        #expect(per100.lines.first?.amount.amountText == "9210.44")
        // No rounding mode: the mapping is refused.
        let (compiled, diagnostics) = MappingCompiler.compile(
            yaml: lineMapping(document: "  currency: EUR\n  exchange_rate: { rate: 7.46, to: DKK }"), path: "m.yaml")
        #expect(compiled == nil)
        #expect(diagnostics.contains { $0.message.contains("needs `round:`") })
    }

    @Test(
        "a rate that leaves a voucher unbalanced after rounding: the difference goes to the rounding account, or the row is rejected"
    )
    func exchangeRounding() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        func mapping(_ roundingAccount: String) -> String {
            """
            version: 1
            name: fx
            source: { format: csv, delimiter: ";" }
            locale: { decimal_mark: ",", date_format: dd-mm-yyyy }
            document:
              kind: manual_voucher
              date: "{date}"
              currency: EUR
              exchange_rate: { rate: 0.5, round: half_even, to: DKK\(roundingAccount) }
              lines:
                - { account: 1000, amount: "0,01", vat: none }
                - { account: 1050, amount: "0,01", vat: none }
                - { account: 5500, amount: "-0,02", vat: none }
            """
        }
        // 0.005 and 0.005 round to 0.00 (half even), -0.01 stays: the sides differ by 0.01.
        let rejected = try harness.run(mapping(""), data: Self.csv)
        #expect(rejected.documents.isEmpty)
        #expect(rejected.rejections.first?.diagnostics.first?.code == MappingCode.roundingDifference)
        let balanced = try #require(
            try harness.run(mapping(", rounding_account: 9900"), data: Self.csv).documents.first)
        #expect(balanced.lines.count == 4)
        #expect(balanced.lines.last?.account == "9900")
        #expect(balanced.lines.last?.amount.amountText == "0.01")
        #expect(balanced.lines.reduce(Int64(0)) { $0 + $1.amount.minorUnits } == 0)
    }

    @Test("dates in the locale's format, or a field's own")
    func dates() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let csv = "date;text;amount;due\n05-03-2026;x;1;2026/04/01\n"
        let mapping = lineMapping().replacingOccurrences(of: "date: \"{date}\"", with: "date: \"{date}\"")
        let events = try harness.run(mapping, data: csv)
        #expect(events.documents.first?.date.description == "2026-03-05")
        let other = lineMapping().replacingOccurrences(
            of: "date: \"{date}\"", with: "date: { column: due, format: yyyy/mm/dd }")
        #expect(try harness.run(other, data: csv).documents.first?.date.description == "2026-04-01")
    }

    @Test("a row that cannot be read as the mapping says is rejected with code, line and field")
    func rowErrors() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let csv =
            "date;text;amount\n01-03-2026;a;1,00\n31-02-2026;b;2,00\n02-03-2026;c;1.5\n03-03-2026;d;0,001\n04-03-2026;e;\n"
        let events = try harness.run(lineMapping(), data: csv)
        #expect(events.documents.count == 1)
        let codes = events.rejections.map { $0.diagnostics.first?.code.rawValue }
        #expect(codes == ["M102", "M101", "M105", "M104"])
        let notADate = try #require(events.rejections.first?.diagnostics.first)
        #expect(notADate.location?.line == 3)
        #expect(notADate.location?.field == "date")
        #expect(notADate.message == "`date` is not a date in the format dd-mm-yyyy")
        let notAnAmount = try #require(events.rejections[1].diagnostics.first)
        #expect(notAnAmount.message.contains("thousands separator not followed by three digits"))
        #expect(!notAnAmount.message.contains("1.5"), "row values stay out of messages")
        // Every row has exactly one outcome.
        #expect(events.documents.count + events.rejections.count + events.skips.count == 5)
    }

    @Test("JSON numbers are read with a point whatever the locale says")
    func jsonNumbers() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let mapping = """
            version: 1
            source: { format: json }
            locale: { decimal_mark: ",", thousands_separator: "." }
            document:
              kind: ledger_item
              date: "{d}"
              lines: [{ account: 1, balancing_account: 2, amount: "{a}", vat: none, balancing_vat: none }]
            """
        let events = try harness.run(
            mapping, data: "[{\"d\": \"2026-03-01\", \"a\": 1234.5}, {\"d\": \"2026-03-01\", \"a\": \"1.234,50\"}]",
            file: "x.json")
        #expect(events.documents.map { $0.lines[0].amount.amountText } == ["1234.50", "1234.50"])
    }
}
