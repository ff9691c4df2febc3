import Foundation
import LedgerModel
import Readers
import Testing

@testable import Mapping

/// A mapping reading fields outside its records: `{../JournalID}`, `{/AuditFile/Header/…}`.
@Suite("Mapping: fields outside the record")
struct ContextFieldTests {
    static let xml = """
        <AuditFile>
          <Header><DefaultCurrencyCode>EUR</DefaultCurrencyCode></Header>
          <GeneralLedgerEntries>
            <Journal><JournalID>GL</JournalID>
              <Transaction><ID>1</ID><Date>2026-03-01</Date><Amount>10.00</Amount></Transaction>
            </Journal>
            <Journal><JournalID>AP</JournalID>
              <Transaction><ID>1</ID><Date>2026-03-02</Date><Amount>20.00</Amount></Transaction>
            </Journal>
          </GeneralLedgerEntries>
        </AuditFile>
        """

    static func mapping(records: String, reference: String, currency: String, format: String = "xml") -> String {
        """
        version: 1
        name: t
        source: { format: \(format), records: "\(records)" }
        locale: { decimal_mark: "." }
        document:
          kind: ledger_item
          date: "{Date}"
          reference: "\(reference)"
          currency: "\(currency)"
          lines:
            - account: 5820
              balancing_account: 1000
              amount: "{Amount}"
              vat: none
              balancing_vat: none
        """
    }

    @Test("a journal's id and the header's currency reach each transaction's document")
    func xml() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(
            Self.mapping(
                records: "AuditFile/GeneralLedgerEntries/Journal/Transaction", reference: "{../JournalID}-{ID}",
                currency: "{/AuditFile/Header/DefaultCurrencyCode}"),
            data: Self.xml, file: "saft.xml")
        #expect(events.documents.map(\.reference) == ["GL-1", "AP-1"])
        #expect(events.documents.map(\.currency.code) == ["EUR", "EUR"])
    }

    @Test("JSON: the statement's account beside each entry")
    func json() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(
            Self.mapping(
                records: "statement.entries", reference: "{../account}-{ID}", currency: "{/currency}", format: "json"),
            data: """
                {"currency": "DKK", "statement": {"account": "DK50", "entries": [{"ID": "7", "Date": "2026-03-01", "Amount": "5.00"}]}}
                """, file: "s.json")
        #expect(events.documents.map(\.reference) == ["DK50-7"])
        #expect(events.documents.first?.currency == .dkk)
    }

    @Test("fields outside the record are refused where they cannot be read, saying why")
    func refused() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        func bindErrors(_ yaml: String, _ data: String, _ file: String) throws -> [String] {
            let (mapping, diagnostics) = try harness.compile(yaml)
            #expect(diagnostics.isEmpty, "\(diagnostics)")
            let path = try harness.write(file, data)
            let reader = try Readers.open(path, options: try #require(mapping).readerOptions)
            return BoundMapping.bind(try #require(mapping), to: reader.source).diagnostics.map(\.message)
        }
        let anyDepth = try bindErrors(
            Self.mapping(records: "//Transaction", reference: "{../JournalID}-{ID}", currency: "DKK"), Self.xml,
            "a.xml")
        #expect(anyDepth.contains { $0.contains("matched at any depth") })
        let tooHigh = try bindErrors(
            Self.mapping(
                records: "AuditFile/GeneralLedgerEntries/Journal/Transaction", reference: "{../../../../x}",
                currency: "DKK"),
            Self.xml, "b.xml")
        #expect(tooHigh.contains { $0.contains("climbs 4 levels from the record, which has 3 above it") })
        let csv = try bindErrors(
            Self.mapping(records: "x", reference: "{/x}", currency: "DKK", format: "csv")
                .replacingOccurrences(of: ", records: \"x\"", with: ""),
            "Date,Amount\n2026-03-01,1.00\n", "c.csv")
        #expect(csv.contains { $0.contains("reads outside the record, which a CSV row does not have") })
        let unnamed = try bindErrors(
            Self.mapping(records: "x", reference: "{../account}", currency: "DKK", format: "json")
                .replacingOccurrences(of: ", records: \"x\"", with: ""),
            "[{\"Date\": \"2026-03-01\", \"Amount\": \"1.00\"}]", "d.json")
        #expect(unnamed.contains { $0.contains("does not say where the records are") })
    }
}

