import Foundation
import LedgerModel
import Mapping
import Readers
import Testing

@testable import Validation

@Suite("Balance, amounts, dates, accounts and payment")
struct RuleTests {
    /// (lines as (account, balancing, amount), expected error codes)
    static let balanceCases: [(String, [(AccountNumber?, AccountNumber?, Int64)], [String])] = [
        ("one line against a balancing account", [(2750, 5500, 10_000)], []),
        ("two lines that cancel", [(2750, nil, 10_000), (5500, nil, -10_000)], []),
        ("one øre short", [(2750, nil, 10_000), (5500, nil, -9_999)], ["V101"]),
        ("one øre over", [(2750, nil, 10_001), (5500, nil, -10_000)], ["V101"]),
        ("negative lines", [(2750, nil, -2_500), (3710, nil, -7_500), (5500, nil, 10_000)], []),
        ("a lone line without a balancing account", [(2750, nil, 10_000)], ["V101"]),
        ("balanced and self-balancing lines mixed", [(2750, 5500, 123), (2750, nil, 1), (5500, nil, -1)], []),
        ("a zero line", [(2750, 5500, 0)], ["V102"]),
        (
            "many small lines against one total",
            (0..<99).map { _ in (AccountNumber(2750), nil, Int64(1)) } + [(AccountNumber(5500), nil, -99)], []
        ),
        ("amounts that overflow", [(2750, nil, Int64.max), (2750, nil, 1)], ["V101"]),
        ("no account", [(nil, 5500, 100)], ["V104"]),
    ]

    @Test("vouchers balance to the øre", arguments: 0..<balanceCases.count)
    func balance(_ index: Int) {
        let (_, lines, expected) = Self.balanceCases[index]
        var document = Fixture.document(
            .manualVoucher, lines: lines.map { Fixture.line($0.0, $0.2, balancing: $0.1) })
        #expect(Fixture.validator().validate(&document).errorCodes == expected)
    }

