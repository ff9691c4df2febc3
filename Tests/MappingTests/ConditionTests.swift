import Foundation
import LedgerModel
import Readers
import Testing

@testable import Mapping

@Suite("Conditions, rules and skips")
struct ConditionTests {
    static let csv = """
        date;text;amount;type
        01-03-2026;Dankort-køb NETTO Østerbro;-234,50;kort
        02-03-2026;MobilePay salg uge 9;9.815,00;mp
        03-03-2026;ØRESUND HUSLEJE marts;-18.750,00;bs
        04-03-2026;Saldo primo;0,00;
        05-03-2026;Renter;1,27;

        """

    /// (condition, row numbers it holds for)
    static let cases: [(String, [Int])] = [
        ("{ text: { contains: netto } }", [1]),
        ("{ text: { contains: \"østerbro\" } }", [1]),
        ("{ text: { contains: \"øresund\" } }", [3]),
        ("{ text: { contains: \"Netto\", ignore_case: false } }", []),
        ("{ text: { starts_with: \"mobilepay\" } }", [2]),
        ("{ text: { ends_with: \"MARTS\" } }", [3]),
        ("{ text: { matches: \"^(dankort|visa)\" } }", [1]),
        ("{ text: { matches: \"uge [0-9]+$\" } }", [2]),
        // Literal alternatives are found without the regex engine, folded as the engine folds.
        ("{ text: { matches: \"netto|øresund\" } }", [1, 3]),
        ("{ text: { matches: \"uge 9|primo|enter\" } }", [2, 4, 5]),
        ("{ text: { matches: \"NETTO|husleje\", ignore_case: false } }", [1]),
        ("{ text: { matches: \"ØRESUND|Østerbro\", ignore_case: false } }", [1, 3]),
        ("{ text: { matches: \"øresund|østerbro\", ignore_case: false } }", []),
        // A case-sensitive pattern sees the text as written (Latin-1 capitals were folded once).
        ("{ text: { matches: \"^ØRESUND\", ignore_case: false } }", [3]),
        ("{ text: { matches: \"^øresund\", ignore_case: false } }", []),
        ("{ text: { matches: \"østerbro$\" } }", [1]),
        ("{ text: { in: [Renter, \"saldo PRIMO\", x] } }", [4, 5]),
        ("{ text: { in: [Renter, \"saldo PRIMO\"], ignore_case: false } }", [5]),
        ("{ text: { in: [\"DANKORT-KØB netto østerbro\"] } }", [1]),
        ("{ text: { in: [\"Dankort-køb NETTO Østerbro\"], ignore_case: false } }", [1]),
        ("{ text: { in: [\"Dankort-køb NETTO østerbro\"], ignore_case: false } }", []),
        ("{ type: kort }", [1]),
        ("{ type: { in: [kort, MP] } }", [1, 2]),
        ("{ text: { in: [\"øresund HUSLEJE marts\", renter] } }", [3, 5]),
        ("{ text: { in: [\"ØRESUND HUSLEJE marts\"], ignore_case: false } }", [3]),
        ("{ text: { in: [\"øresund husleje marts\"], ignore_case: false } }", []),
        ("{ type: { empty: true } }", [4, 5]),
        ("{ amount: { lt: 0 } }", [1, 3]),
        ("{ amount: { gte: 1.27, lte: 9815 } }", [2, 5]),
        ("{ any: [{ type: kort }, { text: { contains: leje } }] }", [1, 3]),
        ("{ all: [{ amount: { lt: 0 } }, { not: { type: kort } }] }", [3]),
        ("{ type: mp, amount: { gt: 0 } }", [2]),
        ("{ text: { not_contains: a } }", [5]),
        // equals: ASCII compared on the bytes, anything else as Unicode text
        ("{ text: Renter }", [5]),
        ("{ text: RENTER }", [5]),
        ("{ text: { equals: RENTER, ignore_case: false } }", []),
        ("{ text: Rente }", []),
        ("{ amount: \"0,00\" }", [4]),
        ("{ text: \"øresund husleje MARTS\" }", [3]),
        ("{ text: { not_equals: renter } }", [1, 2, 3, 4]),
    ]

