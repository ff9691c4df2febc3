import Foundation
import LedgerModel
import Testing

@testable import Mapping

@Suite("Mapping compiler")
struct CompilerTests {
    static let valid = """
        version: 1
        name: t
        document:
          kind: ledger_item
          date: "{Dato}"
          lines:
            - account: 1000
              amount: "{Beløb}"
        """

    @Test("a valid mapping compiles with no diagnostics")
    func valid() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let (mapping, diagnostics) = try harness.compile(Self.valid)
        #expect(diagnostics.isEmpty)
        #expect(mapping?.kind == .ledgerItem)
        #expect(mapping?.name == "t")
    }

    @Test("validation: settings are read, with paths resolved against the mapping's folder")
    func validationSection() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let text =
            Self.valid + """

                validation:
                  reference: reference/org.yaml
                  vat_model: /etc/ledgerlift/vat.yaml
                  future_days: 31
                  allow_zero_lines: yes
                  strict: false
                """
        let (mapping, diagnostics) = try harness.compile(text)
        #expect(diagnostics.isEmpty)
        let settings = try #require(mapping?.validation)
        #expect(
            settings.reference
                == harness.directory.appendingPathComponent("reference/org.yaml").standardizedFileURL.path)
        #expect(settings.vatModel == "/etc/ledgerlift/vat.yaml")
        #expect(settings.futureDays == 31)
        #expect(settings.allowZeroLines == true)
        #expect(settings.strict == false)

        let (_, wrong) = try harness.compile(Self.valid + "\nvalidation:\n  future_day: 3\n  strict: maybe\n")
        #expect(wrong.contains { $0.message.contains("future_day") })
        #expect(wrong.contains { $0.message.contains("validation.strict") })
    }

    /// (mapping text, code, line, column, message fragment)
    static let cases: [(String, DiagnosticCode, Int, Int, String)] = [
        (
            "name: t\ndocument: {kind: ledger_item, date: x, lines: [{account: 1, amount: 1}]}", "M002", 1, 1,
            "no `version:`"
        ),
        ("version: 2\ndocument: {}", "M002", 1, 10, "this build reads up to version 1"),
        ("version: 1\ndocumnet: {}", "M003", 2, 1, "unknown key `documnet`"),
        (valid.replacingOccurrences(of: "  amount:", with: "  amuont:"), "M003", 8, 7, "unknown key `amuont`"),
        (
            valid.replacingOccurrences(of: "kind: ledger_item", with: "kind: ledger"), "M009", 4, 9,
            "`document.kind` cannot be `ledger`"
        ),
        (
            valid.replacingOccurrences(of: "amount: \"{Beløb}\"", with: "amount: { sumn: [1, 2] }"), "M006", 8, 17,
            "unknown function `sumn`"
        ),
        (
            valid.replacingOccurrences(of: "\"{Dato}\"", with: "{ date: \"{Dato}\", format: dd-mmmmm }"), "M009", 5, 35,
            "mmm for its name"
        ),
        (
            valid + "\nrules:\n  - when: { Tekst: { matches: \"(\" } }\n    set: { a: 1 }", "M009", 10, 31,
            "not a valid regular expression"
        ),
        (
            valid.replacingOccurrences(of: "account: 1000", with: "account: \"{$nope}\""), "M008", 7, 16,
            "unknown variable `$nope`"
        ),
        (
            valid.replacingOccurrences(of: "account: 1000", with: "account: { lookup: accts, key: x }"), "M008", 7, 26,
            "unknown lookup table `accts`"
        ),
        (
            "version: 1\ndocument:\n  kind: purchase_voucher\n  date: x\n  lines: [{account: 1, amount: 1}]", "M005", 3,
            9, "needs `purchase:`"
        ),
        ("version: 1\ndocument:\n  kind: ledger_item\n  date: x\n  lines: 3", "M004", 5, 10, "is a list"),
        (
            valid.replacingOccurrences(
                of: "date: \"{Dato}\"", with: "date: \"{Dato}\"\n  description: { sum: [1, 2] }"), "M004", 6, 16,
            "needs text but the expression gives an amount"
        ),
        (
            valid.replacingOccurrences(of: "amount: \"{Beløb}\"", with: "amount: \"12,3,4\""), "M009", 8, 15,
            "is not a number"
        ),
        (
            valid.replacingOccurrences(of: "amount: \"{Beløb}\"", with: "amount: \"{Beløb\""), "M009", 8, 15,
            "is not closed"
        ),
        ("version: 1\ndocument: [\n", "M001", 3, 1, "YAML syntax"),
    ]

    @Test("errors name the mapping's line and column and what is wrong", arguments: Self.cases)
    func errors(yaml: String, code: DiagnosticCode, line: Int, column: Int, fragment: String) throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let (mapping, diagnostics) = try harness.compile(yaml)
        #expect(mapping == nil)
        let match = diagnostics.first { $0.code == code && $0.message.contains(fragment) }
        #expect(match != nil, "expected \(code) '\(fragment)' in \(diagnostics)")
        #expect(match?.location?.line == line)
        #expect(match?.location?.column == column)
        #expect(match?.location?.file.hasSuffix("mapping.yaml") == true)
    }

    @Test("every error is reported at once, with suggestions")
    func allAtOnce() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let yaml = """
            version: 1
            nmae: t
            locale: { decimal_mark: ";", currency: DKKK }
            document:
              kind: ledger_item
              date: "{Dato}"
              lines:
                - acount: 1000
                  amount: "{Beløb}"
            """
        let (_, diagnostics) = try harness.compile(yaml)
        let codes = diagnostics.map(\.code.rawValue)
        #expect(codes.count >= 5)
        #expect(diagnostics.contains { $0.message.contains("`nmae`") && $0.hint == "did you mean `name`?" })
        #expect(diagnostics.contains { $0.message.contains("`acount`") && $0.hint == "did you mean `account`?" })
        #expect(diagnostics.contains { $0.message.contains("decimal_mark") })
        #expect(diagnostics.contains { $0.message.contains("DKKK") })
        #expect(diagnostics.contains { $0.message.contains("needs `account:`") })
    }

    @Test("kind-specific rules: purchase lines have no balancing account")
    func purchaseLines() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let yaml = """
            version: 1
            document:
              kind: purchase_voucher
              date: x
              purchase: { payment: cash, deposit_account: 5500, region: Mars }
              lines:
                - { account: 2000, amount: 1, balancing_account: 5500, vat: I25 }
            """
        let (_, diagnostics) = try harness.compile(yaml)
        #expect(diagnostics.contains { $0.message.contains("no `balancing_account`") })
        #expect(diagnostics.contains { $0.message.contains("`region` is DK, EU or World, not `Mars`") })
    }

    @Test("a rule without `when` before others is warned about")
    func fallbackFirst() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let yaml = Self.valid + "\nrules:\n  - set: { a: 1 }\n  - when: { Tekst: x }\n    set: { a: 2 }"
        let (mapping, diagnostics) = try harness.compile(yaml)
        #expect(mapping != nil)
        #expect(diagnostics.map(\.severity) == [.warning])
        #expect(diagnostics.first?.message.contains("never apply") == true)
    }

    @Test("lookup files: relative to the mapping, errors located in the lookup file")
    func lookupFiles() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        try harness.write("lookups/a.yaml", "version: 1\nentries: { x: \"1\" }\ndefault: \"2\"\n")
        try harness.write("lookups/bad.yaml", "version: 1\nentrys: {}\n")
        let good = Self.valid + "\nlookups:\n  a: { file: lookups/a.yaml }"
        #expect(try harness.compile(good).diagnostics.isEmpty)
        let bad = Self.valid + "\nlookups:\n  b: { file: lookups/bad.yaml }\n  c: { file: lookups/missing.yaml }"
        let diagnostics = try harness.compile(bad).diagnostics
        #expect(
            diagnostics.contains { $0.location?.file.hasSuffix("bad.yaml") == true && $0.message.contains("`entrys`") })
        #expect(diagnostics.contains { $0.message.contains("cannot read the lookup file `lookups/missing.yaml`") })
    }
}

