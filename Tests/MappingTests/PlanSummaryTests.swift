import LedgerModel
import Testing

@testable import Mapping

@Suite("Plan totals per account and VAT code")
struct PlanSummaryTests {
    static func line(
        _ account: AccountNumber?, _ balancing: AccountNumber?, _ minorUnits: Int64, _ currency: Currency = .dkk,
        vat: VatSpec? = VatSpec.none, balancingVat: VatSpec? = VatSpec.none
    ) -> DocumentLine {
        DocumentLine(
            description: "", account: account, balancingAccount: balancing,
            amount: Money(minorUnits: minorUnits, currency: currency), vat: vat, balancingVat: balancingVat,
            row: SourceRow(record: 1, line: 2))
    }

    static func document(_ lines: [DocumentLine], currency: Currency = .dkk) -> Document {
        Document(
            kind: .ledgerItem, reference: "r", date: LocalDate(iso: "2026-03-01")!, currency: currency,
            description: nil, voucherNumber: nil, attachment: nil, purchase: nil, lines: lines,
            provenance: Provenance(file: "t.csv", rows: [SourceRow(record: 1, line: 2)]))
    }

    @Test("debits, credits and lines add up per name and currency, short, long and non-ASCII names alike")
    func totals() {
        var summary = PlanSummary()
        let long: AccountNumber = "1234567890-long"
        summary.add(Self.document([Self.line(5500, 2750, 10_000, vat: .code("U25"), balancingVat: .code("I25"))]))
        summary.add(Self.document([Self.line(5500, long, -2_500)]))
        summary.add(Self.document([Self.line("Kasse-Æ", 2750, 700)]))
        summary.add(Self.document([Self.line(5500, nil, 300, .eur, vat: nil)], currency: .eur))
        summary.add(Self.document([Self.line(5500, 2750, 1, balancingVat: .code("I25"))]))

        func total(_ name: String, _ currency: Currency = .dkk) -> (Int64, Int64, Int)? {
            summary.accounts.first { $0.name == name && $0.currency == currency }.map {
                ($0.debit.minorUnits, $0.credit.minorUnits, $0.lines)
            }
        }
        #expect(total("5500")! == (10_001, 2_500, 3))
        #expect(total("5500", .eur)! == (300, 0, 1))
        #expect(total("2750")! == (0, 10_701, 3))
        #expect(total(long.rawValue)! == (2_500, 0, 1))
        #expect(total("Kasse-Æ")! == (700, 0, 1))
        #expect(summary.accounts.map(\.name) == ["1234567890-long", "2750", "5500", "5500", "Kasse-Æ"])

        let vat = Dictionary(uniqueKeysWithValues: summary.vatCodes.map { ("\($0.name) \($0.currency)", $0) })
        #expect(vat["U25 DKK"]?.debit.minorUnits == 10_000)
        #expect(vat["I25 DKK"]?.credit.minorUnits == 10_001)
        #expect(vat["I25 DKK"]?.lines == 2)
        #expect(vat["none DKK"]?.lines == 5)
        #expect(vat["(not given) EUR"]?.debit.minorUnits == 300)
        #expect(summary.documentsByKind[.ledgerItem] == 5)
    }

    @Test("totals stay per name and currency when 3 frequent and 30 rare names interleave past the 8 remembered")
    func manyNames() {
        var summary = PlanSummary()
        var expected: [String: (debit: Int64, credit: Int64, lines: Int)] = [:]
        func post(_ name: AccountNumber, _ currency: Currency, _ units: Int64) {
            let key = "\(name.rawValue) \(currency.code)"
            var total = expected[key] ?? (0, 0, 0)
            if units >= 0 { total.debit += units } else { total.credit -= units }
            total.lines += 1
            expected[key] = total
        }
        for i in 0..<2_000 {
            let frequent: AccountNumber = ["5500", "2750", "Kasse-Æ"][i % 3]
            let rare = AccountNumber("\(6000 + (i * 7) % 30)")
            let currency: Currency = i % 5 == 0 ? .eur : .dkk
            let units = Int64(i % 97) - 40
            summary.add(Self.document([Self.line(frequent, rare, units, currency)], currency: currency))
            post(frequent, currency, units)
            post(rare, currency, -units)
        }
        let got = Dictionary(
            uniqueKeysWithValues: summary.accounts.map {
                ("\($0.name) \($0.currency.code)", ($0.debit.minorUnits, $0.credit.minorUnits, $0.lines))
            })
        #expect(got.count == expected.count)
        for (key, total) in expected {
            #expect(got[key].map { $0 == total } == true, "\(key)")
        }
    }
}

