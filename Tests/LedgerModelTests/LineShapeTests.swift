import Testing

@testable import LedgerModel

@Suite("Line shapes: a memo keyed by the bits of a line's accounts and VAT codes")
struct LineShapeTests {
    static func line(
        _ account: AccountNumber?, balancing: AccountNumber? = nil, vat: VatSpec? = nil, balancingVat: VatSpec? = nil,
        amount: Int64 = 100
    ) -> DocumentLine {
        DocumentLine(
            description: "a description", account: account, balancingAccount: balancing,
            amount: Money(minorUnits: amount, currency: .dkk), vat: vat, balancingVat: balancingVat,
            row: SourceRow(record: 1, line: 2))
    }

    static func shape(_ line: DocumentLine, context: UInt32 = 0) -> LineShape {
        withUnsafePointer(to: line) { LineShape($0, context: context)! }
    }

    @Test("a line's shape is found again for the same values, whatever its amount, row and description")
    func found() {
        var memo = LineShapeMemo<Int>()
        let first = Self.line("5500", balancing: "2750", vat: VatSpec.none, balancingVat: .code("I25"))
        memo.remember(7, for: Self.shape(first), readFrom: first)
        var other = Self.line("5500", balancing: "2750", vat: VatSpec.none, balancingVat: .code("I25"), amount: -3)
        other.description = "another"
        other.row = SourceRow(record: 9, line: 10)
        #expect(memo.value(for: Self.shape(other)) == 7)
    }

    @Test("another context, account, code, or nil in place of none, is another shape")
    func distinct() {
        var memo = LineShapeMemo<Int>()
        let base = Self.line("5500", balancing: "2750", vat: VatSpec.none, balancingVat: .code("I25"))
        memo.remember(1, for: Self.shape(base), readFrom: base)
        let others = [
            Self.line("5501", balancing: "2750", vat: VatSpec.none, balancingVat: .code("I25")),
            Self.line("5500", balancing: nil, vat: VatSpec.none, balancingVat: .code("I25")),
            Self.line("5500", balancing: "2750", vat: nil, balancingVat: .code("I25")),
            Self.line("5500", balancing: "2750", vat: VatSpec.none, balancingVat: .code("U25")),
            Self.line("5500", balancing: "2750", vat: VatSpec.none, balancingVat: VatSpec.none),
            Self.line("5500", balancing: "2750", vat: VatSpec.none, balancingVat: nil),
            Self.line(nil, balancing: "2750", vat: VatSpec.none, balancingVat: .code("I25")),
        ]
        for other in others { #expect(memo.value(for: Self.shape(other)) == nil, "\(other)") }
        #expect(memo.value(for: Self.shape(base, context: 1)) == nil)
        #expect(memo.value(for: Self.shape(base)) == 1)
    }

    /// Texts made anew for every line, on the heap (longer than 15 bytes), so a freed text's
    /// storage is soon reused for another: were the memo's texts not kept, equal bits could then
    /// name different values.
    @Test("a hit always gives what was remembered for equal values, while texts come and go")
    func keptAlive() {
        var memo = LineShapeMemo<String>()
        var random = Numbers(seed: 11)
        var hits = 0
        for _ in 0..<5_000 {
            let account = AccountNumber("account-number-\(random.next() % 40)")
            let zone = "zone-\(random.next() % 3)"
            let vat: VatSpec? =
                switch random.next() % 4 {
                case 0: nil
                case 1: VatSpec.none
                case 2: .code("code-long-enough-\(random.next() % 5)")
                default: .zoneCategory(zone: zone, category: "standard", direction: nil)
                }
            let line = Self.line(account, balancing: "5500", vat: vat)
            let expected = "\(account)|\(vat?.description ?? "nil")|\(vat == nil)"
            let shape = Self.shape(line)
            if let found = memo.value(for: shape) {
                #expect(found == expected)
                hits += 1
            } else {
                memo.remember(expected, for: shape, readFrom: line)
            }
        }
        // Texts made anew have new storage: a hit needs a line whose values share it (none here).
        #expect(hits == 0)
    }

    @Test("the same values, shared from line to line, are found; with more shapes than entries, the latest are")
    func sharedValues() {
        var memo = LineShapeMemo<Int>()
        let codes = (0..<200).map { VatSpec.code("a-code-long-enough-\($0)") }
        var lines: [DocumentLine] = []
        for (i, code) in codes.enumerated() {
            let line = Self.line("5500", vat: code)
            lines.append(line)
            memo.remember(i, for: Self.shape(line), readFrom: line)
            #expect(memo.value(for: Self.shape(line)) == i)
        }
        // Whatever is still there gives its own value.
        for (i, line) in lines.enumerated() {
            let value = memo.value(for: Self.shape(line))
            #expect(value == nil || value == i)
        }
        let found = lines.indices.filter { memo.value(for: Self.shape(lines[$0])) != nil }
        #expect(found.count > 32 && found.count <= 64)
    }
}

/// Deterministic numbers for the tests (Knuth's MMIX linear congruential generator, high bits).
private struct Numbers {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
}