@Suite("Mapping compiler: contacts")
struct ContactCompilerTests {
    static let purchase = """
        version: 1
        name: t
        contacts: create
        document:
          kind: purchase_voucher
          date: "{Dato}"
          purchase:
            payment: credit
            payment_date: "{Dato}"
            contact: CONTACT
          lines:
            - account: 2750
              amount: "{Beløb}"
              vat: I25
        """

    @Test("a supplier by its fields or by one text; `contacts:` says what becomes of an unknown one")
    func forms() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let (long, diagnostics) = try harness.compile(
            Self.purchase.replacingOccurrences(
                of: "CONTACT",
                with: "{ name: \"{Navn}\", vat_number: \"{CVR}\", external_reference: \"{Nr}\", country: SE }"))
        #expect(diagnostics.isEmpty)
        #expect(long?.validation.contacts == .create)
        #expect(long?.validation.namesContacts == true)
        let contact = try #require(long?.document.purchase?.contact)
        #expect(contact.text == nil && contact.name != nil && contact.vatNumber != nil && contact.country != nil)

        let (short, shortDiagnostics) = try harness.compile(
            Self.purchase.replacingOccurrences(of: "CONTACT", with: "\"{Leverandør}\"")
                .replacingOccurrences(of: "contacts: create", with: "contacts: existing"))
        #expect(shortDiagnostics.isEmpty)
        #expect(short?.validation.contacts == .existing)
        #expect(short?.document.purchase?.contact?.text != nil)

