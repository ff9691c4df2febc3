import Testing

@testable import LedgerModel

@Suite("Exact decimals and money")
struct MoneyTests {
    @Test(
        "amount formats",
        arguments: [
            ("1.234,56", AmountFormat.danish, "1234.56"), ("-1.234,56", .danish, "-1234.56"),
            ("1.234,56-", .danish, "-1234.56"),
            ("(1.234,56)", .danish, "-1234.56"), ("kr. 1.234,56", .danish, "1234.56"),
            ("1.234,56 DKK", .danish, "1234.56"),
            ("-45,00", .danish, "-45.00"), ("+12", .danish, "12"), ("1 234,5", .danish, "1234.5"),
            ("1\u{00A0}234,50", .danish, "1234.50"), ("12.500.000,00", .danish, "12500000.00"),
            ("1,234.56", .english, "1234.56"),
            ("$1,234.56", .english, "1234.56"), ("-0.5", .plain, "-0.5"), ("€ -3", .plain, "-3"),
            ("\u{2212}7,25", .danish, "-7.25"), ("-5", .danish, "-5"), ("7", .danish, "7"), ("- 5", .danish, "-5"),
            (" -5,5 ", .danish, "-5.5"),
            ("  42  ", .plain, "42"), ("0,001", .danish, "0.001"),
        ])
    func parsing(text: String, format: AmountFormat, expected: String) throws {
        let value = try format.parse(text).get()
        #expect(value.description == expected)
    }

    @Test(
        "text that is not an amount says why",
        arguments: [
            ("", AmountFormat.danish, AmountFormat.Failure.empty), ("abc", .danish, .notANumber),
            ("1.5", .danish, .misplacedSeparator), ("1.23.456", .danish, .misplacedSeparator),
            ("12,3,4", .danish, .notANumber),
            ("1.2345,00", .danish, .misplacedSeparator), ("99999999999999999999", .plain, .tooManyDigits),
            ("-", .plain, .notANumber),
            ("1,234.56", .danish, .notANumber),
        ])
    func failures(text: String, format: AmountFormat, failure: AmountFormat.Failure) {
        #expect(format.parse(text) == .failure(failure))
    }

    @Test(
        "digits, separators and signs read as a digit-by-digit reading does",
        arguments: [AmountFormat.danish, .english])
    func agreesWithDigitByDigit(format: AmountFormat) {
        let alphabet = Array("0123456789012345678901234567890123456789.,- ".utf8)
        var random = Seeded(0x2545_F491_4F6C_DD1D)
        func next() -> Int { random.next() }
        var (successes, failures) = (0, 0)
        for _ in 0..<50_000 {
            // A digit first and last, so the text is all number: no sign after it, no currency.
            var text = [UInt8(ascii: "1") + UInt8(next() % 9)]
            text += (0..<(next() % 25)).map { _ in alphabet[next() % alphabet.count] }
            text.append(UInt8(ascii: "0") + UInt8(next() % 10))
            if next() % 2 == 0 { text.insert(UInt8(ascii: "-"), at: 0) }
            let expected = Self.digitByDigit(text, format)
            let got = text.withUnsafeBufferPointer { format.parse($0) }
            #expect(got == expected, "\(String(decoding: text, as: UTF8.self))")
            if case .success = expected { successes += 1 } else { failures += 1 }
        }
        #expect(successes > 1_000 && failures > 1_000, "\(successes) amounts, \(failures) refusals")
    }