    @Test(
        "tests on fields: text (case-folded, Danish letters too), regex, lists, emptiness, numbers",
        arguments: Self.cases)
    func conditions(condition: String, rows: [Int]) throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let extra = "rules:\n  - when: \(condition)\n    set: { hit: \"yes\" }\n  - set: { hit: \"no\" }"
        let events = try harness.run(lineMapping(description: "\"{$hit}\"", extra: extra), data: Self.csv)
        let hits = events.documents.filter { $0.lines.first?.description == "yes" }.map { $0.provenance.rows[0].record }
        // Row 4 has amount 0,00: its line is kept (no skip_if_zero), so every row yields a document.
        #expect(events.documents.count == 5)
        #expect(hits == rows)
    }

    @Test("a condition list compiled for a mapper holds exactly where each condition holds")
    func program() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let nested = [
            "{ not: { any: [{ text: { not_contains: a } }, { all: [{ type: kort }, { amount: { lt: 0 } }] }] } }",
            "{ any: [{ not: { text: { not_equals: renter } } }, { not: { type: { in: [kort, bs, \"\"] } } }] }",
            "{ text: \"\" }",
            "{ type: \"\" }",
            "{ not: { text: { matches: \"netto|mobilepay\" } } }",
            "{ not: { text: { in: [renter, \"saldo primo\"] } } }",
        ]
        // The last rule has no `when:`: it always holds.
        let rules =
            (Self.cases.map(\.0) + nested).map { "  - when: \($0)\n    set: { hit: \"yes\" }" }
            + ["  - set: { hit: \"no\" }"]
        let (mapping, diagnostics) = try harness.compile(lineMapping(extra: "rules:\n" + rules.joined(separator: "\n")))
        let compiled = try #require(mapping, "\(diagnostics)")
        let reader = try Readers.open(try harness.write("in.csv", Self.csv), options: compiled.readerOptions)
        let bound = try #require(BoundMapping.bind(compiled, to: reader.source).mapping)
        let conditions = compiled.rules.map { $0.when ?? .all([]) }
        let program = ConditionProgram(conditions)
        #expect(program.count == conditions.count)
        let evaluator = Evaluator(bound)
        var held = 0
        while let record = try reader.next() {
            let row = RowState(
                keeping: record, variables: Array(repeating: nil, count: compiled.variables.count), outcome: -1)
            for (index, condition) in conditions.enumerated() {
                let expected = try evaluator.holds(condition, row)
                #expect(try evaluator.holds(program, index, row) == expected, "rule \(index + 1), row \(record.number)")
                if expected { held += 1 }
            }
        }
        // The cases' own counts, then the nested ones' (rows 2, 3, 4; 2, 5; none; 4, 5; 3, 4, 5;
        // 1, 2, 3) and all five.
        #expect(held == Self.cases.map(\.1.count).reduce(0, +) + 3 + 2 + 0 + 2 + 3 + 3 + 5)
    }

    @Test("`in:` lowers ASCII and Latin-1 text as String.lowercased() does, from the bytes")
    func lowercasedLatin1() {
        func lowered(_ text: String) -> String? {
            var text = text
            return text.withUTF8 { CaseFolding.lowercasedLatin1($0) }
        }
        // Every character up to U+00FF, between letters and at either end.
        for value in UInt32(0x01)...0xFF {
            let character = String(Character(Unicode.Scalar(value)!))
            for (text, atEdge) in [("Ab\(character)Cd", false), ("\(character)Æb", true), ("Øb\(character)", true)] {
                // Left to lowercased(): U+0080–U+00BF (not letters), and at either end white space
                // or a control character (trimmed first).
                let leftOver = (0x80...0xBF).contains(value) || atEdge && (value <= 0x20 || value == 0x7F)
                let result = lowered(text)
                #expect((result == nil) == leftOver, "U+\(String(value, radix: 16)) in \(text.debugDescription)")
                if let result {
                    #expect(result == text.lowercased(), "U+\(String(value, radix: 16))")
                    // What `contains:` and literal patterns fold a field to, in place.
                    #expect(CaseFolding.fold(Array(text.utf8)) == Array(result.utf8), "U+\(String(value, radix: 16))")
                }
            }
        }
        #expect(lowered("Ünïcödé ÀÞ×ß") == "ünïcödé àþ×ß")
        #expect(lowered(" Renter") == nil && lowered("Renter ") == nil && lowered("Ελλάδα") == nil)
        #expect(lowered("a\u{00A0}") == nil && lowered("e\u{0301}") == nil && lowered("") == nil)
    }

    @Test("the first matching rule wins; variables default from `variables:`")
    func firstMatch() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let extra = """
            variables: { account: 9900 }
            rules:
              - when: { text: { contains: husleje } }
                set: { account: 3400 }
              - when: { amount: { lt: 0 } }
                set: { account: 2750 }
              - when: { text: { contains: husleje } }
                set: { account: 1111 }
            """
        let mapping = lineMapping(extra: extra).replacingOccurrences(
            of: "- account: 1000", with: "- account: \"{$account}\"")
        let events = try harness.run(mapping, data: Self.csv)
        #expect(events.documents.map { $0.lines[0].account?.rawValue } == ["2750", "9900", "3400", "9900", "9900"])
    }

    @Test("line fields read from rule variables follow each row's rule, row after row")
    func fieldsFromRuleVariables() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        // Each rule's accounts and VAT are resolved once and then reused (the variables are all
        // constants): rows alternate between the rules, so a value kept for the wrong rule, or
        // for the wrong line field, shows. One rule gives an account that is not one.
        let mapping = """
            version: 1
            name: test
            source: { format: csv, delimiter: ";" }
            locale: { decimal_mark: ",", thousands_separator: ".", date_format: dd-mm-yyyy }
            variables: { acc: 9900, vat: none, zone: domestic, cat: goods, suffix: "0" }
            skip:
              - when: { $suffix: "1" }
                reason: never (the starting value is 0)
            rules:
              - when: { text: { contains: husleje } }
                set: { acc: 3400, vat: I25, zone: eu, suffix: "5" }
              - when: { text: { contains: netto } }
                set: { acc: 2750, vat: I25, cat: services }
              - when: { text: Renter }
                set: { acc: "12 34" }
            document:
              kind: ledger_item
              date: "{date}"
              lines:
                - account: "{$acc}"
                  balancing_account: "55{$suffix}0"
                  amount: "{amount}"
                  vat: "{$vat}"
                  balancing_vat: { zone: "{$zone}", category: "{$cat}" }
            """
        let rows = (0..<40).map { Self.csv.split(separator: "\n")[1 + $0 % 5] }
        let events = try harness.run(mapping, data: "date;text;amount;type\n" + rows.joined(separator: "\n") + "\n")
        let documents = events.documents
        let expected: [(String, String, String, String)] = [
            ("2750", "5500", "I25", "domestic/services"),
            ("9900", "5500", "none", "domestic/goods"),
            ("3400", "5550", "I25", "eu/goods"),
            ("9900", "5500", "none", "domestic/goods"),
        ]
        #expect(documents.count == 32)
        for (index, document) in documents.enumerated() {
            let line = document.lines[0]
            let want = expected[index % 4]
            #expect(line.account?.rawValue == want.0 && line.balancingAccount?.rawValue == want.1)
            #expect(line.vat?.description == want.2 && line.balancingVat?.description == want.3)
        }
        // The rule with a bad account rejects each of its rows, not only the first.
        let rejections = events.compactMap { if case .rejected(let outcome) = $0 { outcome } else { nil } }
        #expect(rejections.count == 8)
        #expect(rejections.allSatisfy { $0.reason.contains("account is not an account number") })
    }

    @Test("skip rules give each skipped row its reason; nothing is dropped silently")
    func skip() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let extra = "skip:\n  - when: { text: { starts_with: Saldo } }\n    reason: opening balance line"
        let events = try harness.run(lineMapping(extra: extra), data: Self.csv)
        #expect(events.documents.count == 4)
        #expect(events.skips.map(\.reason) == ["opening balance line"])
        #expect(events.skips.first?.rows.first?.line == 5)
    }

    @Test("regex replace with capture groups")
    func replaceGroups() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let description = "{ replace: \"{text}\", pattern: \"uge ([0-9]+)\", with: \"week $1\" }"
        let events = try harness.run(lineMapping(description: description), data: Self.csv)
        #expect(events.documents[1].lines[0].description == "MobilePay salg week 9")
    }
}