@Suite("Mapping: rows of a file without a header")
struct HeaderlessTests {
    @Test("a row shorter than the columns the mapping reads is rejected, not booked with empty values")
    func shortRow() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(
            """
            version: 1
            name: t
            source: { format: csv, delimiter: ",", header_line: 0 }
            locale: { decimal_mark: "." }
            document:
              kind: ledger_item
              date: "{#1}"
              description: "{#2}"
              lines:
                - account: 5820
                  balancing_account: 1000
                  amount: "{#3}"
                  vat: none
                  balancing_vat: none
            """,
            data: "2026-03-01,Salg,10.00\n2026-03-02\n2026-03-03,Mere,5.00,ekstra\n", file: "nohead.csv")
        #expect(events.documents.map(\.description) == ["Salg", "Mere"])
        let rejected = try #require(events.rejections.first)
        #expect(rejected.rows.map(\.line) == [2])
        #expect(rejected.diagnostics.map(\.code.rawValue) == ["R022"])
        #expect(rejected.reason == "row has 1 field; the mapping reads column #3")
    }
}

@Suite("Mapping: spaces around fields")
struct TrimTests {
    static func yaml(_ source: String) -> String {
        """
        version: 1
        name: t
        source: { format: csv, delimiter: ",", \(source) }
        locale: { decimal_mark: "." }
        skip:
          - when: { Text: { equals: "Skip" } }
            reason: a memo line
        document:
          kind: ledger_item
          date: "{Date}"
          description: "{Text}|"
          lines:
            - account: "{Account}"
              balancing_account: 1000
              amount: "{Amount}"
              vat: none
              balancing_vat: none
        """
    }

    static let data = "Date,Text,Account,Amount\n2026-03-01, Foo ,\t5820, 123\n2026-03-01, Skip ,5820,1.00\n"

    @Test("fields are read without the spaces around them, unless the mapping keeps them")
    func trimmed() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(Self.yaml("header_line: 1"), data: Self.data, file: "spaces.csv")
        #expect(events.documents.map(\.description) == ["Foo|"])
        #expect(events.documents.first?.lines.first?.account == 5820)
        #expect(events.documents.first?.lines.first?.amount.minorUnits == 12_300)
        #expect(events.skips.count == 1)

        let kept = try harness.run(Self.yaml("trim: false"), data: Self.data, file: "kept.csv")
        #expect(kept.documents.map(\.description) == [" Foo |"])
        #expect(kept.skips.count == 1)  // a condition's text test ignores the spaces either way
    }
}

@Suite("Mapping: paths checked against a sample")
struct PathCheckTests {
    static let xml = """
        <Stmt><Acct>DK1</Acct>
          <Ntry><Amt>1.00</Amt><Dt>2026-03-01</Dt><RmtInf><Ustrd>first</Ustrd><Ustrd>second</Ustrd></RmtInf>
            <Dtls><Amt>1.00</Amt></Dtls></Ntry>
          <Ntry><Amt>2.00</Amt><Dt>2026-03-02</Dt><RmtInf><Ustrd>only</Ustrd></RmtInf></Ntry>
        </Stmt>
        """

    static func yaml(_ fields: String) -> String {
        """
        version: 1
        name: t
        source: { format: xml, records: Stmt/Ntry }
        locale: { decimal_mark: "." }
        document:
          kind: ledger_item
          date: "{Dt}"
          description: "\(fields)"
          lines:
            - account: 5820
              balancing_account: 1000
              amount: "{Amt}"
              vat: none
              balancing_vat: none
            - for_each: Dtls
              account: 5820
              balancing_account: 1000
              amount: "{Amt}"
              description: "{Amnt}"
              vat: none
              balancing_vat: none
        """
    }

