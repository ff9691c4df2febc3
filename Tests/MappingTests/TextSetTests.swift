import Testing

@testable import Mapping

@Suite("Literal alternatives and `in:` sets, from the bytes")
struct TextSetTests {
    /// Letters that fold (ASCII and Latin-1, both cases), × (which does not), a space, a
    /// hyphen and ß: what the texts and patterns below are made of.
    static let alphabet = ["a", "A", "b", "B", "ø", "Ø", "å", "Å", "×", "ß", " ", "-", "e"]

    /// A deterministic stream of numbers (64-bit LCG).
    struct Numbers {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        mutating func text(maxLength: Int, minLength: Int = 0) -> String {
            let length = minLength + next(maxLength - minLength + 1)
            return (0..<length).map { _ in alphabet[next(alphabet.count)] }.joined()
        }
    }

    @Test("a pattern of literal alternatives finds what the regex engine finds, with and without case")
    func literalsAgreeWithTheEngine() throws {
        var numbers = Numbers(state: 2026)
        var found = 0
        for round in 0..<400 {
            let ignoreCase = round % 2 == 0
            let pattern = (0...numbers.next(4)).map { _ in numbers.text(maxLength: 3, minLength: 1) }.joined(
                separator: "|")
            let regex = try RegexBox(pattern: pattern, ignoreCase: ignoreCase)
            let literals = try #require(regex.literals, "\(pattern)")
            for _ in 0..<25 {
                let text = numbers.text(maxLength: 12)
                // The engine's way: the text's Latin-1 letters folded like the pattern's when case
                // is ignored (the engine folds ASCII), NUL-terminated.
                let engineText = ignoreCase ? CaseFolding.foldLatin1(Array(text.utf8)) : Array(text.utf8)
                let engine = (engineText + [0]).withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { regex.matches($0.baseAddress!) }
                }
                let folded = ignoreCase ? CaseFolding.fold(Array(text.utf8)) : Array(text.utf8)
                let fast = folded.withUnsafeBufferPointer { literals.occurs(in: $0) }
                #expect(
                    fast == engine, "\(pattern.debugDescription) in \(text.debugDescription), ignoreCase \(ignoreCase)")
                if engine { found += 1 }
            }
        }
        // Both answers occur often enough for the comparison to mean something.
        #expect(found > 1_000 && found < 9_000)
    }

    @Test("only plain alternatives are taken from the engine; others keep it")
    func whichPatternsAreLiteral() throws {
        #expect(
            LiteralSet.alternatives(of: "netto|Føtex", ignoreCase: true) == [Array("netto".utf8), Array("føtex".utf8)])
        #expect(LiteralSet.alternatives(of: "A-B & C", ignoreCase: false) == [Array("A-B & C".utf8)])
        for pattern in ["", "a|", "|a", "a||b", "^a", "a$", "a.b", "a*", "(a|b)", "[ab]", "a+", "a?", "a{2}", "a\\|b"] {
            #expect(LiteralSet.alternatives(of: pattern, ignoreCase: true) == nil, "\(pattern)")
            if let regex = try? RegexBox(pattern: pattern, ignoreCase: true) { #expect(regex.literals == nil) }
        }
        // 64 texts at most: one bit each.
        let many = (0..<65).map { "t\($0)x" }
        #expect(LiteralSet.alternatives(of: many.prefix(64).joined(separator: "|"), ignoreCase: true)?.count == 64)
        #expect(LiteralSet.alternatives(of: many.joined(separator: "|"), ignoreCase: true) == nil)
        let set = LiteralSet((0..<64).map { Array("t\($0)x".utf8) })
        defer { set.deallocate() }
        for (text, expected) in [("at63x", true), ("t0x", true), ("t64x", false), ("t6", false), ("xt1xx", true)] {
            #expect(Array(text.utf8).withUnsafeBufferPointer { set.occurs(in: $0) } == expected, "\(text)")
        }
    }

    @Test("an `in:` set answers as Set<String> of lowered text does, or leaves the field to it")
    func exactSetAgreesWithStrings() throws {
        var numbers = Numbers(state: 23)
        var answered = 0
        var hits = 0
        for round in 0..<300 {
            let ignoreCase = round % 2 == 0
            let written = (0...numbers.next(6)).map { _ in numbers.text(maxLength: 4, minLength: 1) }
            let members = Set(written.map { ignoreCase ? $0.lowercased() : $0 })
            let set = try #require(ExactSet(members, ignoreCase: ignoreCase))
            defer { set.deallocate() }
            for probe in 0..<40 {
                // Half the probes are members as written (in either case), half anything.
                let text = probe % 2 == 0 ? written[numbers.next(written.count)] : numbers.text(maxLength: 4)
                let trimmed = String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
                let expected = members.contains(ignoreCase ? trimmed.lowercased() : trimmed)
                var bytes = text
                let fast = bytes.withUTF8 { set.contains($0) }
                if let fast {
                    #expect(fast == expected, "\(text.debugDescription) in \(members), ignoreCase \(ignoreCase)")
                    answered += 1
                    if fast { hits += 1 }
                } else {
                    // Left to the strings only when trimming could matter.
                    #expect(text.first == " " || text.last == " " || text.isEmpty, "\(text.debugDescription)")
                }
            }
        }
        #expect(answered > 8_000 && hits > 3_000)
    }

    @Test("an `in:` set leaves to Unicode comparison what bytes cannot decide")
    func exactSetEdges() throws {
        // A member written with a combining accent could equal a field written precomposed.
        #expect(ExactSet(["cafe\u{301}"], ignoreCase: true) == nil)
        #expect(ExactSet(["Ελλάδα"], ignoreCase: false) == nil)
        let set = try #require(ExactSet(["renter", "æble", "ß"], ignoreCase: true))
        defer { set.deallocate() }
        func contains(_ bytes: [UInt8]) -> Bool? { bytes.withUnsafeBufferPointer { set.contains($0) } }
        #expect(contains(Array("RENTER".utf8)) == true)
        #expect(contains(Array("ÆBLE".utf8)) == true)
        #expect(contains(Array("ß".utf8)) == true)
        #expect(contains(Array("Renters".utf8)) == false)
        #expect(contains(Array(" Renter".utf8)) == nil)
        #expect(contains(Array("Renter\u{A0}".utf8)) == nil)
        #expect(contains(Array("cafe\u{301}".utf8)) == nil)
        // Of no member's length: checked, eight ASCII bytes at a time, then byte by byte.
        #expect(contains(Array("Gebyr kontoførelse".utf8)) == false)
        #expect(contains(Array("Gebyr kontoforelse\u{301}".utf8)) == nil)
        #expect(contains(Array("Gebyr kontoforels\u{E9}".utf8)) == false)
        #expect(contains(Array("Gebyr kontoforels\u{3B5}".utf8)) == nil)
        // Broken UTF-8: a lead byte before ASCII, at the end, or twice.
        #expect(contains([0x61, 0xC3, 0x61]) == nil)
        #expect(contains([0x61, 0xC3]) == nil)
        #expect(contains([0x61, 0xC3, 0xC3, 0xA6]) == nil)
        #expect(contains([0x61, 0x85]) == nil)
    }
}