    /// Amounts of digits, separators and an optional leading minus, read one byte at a time
    /// with every step checked: what `parse` must agree with.
    static func digitByDigit(_ text: [UInt8], _ format: AmountFormat) -> Result<ExactDecimal, AmountFormat.Failure> {
        var bytes = text[...]
        let sign = bytes.first == UInt8(ascii: "-")
        if sign { bytes.removeFirst() }
        var (units, scale, digits, group, fraction): (Int64, Int, Int, Int, Bool) = (0, 0, 0, -1, false)
        for b in bytes {
            if b &- 0x30 < 10 {
                let (shifted, o1) = units.multipliedReportingOverflow(by: 10)
                let (added, o2) = shifted.addingReportingOverflow(Int64(b - 0x30))
                if o1 || o2 { return .failure(.tooManyDigits) }
                units = added
                digits += 1
                if fraction {
                    scale += 1
                    if scale > ExactDecimal.maxScale { return .failure(.tooManyDigits) }
                } else if group >= 0 {
                    group += 1
                }
            } else if b == format.decimalMark && !fraction {
                if group >= 0 && group != 3 { return .failure(.misplacedSeparator) }
                fraction = true
            } else if !fraction, b == format.thousandsSeparator || b == 0x20 {
                if group >= 0 && group != 3 { return .failure(.misplacedSeparator) }
                group = 0
            } else {
                return .failure(.notANumber)
            }
        }
        if !fraction && group >= 0 && group != 3 { return .failure(.misplacedSeparator) }
        return .success(ExactDecimal(units: sign ? -units : units, scale: scale))
    }

    @Test("arithmetic is exact and reports overflow")
    func arithmetic() throws {
        let a = try #require(ExactDecimal("0.1"))
        let b = try #require(ExactDecimal("0.2"))
        #expect(a.adding(b) == ExactDecimal("0.3"))
        #expect(ExactDecimal("1234.56")!.subtracting(ExactDecimal("0.56")!) == ExactDecimal("1234"))
        #expect(ExactDecimal("100.00")!.multiplied(by: ExactDecimal("0.25")!) == ExactDecimal("25"))
        #expect(ExactDecimal(units: .max, scale: 0).adding(ExactDecimal("1")!) == nil)
        #expect(ExactDecimal("-1.5")! < ExactDecimal("1")!)
        #expect(ExactDecimal("-2")! < ExactDecimal("-1.99")!)
        #expect(ExactDecimal("1.50") == ExactDecimal("1.5"))
    }

    @Test(
        "rounding modes",
        arguments: [
            ("2.345", RoundingMode.halfEven, "2.34"), ("2.355", .halfEven, "2.36"), ("2.345", .halfUp, "2.35"),
            ("-2.345", .halfUp, "-2.35"), ("2.345", .halfDown, "2.34"), ("2.349", .towardZero, "2.34"),
            ("2.341", .awayFromZero, "2.35"),
            ("-2.341", .floor, "-2.35"), ("-2.349", .ceiling, "-2.34"), ("2.3", .halfEven, "2.30"),
        ])
    func rounding(value: String, mode: RoundingMode, expected: String) {
        #expect(ExactDecimal(value)!.rounded(toScale: 2, mode).description == expected)
    }

    @Test("division rounds at the requested scale")
    func division() {
        #expect(
            ExactDecimal("125")!.divided(by: ExactDecimal("1.25")!, scale: 2, rounding: .halfEven)?.description
                == "100.00")
        #expect(ExactDecimal("10")!.divided(by: ExactDecimal("3")!, scale: 2, rounding: .halfUp)?.description == "3.33")
        #expect(
            ExactDecimal("-10")!.divided(by: ExactDecimal("3")!, scale: 2, rounding: .floor)?.description == "-3.34")
        #expect(ExactDecimal("1")!.divided(by: .zero, scale: 2, rounding: .halfUp) == nil)
    }

    @Test("money holds integer minor units and refuses extra decimals")
    func money() throws {
        let dkk = Currency.dkk
        let m = try #require(Money(ExactDecimal("1234.5")!, currency: dkk))
        #expect(m.minorUnits == 123_450)
        #expect(m.description == "1234.50 DKK")
        #expect(Money(ExactDecimal("0.001")!, currency: dkk) == nil)
        #expect(Money(ExactDecimal("12")!, currency: Currency(code: "jpy")!)?.minorUnits == 12)
        #expect(Currency(code: "KWD")?.minorDigits == 3)
        #expect(Currency(code: "DK") == nil)
        #expect(m.adding(Money(minorUnits: 1, currency: .eur)) == nil)
    }
}