    @Test(
        "a misspelt path is an error with the near miss; an absent one a warning; a repeated one says only the first is read"
    )
    func sample() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let (mapping, diagnostics) = try harness.compile(
            Self.yaml("{RmtInf/Ustrdd} {RmtInf/Ustrd} {Optional} {../Acct} {/Stmt/Missing}"))
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let file = try harness.write("camt.xml", Self.xml)
        let found = PathCheck.check(try #require(mapping), file: file, options: try #require(mapping).readerOptions)
        let said = found.map {
            "\($0.severity == .error ? "E" : "W") \($0.code.rawValue) \($0.message) \($0.hint ?? "")"
        }
        #expect(
            said.contains {
                $0.hasPrefix("E M012 `RmtInf/Ustrdd` matches nothing") && $0.hasSuffix("did you mean `RmtInf/Ustrd`?")
            })
        #expect(
            said.contains {
                $0.hasPrefix("W M013 `RmtInf/Ustrd` reaches 2 values in record 1") && $0.contains("RmtInf/Ustrd[2]")
            })
        #expect(said.contains { $0.hasPrefix("W M012 `Optional` matches nothing") })
        #expect(said.contains { $0.hasPrefix("W M012 `/Stmt/Missing` has no value") })
        // Inside `for_each`, paths are the item's: `Amnt` is a near miss of the item's `Amt`.
        #expect(said.contains { $0.hasPrefix("E M012 `Amnt` matches nothing") && $0.hasSuffix("did you mean `Amt`?") })
        #expect(
            !said.contains {
                $0.contains("`../Acct`") || $0.contains("`Dt`") || $0.contains(" `Amt`") && !$0.contains("Amnt")
            })
    }
}

@Suite("Mapping: control totals")
struct ControlTotalTests {
    static let saft = """
        <AuditFile>
          <GeneralLedgerEntries>
            <NumberOfEntries>2</NumberOfEntries><TotalDebit>TOTAL</TotalDebit><TotalCredit>TOTAL</TotalCredit>
            <Journal><JournalID>GL</JournalID>
              <Transaction><ID>1</ID><Date>2026-03-01</Date>
                <Line><Account>5820</Account><DebitAmount><Amount>100.00</Amount></DebitAmount></Line>
                <Line><Account>1000</Account><CreditAmount><Amount>100.00</Amount></CreditAmount></Line>
              </Transaction>
              <Transaction><ID>2</ID><Date>2026-03-02</Date>
                <Line><Account>3400</Account><DebitAmount><Amount>50.25</Amount></DebitAmount></Line>
                <Line><Account>5500</Account><CreditAmount><Amount>50.25</Amount></CreditAmount></Line>
              </Transaction>
            </Journal>
          </GeneralLedgerEntries>
        </AuditFile>
        """

    static let saftMapping = """
        version: 1
        name: t
        source: { format: xml, records: AuditFile/GeneralLedgerEntries/Journal/Transaction }
        locale: { decimal_mark: "." }
        control_totals:
          debit: "{../../TotalDebit}"
          credit: "{/AuditFile/GeneralLedgerEntries/TotalCredit}"
          count: "{../../NumberOfEntries}"
        document:
          kind: ledger_item
          date: "{Date}"
          reference: "{../JournalID}-{ID}"
          lines:
            - for_each: Line
              account: "{Account}"
              amount: { debit: "{DebitAmount/Amount}", credit: "{CreditAmount/Amount}" }
              vat: none
        """

    static func totals(_ harness: Harness, _ yaml: String, _ data: String, _ file: String) throws -> [ControlTotal] {
        let (mapping, diagnostics) = try harness.compile(yaml)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let compiled = try #require(mapping)
        let reader = try Readers.open(try harness.write(file, data), options: compiled.readerOptions)
        let bound = try #require(BoundMapping.bind(compiled, to: reader.source).mapping)
        let builder = try DocumentBuilder(bound, reader: reader, workers: 2)
        while try builder.next() != nil {}
        return builder.controlTotals
    }