extension PlanSummaryTests {
    @Test("a line's rows are found by its fields' bits, or by name when equal values lie in other storage")
    func shapes() {
        var summary = PlanSummary()
        // Long names and zone/category VAT live on the heap: each line below makes its own copy,
        // so equal lines have different bits and are matched by name; the totals must not care.
        func long(_ i: Int) -> AccountNumber { AccountNumber("Mellemregning med datterselskab \(i % 3)") }
        func zone(_ i: Int) -> VatSpec { .zoneCategory(zone: "EU\(i % 2)", category: "goods") }
        for i in 0..<300 {
            let vat: VatSpec? = i % 4 == 0 ? nil : (i % 4 == 1 ? .code("I25") : (i % 4 == 2 ? VatSpec.none : zone(i)))
            summary.add(Self.document([Self.line(5500, long(i), 100, vat: vat, balancingVat: zone(i + 1))]))
            summary.add(Self.document([Self.line(long(i + 1), 5500, -7, .eur)], currency: .eur))
        }
        let accounts = Dictionary(
            uniqueKeysWithValues: summary.accounts.map {
                ("\($0.name) \($0.currency.code)", ($0.debit.minorUnits, $0.credit.minorUnits, $0.lines))
            })
        #expect(accounts["5500 DKK"]! == (30_000, 0, 300))
        #expect(accounts["5500 EUR"]! == (2_100, 0, 300))
        for k in 0..<3 {
            #expect(accounts["Mellemregning med datterselskab \(k) DKK"]! == (0, 10_000, 100))
            #expect(accounts["Mellemregning med datterselskab \(k) EUR"]! == (0, 700, 100))
        }
        let vat = Dictionary(
            uniqueKeysWithValues: summary.vatCodes.map {
                ("\($0.name) \($0.currency.code)", ($0.debit.minorUnits, $0.credit.minorUnits, $0.lines))
            })
        #expect(vat["(not given) DKK"]! == (7_500, 0, 75))
        #expect(vat["I25 DKK"]! == (7_500, 0, 75))
        #expect(vat["none DKK"]! == (7_500, 0, 75))
        #expect(vat["EU0/goods DKK"]! == (0, 15_000, 150))
        #expect(vat["EU1/goods DKK"]! == (7_500, 15_000, 225))
        #expect(vat["none EUR"]! == (2_100, 2_100, 600))
    }
}

@Suite("The last few values looked up")
struct RecentValuesTests {
    @Test("a key is found by its bits, or by == when its bits differ; the oldest goes once 16 are kept")
    func lookups() {
        var recent = RecentValues<String, Int>()
        // Large strings: equal texts in storages of their own have different bits.
        let long = (0..<20).map { "Husleje marts Ejendomsselskabet nummer \($0)" }
        for (i, key) in long.enumerated() { recent.remember(key, i) }
        #expect(recent.value(for: long[7]) == 7)  // the very value: equal bits
        #expect(recent.value(for: String(decoding: Array(long[7].utf8), as: UTF8.self)) == 7)  // equal by ==
        #expect(recent.value(for: long[19]) == 19)
        #expect(recent.value(for: long[3]) == nil)  // one of the 4 oldest, overwritten
        #expect(recent.value(for: "5500") == nil)
        recent.remember("5500", 100)
        #expect(recent.value(for: "55" + "00") == 100)  // small strings: equal text, equal bits
        #expect(recent.value(for: long[4]) == nil)  // the next oldest went for it

        // A key of more than 32 bytes is compared with == only.
        struct Wide: Equatable { var a = 0, b = 0, c = 0, d = 0, e = 0 }
        var wide = RecentValues<Wide, String>()
        wide.remember(Wide(a: 1, b: 2, c: 3), "x")
        #expect(wide.value(for: Wide(a: 1, b: 2, c: 3)) == "x")
        #expect(wide.value(for: Wide(a: 1, b: 2, c: 4)) == nil)

        // A name and a tag, as plan totals key their rows (20 bytes).
        struct Named: Equatable { var name: String, tag: UInt32 }
        var named = RecentValues<Named, Int>()
        let fees = "Bank fees and interest, account 4000"
        named.remember(Named(name: fees, tag: 7), 1)
        #expect(named.value(for: Named(name: fees, tag: 7)) == 1)
        #expect(named.value(for: Named(name: String(decoding: Array(fees.utf8), as: UTF8.self), tag: 7)) == 1)
        #expect(named.value(for: Named(name: fees, tag: 8)) == nil)
    }
}

@Suite("ByteHash")
struct ByteHashTests {
    @Test("changing any one byte of a text of 0 to 40 bytes changes its hash, and so does its length")
    func everyByteCounts() {
        var seen = Set<UInt64>()
        for count in 0...40 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let hash = bytes.withUnsafeBytes { ByteHash.hash($0) }
            #expect(seen.insert(hash).inserted, "length \(count)")
            for position in 0..<count {
                var changed = bytes
                changed[position] ^= 0x01
                #expect(changed.withUnsafeBytes { ByteHash.hash($0) } != hash, "length \(count), byte \(position)")
            }
        }
    }
}