@Suite("Remembered rule outcomes")
struct RuleMemoTests {
    @Test("an outcome is reused only for the same values of every field the conditions read")
    func exact() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        var csv = "date;text;amount\n"
        for i in 0..<200 { csv += "01-03-2026;\(i % 2 == 0 ? "Netto" : "Rema");\(i % 3 == 0 ? "-5,00" : "7,00")\n" }
        let extra = """
            skip:
              - when: { text: Rema, amount: { lt: 0 } }
                reason: refund
            rules:
              - when: { text: Netto, amount: { gt: 0 } }
                set: { tag: "netto-in" }
              - when: { text: Netto }
                set: { tag: "netto-out" }
              - set: { tag: other }
            """
        let events = try harness.run(lineMapping(description: "\"{$tag}\"", extra: extra), data: csv)
        var expected: [String] = []
        var skipped = 0
        for i in 0..<200 {
            let netto = i % 2 == 0
            let negative = i % 3 == 0
            if !netto && negative {
                skipped += 1
                continue
            }
            expected.append(netto ? (negative ? "netto-out" : "netto-in") : "other")
        }
        #expect(events.documents.map { $0.lines[0].description } == expected)
        #expect(events.skips.count == skipped)
    }

    @Test("outcomes stay right while the memo grows, fills up and starts over")
    func growsAndStartsOver() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        // Repeats first (so the memo pays and is kept), then more distinct texts than it holds,
        // then the first texts again.
        var texts = (0..<9_000).map { "T\($0 % 100)" }
        texts += (0..<(RuleMemo.limit + 8_000)).map { "U\($0)" }
        texts += (0..<3_000).map { "U\($0 * 7)" }
        let csv = "date;text;amount\n" + texts.map { "01-03-2026;\($0);1,00\n" }.joined()
        let extra = """
            rules:
              - when: { text: { ends_with: "7" } }
                set: { tag: seven }
              - when: { text: { contains: "5" } }
                set: { tag: five }
              - set: { tag: other }
            """
        let events = try harness.run(lineMapping(description: "\"{$tag}\"", extra: extra), data: csv)
        let expected = texts.map { $0.hasSuffix("7") ? "seven" : $0.contains("5") ? "five" : "other" }
        let described = events.documents.map { $0.lines[0].description }
        #expect(described.count == expected.count)
        #expect(zip(described, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset == nil)
    }

    @Test("keys with the same hash are told apart by their bytes, inline and long alike")
    func sameHash() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        // Pairs of texts whose keys (the text and a marker) have the same 32-bit hash, found by
        // trying numbered texts: a short one (kept inline in its entry) and a long one (kept in
        // the arena), each pair with one text that ends in 7 and one that does not.
        func collidingPair(prefix: String) -> (String, String)? {
            var seen: [UInt32: String] = [:]
            for n in 0..<600_000 {
                let text = prefix + String(100_000 + n)  // all of one length
                let hash = Array(text.utf8 + [0x1F]).withUnsafeBufferPointer { RuleMemo.hash($0) }
                if let other = seen[hash], other.hasSuffix("7") != text.hasSuffix("7") { return (other, text) }
                seen[hash] = text
            }
            return nil
        }
        let short = try #require(collidingPair(prefix: "k"))
        let long = try #require(collidingPair(prefix: String(repeating: "a", count: 60)))
        // Each text several times, the pair's two in turn, so the second always meets the first's entry.
        let texts = (0..<6).flatMap { _ in [short.0, short.1, long.0, long.1] }
        let csv = "date;text;amount\n" + texts.map { "01-03-2026;\($0);1,00\n" }.joined()
        let extra = """
            rules:
              - when: { text: { ends_with: "7" } }
                set: { tag: seven }
              - set: { tag: other }
            """
        let events = try harness.run(lineMapping(description: "\"{$tag}\"", extra: extra), data: csv)
        #expect(events.documents.map { $0.lines[0].description } == texts.map { $0.hasSuffix("7") ? "seven" : "other" })
    }

    @Test("conditions that read variables are not remembered")
    func variables() throws {
        let mapping = try Harness().compile(
            lineMapping(extra: "variables: { v: \"{text}\" }\nrules:\n  - when: { $v: Netto }\n    set: { x: 1 }")
        ).mapping
        #expect(RuleMemo(ConditionProgram(try #require(mapping).rules.map { $0.when ?? .all([]) })) == nil)
    }
}