    @Test("a SAF-T file's header totals and entry count against its documents")
    func saft() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let agree = try Self.totals(
            harness, Self.saftMapping, Self.saft.replacingOccurrences(of: "TOTAL", with: "150.25"), "a.xml")
        #expect(agree.map(\.name) == ["debit", "credit", "count"])
        #expect(agree.map(\.agrees) == [true, true, true], "\(agree)")
        #expect(agree[2].description == "count: the file says 2, it holds 2 records")
        #expect(ControlTotal.refusal(agree, file: "a.xml") == nil)
        let differ = try Self.totals(
            harness, Self.saftMapping, Self.saft.replacingOccurrences(of: "TOTAL", with: "150.00"), "b.xml")
        #expect(differ.map(\.agrees) == [false, false, true])
        #expect(differ[0].description == "debit: the file says 150.00, its documents 150.25 (differs)")
        let refusal = try #require(ControlTotal.refusal(differ, file: "b.xml"))
        #expect(refusal.hasPrefix("b.xml does not add up to its own totals, so none of its documents is sent"))
    }

    @Test("a statement's opening balance plus its entries must be its closing balance")
    func balance() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let yaml = """
            version: 1
            name: t
            source: { format: xml, records: Stmt/Ntry }
            locale: { decimal_mark: "." }
            control_totals:
              balance: { account: 5500, opening: "{../Bal[1]/Amt}", closing: "{../Bal[2]/Amt}" }
            document:
              kind: ledger_item
              date: "{Dt}"
              lines:
                - account: 5500
                  balancing_account: 9900
                  amount: "{Amt}"
                  vat: none
                  balancing_vat: none
            """
        let statement = """
            <Stmt><Bal><Amt>1000.00</Amt></Bal><Bal><Amt>CLOSING</Amt></Bal>
              <Ntry><Dt>2026-03-01</Dt><Amt>-250.50</Amt></Ntry><Ntry><Dt>2026-03-02</Dt><Amt>100.00</Amt></Ntry></Stmt>
            """
        let agree = try Self.totals(
            harness, yaml, statement.replacingOccurrences(of: "CLOSING", with: "849.50"), "s.xml")
        #expect(agree.map(\.agrees) == [true])
        let off = try Self.totals(
            harness, yaml, statement.replacingOccurrences(of: "CLOSING", with: "1283.66"), "t.xml")
        #expect(off.map(\.agrees) == [false])
        #expect(
            off[0].description
                == "closing balance: the file says 1283.66, its documents 1000.00 + -150.50 = 849.50 (differs)")
    }
}

@Suite("Mapping: for_each items")
struct ForEachItemTests {
    static func yaml(amount: String, splitOf: String?) -> String {
        """
        version: 1
        name: t
        source: { format: xml, records: Stmt/Ntry }
        locale: { decimal_mark: "." }
        document:
          kind: ledger_item
          date: "{Dt}"
          lines:
            - for_each: NtryDtls/TxDtls
              account: 5500
              balancing_account: 9900
              amount: "\(amount)"
              description: "{Ustrd} / {^Ref}"
              vat: none
              balancing_vat: none
        \(splitOf.map { "      split_of: \"\($0)\"" } ?? "")
        """
    }

    static let batch = """
        <Stmt><Ntry><Ref>B1</Ref><Dt>2026-03-01</Dt><Amt>-664.05</Amt><Ustrd>batch</Ustrd>
          <NtryDtls><TxDtls><Ustrd>first</Ustrd></TxDtls><TxDtls><Ustrd>second</Ustrd></TxDtls></NtryDtls></Ntry>
        <Ntry><Ref>B2</Ref><Dt>2026-03-02</Dt><Amt>-664.05</Amt>
          <NtryDtls><TxDtls><Ustrd>a</Ustrd><Amt>-600.00</Amt></TxDtls><TxDtls><Ustrd>b</Ustrd><Amt>-64.05</Amt></TxDtls></NtryDtls></Ntry>
        <Ntry><Ref>B3</Ref><Dt>2026-03-03</Dt><Amt>-664.05</Amt>
          <NtryDtls><TxDtls><Ustrd>a</Ustrd><Amt>-600.00</Amt></TxDtls><TxDtls><Ustrd>b</Ustrd><Amt>-60.00</Amt></TxDtls></NtryDtls></Ntry></Stmt>
        """