    @Test("an unbalanced voucher says by how much and what to add")
    func unbalancedMessage() {
        var document = Fixture.document(lines: [Fixture.line(2750, 10_000), Fixture.line(5500, -9_999)])
        let diagnostic = Fixture.validator().validate(&document)[0]
        #expect(
            diagnostic.message
                == "the voucher does not balance: its lines without a balancing account add up to 0.01 DKK, not 0")
        #expect(diagnostic.hint == "add a line of -0.01, or give the lines a balancing_account")
        #expect(diagnostic.location?.file == "test.csv")
    }

    @Test("zero lines pass when allowed")
    func zeroAllowed() {
        var options = Fixture.options()
        options.allowZeroLines = true
        var document = Fixture.document(lines: [Fixture.line(2750, 0, balancing: 5500)])
        #expect(Fixture.validator(options: options).validate(&document).isEmpty)
    }

    /// (date, today, expected codes) with years 2025 (closed) and 2026 (open), 7 days' margin.
    static let dateCases: [(String, String, [String])] = [
        ("2026-01-01", "2026-06-30", []),
        ("2026-12-31", "2026-12-31", []),
        ("2025-12-31", "2026-06-30", ["V203"]),
        ("2024-12-31", "2026-06-30", ["V202"]),
        ("2027-01-01", "2026-12-31", ["V202"]),
        ("2026-07-07", "2026-06-30", []),
        ("2026-07-08", "2026-06-30", ["V201"]),
        ("2026-03-01", "2026-02-01", ["V201"]),
    ]

    @Test("dates: not too far ahead, in an open accounting year", arguments: 0..<dateCases.count)
    func dates(_ index: Int) {
        let (date, today, expected) = Self.dateCases[index]
        var document = Fixture.document(date: date, lines: [Fixture.line(2750, 100, balancing: 5500)])
        let diagnostics = Fixture.validator(options: Fixture.options(today: today)).validate(&document)
        #expect(diagnostics.errorCodes == expected)
    }

    @Test("without reference data, accounts and years are not checked and one warning says so")
    func noReference() {
        let validator = Fixture.validator(reference: nil)
        #expect(validator.setupDiagnostics.codes == ["V001"])
        #expect(validator.setupDiagnostics.first?.severity == .warning)
        var document = Fixture.document(date: "2019-01-01", lines: [Fixture.line(1234, 100, balancing: 9999)])
        #expect(validator.validate(&document).isEmpty)
        #expect(Fixture.validator().setupDiagnostics.isEmpty)
    }

    static let accountCases: [(String, Document, [String])] = [
        ("unknown account", Fixture.document(lines: [Fixture.line(2751, 100, balancing: 5500)]), ["V301"]),
        ("unknown balancing account", Fixture.document(lines: [Fixture.line(2750, 100, balancing: 5501)]), ["V301"]),
        (
            "balance-sheet account on a purchase voucher",
            Fixture.document(.purchaseVoucher, lines: [Fixture.line(5600, 100)], purchase: Fixture.cash), ["V302"]
        ),
        (
            "cash purchase without a deposit account",
            Fixture.document(
                .purchaseVoucher, lines: [Fixture.line(2750, 100)], purchase: PurchaseTerms(payment: .cash)),
            ["V303"]
        ),
        (
            "cash purchase from an account that is not a deposit account",
            Fixture.document(
                .purchaseVoucher, lines: [Fixture.line(2750, 100)],
                purchase: PurchaseTerms(payment: .cash, depositAccount: 5600)), ["V304"]
        ),
        (
            "cash purchase with a payment date",
            Fixture.document(
                .purchaseVoucher, lines: [Fixture.line(2750, 100)],
                purchase: PurchaseTerms(payment: .cash, depositAccount: 5500, paymentDate: Fixture.date("2026-04-01"))),
            ["V308"]
        ),
        (
            "cash purchase in euro",
            Fixture.document(
                .purchaseVoucher, lines: [Fixture.line(2750, 100)], purchase: Fixture.cash, currency: .eur),
            ["V311"]
        ),
        (
            "credit purchase without contact or payment date, with a deposit account",
            Fixture.document(
                .purchaseVoucher, lines: [Fixture.line(2750, 100)],
                purchase: PurchaseTerms(payment: .credit, depositAccount: 5500)), ["V305", "V306", "V307"]
        ),
        (
            "a good credit purchase",
            Fixture.document(
                .purchaseVoucher, lines: [Fixture.line(2750, 100)],
                purchase: PurchaseTerms(
                    payment: .credit, contact: ContactReference(text: "Leverandør A/S"),
                    paymentDate: Fixture.date("2026-03-31"))), []
        ),
        (
            "a purchase line with a balancing account",
            Fixture.document(
                .purchaseVoucher, lines: [Fixture.line(2750, 100, balancing: 6800)], purchase: Fixture.cash),
            ["V310"]
        ),
    ]

    @Test("accounts exist and suit the document; purchases are paid properly", arguments: 0..<accountCases.count)
    func accounts(_ index: Int) {
        var (_, document, expected) = Self.accountCases[index]
        #expect(Fixture.validator().validate(&document).errorCodes == expected)
    }

    @Test("a document in a currency its target does not book for its kind is refused, saying what it books")
    func currencies() {
        func codes(_ document: Document, rules: CurrencyRules? = Fixture.dineroCurrencies) -> [String] {
            var options = Fixture.options()
            options.currencies = rules
            var copy = document
            return Validator(vat: .dineroDenmark, reference: Fixture.reference, options: options).validate(&copy)
                .errorCodes
        }
        let nok = Currency(code: "NOK")!
        let manual = Fixture.document(
            .manualVoucher, lines: [Fixture.line(2750, 100, balancing: 5500)], currency: nok)
        #expect(codes(manual).contains("V106"))
        var document = manual
        let diagnostic = Fixture.validator().validate(&document).first { $0.code.rawValue == "V106" }
        #expect(diagnostic?.message.contains("Dinero books a manual voucher in DKK only; this one is in NOK") == true)
        #expect(diagnostic?.location?.field == "currency")
        let ledger = Fixture.document(.ledgerItem, lines: [Fixture.line(5820, 100, balancing: 1000)], currency: .eur)
        #expect(codes(ledger).contains("V106"))
        let credit = Fixture.document(
            .purchaseVoucher, lines: [Fixture.line(2750, 100)],
            purchase: PurchaseTerms(
                payment: .credit, contact: ContactReference(text: "Leverandør A/S"),
                paymentDate: Fixture.date("2026-03-31")),
            currency: .eur)
        #expect(!codes(credit).contains("V106"))
        let cash = Fixture.document(
            .purchaseVoucher, lines: [Fixture.line(2750, 100)], purchase: Fixture.cash, currency: .eur)
        #expect(codes(cash).contains("V311") && !codes(cash).contains("V106"))
        // A target that books NOK takes it; without rules nothing is checked.
        var norwegian = Fixture.dineroCurrencies
        norwegian.manualVoucher = [nok]
        #expect(!codes(manual, rules: norwegian).contains("V106"))
        #expect(!codes(manual, rules: nil).contains("V106"))
    }

    @Test("a balance-sheet account on a purchase voucher says to use a manual voucher")
    func balanceSheetHint() {
        var document = Fixture.document(.purchaseVoucher, lines: [Fixture.line(5600, 100)], purchase: Fixture.cash)
        let diagnostic = Fixture.validator().validate(&document)[0]
        #expect(diagnostic.message.contains("account 5600 (Debitorer) is a balance-sheet account"))
        #expect(diagnostic.hint == "book this as a manual voucher (document.kind: manual_voucher)")
    }

    @Test("a hidden account is a warning, and an error with strict")
    func hidden() {
        var document = Fixture.document(lines: [Fixture.line(4100, 100, balancing: 5500)])
        let diagnostics = Fixture.validator().validate(&document)
        #expect(diagnostics.codes == ["V309"])
        #expect(diagnostics[0].severity == .warning)
        var strict = Fixture.options()
        strict.strict = true
        var again = Fixture.document(lines: [Fixture.line(4100, 100, balancing: 5500)])
        #expect(Fixture.validator(options: strict).validate(&again).errorCodes == ["V309"])
    }

    @Test("the same reference twice in a run: an error on the second, pointing at the first")
    func duplicateReference() {
        let validator = Fixture.validator()
        var first = Fixture.document(lines: [Fixture.line(2750, 100, balancing: 5500, row: 4)], reference: "A-1")
        var other = Fixture.document(lines: [Fixture.line(2750, 100, balancing: 5500, row: 5)], reference: "A-2")
        var second = Fixture.document(lines: [Fixture.line(2750, 100, balancing: 5500, row: 9)], reference: "A-1")
        #expect(validator.validate(&first).isEmpty)
        #expect(validator.validate(&other).isEmpty)
        let diagnostics = validator.validate(&second)
        #expect(diagnostics.errorCodes == ["V501"])
        #expect(diagnostics[0].message.hasSuffix("by the document at test.csv:5"))
        #expect(diagnostics[0].location?.line == 10)
    }

    @Test("the reference registry keeps every reference across growth")
    func registryGrowth() {
        var registry = ReferenceRegistry()
        for i in 0..<50_000 {
            #expect(registry.register(DocumentReference("ref-\(i)"), file: "a.csv", line: i + 2) == nil)
        }
        for i in stride(from: 0, to: 50_000, by: 997) {
            let first = registry.register(DocumentReference("ref-\(i)"), file: "b.csv", line: 1)
            #expect(first?.file == "a.csv" && first?.line == i + 2)
        }
    }

    @Test("the registry names the first file and line past 255 files and 16 million lines")
    func registryBeyondPacking() {
        var registry = ReferenceRegistry()
        for file in 0..<300 {
            #expect(registry.register(DocumentReference("ref-\(file)"), file: "f\(file).csv", line: file + 2) == nil)
        }
        #expect(registry.register(DocumentReference("far"), file: "big.csv", line: 20_000_000) == nil)
        #expect(registry.register(DocumentReference("near"), file: "f0.csv", line: 16_777_215) == nil)
        for file in [0, 254, 255, 299] {
            let first = registry.register(DocumentReference("ref-\(file)"), file: "again.csv", line: 1)
            #expect(first?.file == "f\(file).csv" && first?.line == file + 2)
        }
        #expect(registry.register(DocumentReference("far"), file: "again.csv", line: 1)?.line == 20_000_000)
        #expect(registry.register(DocumentReference("far"), file: "again.csv", line: 1)?.file == "big.csv")
        #expect(registry.register(DocumentReference("near"), file: "again.csv", line: 1)?.line == 16_777_215)
    }

    @Test("the account table finds what the chart has, short, long and non-ASCII numbers alike")
    func accountTable() {
        let numbers: [AccountNumber] = [
            "1", "5500", "12345678", "123456789", "1000-01", "Æ12", "A.1", "99999999999999999999",
        ]
        let data = ReferenceData(
            accounts: numbers.map { .init(number: $0, name: "account \($0)") },
            depositAccounts: [.init(number: "5510", name: "bank 2"), .init(number: "5500", name: "bank")])
        let table = AccountTable(data)
        for number in numbers + ["5510"] {
            #expect(table.find(number)?.name == data.account(number)?.name, "\(number)")
        }
        for missing: AccountNumber in ["2", "550", "55000", "12345679", "Æ13", "", "1000-1", "5500 "] {
            #expect(table.find(missing) == nil, "\(missing)")
        }
        // Many accounts: the table grows past its first size and still finds every one.
        let many = ReferenceData(
            accounts: (1...5_000).map { .init(number: AccountNumber(integerLiteral: $0), name: "n\($0)") })
        let big = AccountTable(many)
        #expect((1...5_000).allSatisfy { big.find(AccountNumber(integerLiteral: $0))?.name == "n\($0)" })
        #expect(big.find(5_001) == nil)
    }

    @Test("distinct references are logged, not looked up, until another file or a written reference comes")
    func registryDistinctLog() {
        var registry = ReferenceRegistry()
        // One file's derived references: 200,000 of them cross several log chunks.
        for i in 0..<200_000 {
            #expect(registry.registerDistinct(DocumentReference("ll1-\(i)"), file: "a.csv", line: i + 2) == nil)
        }
        // The same file's written reference is looked up against the log.
        #expect(registry.register(DocumentReference("ll1-17"), file: "a.csv", line: 1)?.line == 19)
        // Another file with the same content: every reference is a duplicate of the first file's.
        for i in stride(from: 0, to: 200_000, by: 9_973) {
            let first = registry.registerDistinct(DocumentReference("ll1-\(i)"), file: "b.csv", line: 5)
            #expect(first?.file == "a.csv" && first?.line == i + 2)
        }
        #expect(registry.registerDistinct(DocumentReference("new"), file: "b.csv", line: 6) == nil)
        #expect(registry.registerDistinct(DocumentReference("new"), file: "c.csv", line: 1)?.file == "b.csv")
    }

    @Test("a derived reference is found again from its text, as a state file or a report gives it back")
    func registryDerivedFromText() {
        var registry = ReferenceRegistry()
        var texts: [String] = []
        for i in 0..<5_000 {
            var digest = [UInt8](repeating: 0, count: 32)
            withUnsafeBytes(of: UInt64(i).multipliedReportingOverflow(by: 0x9E37_79B9_7F4A_7C15).partialValue) {
                for (k, byte) in $0.enumerated() { digest[k] = byte; digest[8 + k] = byte ^ 0x5A }
            }
            let reference = digest.withUnsafeBytes { DocumentReference(derivedFrom: $0) }
            texts.append(reference.text)
            #expect(registry.registerDistinct(reference, file: "a.csv", line: i + 2) == nil)
        }
        for i in stride(from: 0, to: 5_000, by: 499) {
            #expect(registry.register(DocumentReference(texts[i]), file: "b.csv", line: 1)?.line == i + 2)
        }
        #expect(registry.register(DocumentReference(texts[0].uppercased()), file: "b.csv", line: 1) == nil)
    }

    @Test("a second file's distinct references are checked against the first's")
    func registryDistinctSecondFile() {
        var registry = ReferenceRegistry()
        #expect(registry.registerDistinct(DocumentReference("x"), file: "a.csv", line: 2) == nil)
        // A line past the 24 bits a slot packs.
        #expect(registry.registerDistinct(DocumentReference("y"), file: "a.csv", line: 20_000_000) == nil)
        #expect(registry.registerDistinct(DocumentReference("y"), file: "b.csv", line: 3)?.line == 20_000_000)
        #expect(registry.registerDistinct(DocumentReference("x"), file: "b.csv", line: 4)?.file == "a.csv")
    }

    @Test("the log keeps every line: small steps, steps past a byte, lines going back, lines past 24 bits")
    func registryLogLines() {
        var registry = ReferenceRegistry()
        var lines: [Int] = []
        var line = 1
        for i in 0..<70_000 {
            // Mostly one line a document; now and then a long jump, a step back, or a huge line.
            switch i % 1_000 {
            case 7: line += 254
            case 8: line += 255
            case 9: line += 100_000
            case 10: line -= 3
            case 11: line = 30_000_000 + i
            default: line += i % 3
            }
            lines.append(line)
            #expect(registry.registerDistinct(DocumentReference("ll1-\(i)"), file: "a.csv", line: line) == nil)
        }
        // A written reference moves the log into the table; each duplicate then names its line.
        #expect(registry.register(DocumentReference("ll1-0"), file: "a.csv", line: 1)?.line == lines[0])
        var wrong = 0
        for i in 0..<70_000
        where registry.register(DocumentReference("ll1-\(i)"), file: "b.csv", line: 1)?.line != lines[i] { wrong += 1 }
        #expect(wrong == 0)
    }

    /// (gross, net, VAT, code, expected codes)
    static let statedVatCases: [(Int64, Int64?, Int64, String, [String])] = [
        (812_500, nil, 162_500, "U25", []),
        (645_075, nil, 129_015, "U25", []),
        (645_075, nil, 129_016, "U25", []),  // one øre off: within rounding
        (645_075, nil, 129_017, "U25", ["V408"]),
        (812_500, 650_000, 162_500, "U25", []),
        (812_500, 650_100, 162_500, "U25", ["V408"]),  // gross ≠ net + VAT
        (10_000, nil, 0, "UEUV", []),
        (10_000, nil, 2_000, "XYZ", ["V402"]),
    ]

    @Test("stated VAT is the code's rate of the net, within one øre", arguments: 0..<statedVatCases.count)
    func statedVat(_ index: Int) {
        let (gross, net, vat, code, expected) = Self.statedVatCases[index]
        let declared = DeclaredVat(
            gross: Fixture.money(gross), net: net.map(Fixture.money), vat: Fixture.money(vat), code: code)
        var document = Fixture.document(lines: [Fixture.line(5500, gross, balancing: 1000)], declaredVat: declared)
        #expect(Fixture.validator().validate(&document).errorCodes == expected)
    }
}