        let (_, wrong) = try harness.compile(
            Self.purchase.replacingOccurrences(of: "CONTACT", with: "{ country: DK }")
                .replacingOccurrences(of: "contacts: create", with: "contacts: maybe"))
        #expect(wrong.contains { $0.message.contains("`contacts` cannot be `maybe`") })
        #expect(
            wrong.contains { $0.message.contains("needs at least one of id, name, vat_number or external_reference") })
        let (_, misspelt) = try harness.compile(
            Self.purchase.replacingOccurrences(of: "CONTACT", with: "{ name: x, vat: y }"))
        #expect(misspelt.contains { $0.message.contains("unknown key `vat`") })
    }

    @Test("a row's supplier fields become its reference, trimmed; empty ones are left out")
    func evaluated() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(
            Self.purchase.replacingOccurrences(of: "CONTACT", with: "{ name: \"{Navn}\", vat_number: \"{CVR}\" }"),
            data: "Dato,Beløb,Navn,CVR\n2026-03-01,100.00, Acme ApS ,\n")
        let documents = events.documents
        let contact = try #require(documents.first?.purchase?.contact)
        #expect(contact == ContactReference(name: "Acme ApS"))
    }
}

@Suite("Mapping compiler: rules that never apply")
struct RuleShadowingTests {
    static func warnings(_ rules: String) throws -> [String] {
        let harness = try Harness()
        defer { harness.cleanup() }
        let (_, diagnostics) = try harness.compile(
            CompilerTests.valid.replacingOccurrences(
                of: "document:", with: "variables: { v: x }\nrules:\n\(rules)\ndocument:"))
        return diagnostics.filter { $0.severity == .warning }.map(\.message)
    }

    @Test("a rule whose rows an earlier rule takes is warned about; a narrower rule first is not")
    func shadowed() throws {
        #expect(
            try Self.warnings(
                """
                  - when: { Tekst: { contains: netto } }
                    set: { v: a }
                  - when: { Tekst: { contains: "NETTO mad" } }
                    set: { v: b }
                  - when: { Tekst: { starts_with: Løn } }
                    set: { v: c }
                  - when: { Tekst: Løn marts }
                    set: { v: d }
                  - when: { Tekst: { in: [Renter, Gebyr] } }
                    set: { v: e }
                  - when: { all: [{ Tekst: Gebyr }, { Beløb: { lt: 0 } }] }
                    set: { v: f }
                """) == [
                    "`rules[2]` never applies: every row it matches is taken by `rules[1]` first",
                    "`rules[4]` never applies: every row it matches is taken by `rules[3]` first",
                    "`rules[6]` never applies: every row it matches is taken by `rules[5]` first",
                ])
        #expect(
            try Self.warnings(
                """
                  - when: { Tekst: { contains: "netto mad" } }
                    set: { v: a }
                  - when: { Tekst: { contains: netto } }
                    set: { v: b }
                  - when: { Tekst: { contains: netto, ignore_case: false } }
                    set: { v: c }
                  - when: { Konto: { contains: netto } }
                    set: { v: d }
                """) == ["`rules[3]` never applies: every row it matches is taken by `rules[2]` first"])
    }
}