    @Test("inside for_each a field is the item's only, never the record's; {^NAME} reads the record's")
    func itemOnly() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(Self.yaml(amount: "{Amt}", splitOf: nil), data: Self.batch, file: "b.xml")
        // The first entry's details carry no amount: rejected, not the entry's total booked twice.
        #expect(events.rejections.map { $0.rows.map(\.record) } == [[1]])
        #expect(events.documents.map { $0.lines.map(\.amount.minorUnits) } == [[-60_000, -6405], [-60_000, -6000]])
        #expect(events.documents.first?.lines.map(\.description) == ["a / B2", "b / B2"])
    }

    @Test("split lines must add up to the amount they split")
    func split() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(Self.yaml(amount: "{Amt}", splitOf: "{^Amt}"), data: Self.batch, file: "s.xml")
        #expect(events.documents.map(\.lines.count) == [2])
        let rejected = events.rejections.flatMap(\.diagnostics)
        #expect(rejected.map(\.code.rawValue).contains("M113"))
        #expect(
            rejected.contains {
                $0.message == "the 2 lines split from the record add up to -660.00, not the -664.05 they split"
            })
    }
}

@Suite("Mapping: join")
struct JoinTests {
    @Test("join reads every value a path reaches, in order; a single value is itself")
    func join() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(
            """
            version: 1
            name: t
            source: { format: xml, records: Stmt/Ntry }
            locale: { decimal_mark: "." }
            document:
              kind: ledger_item
              date: "{Dt}"
              description: { join: "{RmtInf/Ustrd}", separator: " / " }
              lines:
                - { account: 5500, balancing_account: 9900, amount: "{Amt}", vat: none, balancing_vat: none }
            """,
            data: """
                <Stmt><Ntry><Dt>2026-03-01</Dt><Amt>1.00</Amt><RmtInf><Ustrd>Faktura 12</Ustrd><Ustrd> Kunde 7 </Ustrd></RmtInf></Ntry>
                <Ntry><Dt>2026-03-02</Dt><Amt>2.00</Amt><RmtInf><Ustrd>Alene</Ustrd></RmtInf></Ntry></Stmt>
                """, file: "j.xml")
        #expect(events.documents.map(\.description) == ["Faktura 12 / Kunde 7", "Alene"])
        let (_, wrong) = try harness.compile(
            "version: 1\ndocument: {kind: ledger_item, date: x, description: { join: \"a {b}\" }, lines: [{account: 1, amount: 1}]}"
        )
        #expect(wrong.contains { $0.message.contains("takes one field") })
    }
}

@Suite("Mapping: a line that takes the remainder")
struct RemainderTests {
    static let yaml = """
        version: 1
        name: t
        source: { format: csv, delimiter: "," }
        locale: { decimal_mark: "." }
        document:
          kind: manual_voucher
          date: "{Date}"
          lines:
            - { account: 5500, amount: "{Net}", vat: none }
            - { account: 4000, amount: "{Fee}", vat: none, skip_if_zero: true }
            - { account: 1000, amount: remainder, vat: none }
        """

    @Test("three postings from a row, the last taking what balances the others")
    func remainder() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(
            Self.yaml, data: "Date,Net,Fee\n2026-03-01,97.50,2.50\n2026-03-02,50.00,0\n", file: "r.csv")
        #expect(events.documents.map { $0.lines.map(\.amount.minorUnits) } == [[9750, 250, -10_000], [5000, -5000]])
        let (_, twice) = try harness.compile(
            Self.yaml.replacingOccurrences(of: "amount: \"{Fee}\"", with: "amount: remainder"))
        #expect(twice.contains { $0.message == "only one line can take the remainder" })
        let (_, balancing) = try harness.compile(
            Self.yaml.replacingOccurrences(
                of: "{ account: 1000, amount: remainder",
                with: "{ account: 1000, balancing_account: 5500, amount: remainder"))
        #expect(balancing.contains { $0.message.contains("is for one line without `balancing_account`") })
    }
}