@Suite("Validation of the samples and setup files")
struct SampleValidationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardizedFileURL

    static let samples = [
        ("bank-statement", "bank-statement.csv"), ("daily-sales", "daily-sales.csv"), ("expenses", "expenses.csv"),
        ("payroll", "payroll.json"), ("journal", "journal.xml"),
    ]

    @Test("every sample maps and validates cleanly against the example organization", arguments: samples)
    func sample(_ mappingName: String, _ file: String) throws {
        let reference = try ReferenceData.load(
            path: Self.root.appendingPathComponent(
                "mappings/reference/example-org.yaml"
            ).path)
        let model = try VatModel.load(path: try #require(reference.vatModelPath))
        let validator = Validator(vat: model, reference: reference, options: Fixture.options(today: "2026-11-22"))
        let (compiled, _) = MappingCompiler.compile(
            path: Self.root.appendingPathComponent("mappings/\(mappingName).yaml").path)
        let mapping = try #require(compiled)
        let reader = try Readers.open(
            Self.root.appendingPathComponent("samples/\(file)").path, options: mapping.readerOptions)
        let builder = try DocumentBuilder(
            try #require(BoundMapping.bind(mapping, to: reader.source).mapping), reader: reader)
        var documents = 0
        while let event = try builder.next() {
            guard case .document(var document) = event else { continue }
            documents += 1
            let diagnostics = validator.validate(&document)
            #expect(diagnostics.isEmpty, "\(document.provenance.description): \(diagnostics)")
        }
        #expect(documents > 0)
    }

    @Test("a wrong entry in the reference data is named")
    func badReference() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ref-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "version: 1\naccounts:\n  - { number: 1000, name: Salg, kind: income }\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try ReferenceData.load(path: path)
        } throws: { error in
            let diagnostic = (error as? ValidationSetupError)?.diagnostic
            return diagnostic?.code == ValidationCode.setupFile && diagnostic?.location?.file == path
                && diagnostic?.message.contains("accounts[0].kind") == true
        }
    }
}