@Suite("Mapping: skipping rows after a skipped one")
struct AlsoSkipTests {
    static func yaml(_ also: String) -> String {
        """
        version: 1
        name: t
        source: { format: csv, delimiter: ",", header_line: 0 }
        locale: { decimal_mark: "." }
        skip:
          - when: { "#1": { starts_with: Total } }
            reason: the totals line
            also_skip: \(also)
        document:
          kind: ledger_item
          date: "{#1}"
          lines:
            - { account: 5500, balancing_account: 9900, amount: "{#2}", vat: none, balancing_vat: none }
        """
    }

    static let data = "2026-03-01,1.00\n2026-03-02,2.00\nTotal,3.00\nnot a date,x\nBank ApS,printed\n2026-03-03,4.00\n"

    @Test("also_skip: rest stops at a trailer; also_skip: N skips the next N rows; each row says why")
    func trailer() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let rest = try harness.run(Self.yaml("rest"), data: Self.data, file: "t.csv")
        #expect(rest.documents.count == 2)
        #expect(rest.rejections.isEmpty)
        #expect(rest.skips.map { $0.rows.map(\.line) } == [[3], [4], [5], [6]])
        #expect(rest.skips.last?.reason == "after the totals line (line 3)")
        let two = try harness.run(Self.yaml("2"), data: Self.data, file: "n.csv")
        #expect(two.documents.map(\.date.description) == ["2026-03-01", "2026-03-02", "2026-03-03"])
        #expect(two.skips.map { $0.rows.map(\.line) } == [[3], [4], [5]])
        #expect(two.skips[1].reason == "one of the 2 rows after the totals line (line 3)")
    }
}

@Suite("Mapping: the whole row")
struct WholeRecordTests {
    @Test("_record tests the row's fields joined with commas")
    func wholeRow() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(
            """
            version: 1
            name: t
            source: { format: csv, delimiter: ";" }
            locale: { decimal_mark: "," }
            variables: { counter: 9900 }
            rules:
              - when: { _record: { matches: "MobilePay.*,12" } }
                set: { counter: 5830 }
            document:
              kind: ledger_item
              date: "{Dato}"
              lines:
                - { account: 5500, balancing_account: "{$counter}", amount: "{Beløb}", vat: none, balancing_vat: none }
            """,
            data: "Dato;Tekst;Beløb\n2026-03-01;MobilePay salg;12,00\n2026-03-02;MobilePay salg;13,00\n", file: "w.csv")
        #expect(events.documents.map { $0.lines[0].balancingAccount?.rawValue } == ["5830", "9900"])
    }
}

@Suite("Mapping: control totals from a trailer row")
struct TrailerTotalTests {
    @Test("read_from: last takes the totals from the file's last row, skipped as the trailer it is")
    func trailer() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let yaml = """
            version: 1
            name: t
            source: { format: csv, delimiter: ";" }
            locale: { decimal_mark: "," }
            skip:
              - when: { Dato: Total }
                reason: the totals row
                also_skip: rest
            control_totals:
              read_from: last
              debit: "{Beløb}"
            document:
              kind: ledger_item
              date: "{Dato}"
              lines:
                - { account: 5500, balancing_account: 1000, amount: "{Beløb}", vat: none, balancing_vat: none }
            """
        let totals = try ControlTotalTests.totals(
            harness, yaml, "Dato;Beløb\n2026-03-01;1,00\n2026-03-02;2,50\nTotal;3,50\n", "t.csv")
        #expect(totals.map(\.description) == ["debit: the file says 3.50, its documents 3.50"])
        let short = try ControlTotalTests.totals(
            harness, yaml, "Dato;Beløb\n2026-03-01;1,00\nTotal;3,50\n", "u.csv")
        #expect(short.map(\.agrees) == [false])
    }
}
