/// How amounts are written in a source: decimal mark, thousands separator, how negatives look.
/// Compiled once per mapping; ``parse(_:)`` works on UTF-8 bytes without making strings.
///
/// Accepted, with the Danish format (`,` decimal, `.` thousands): `1.234,56`, `-1.234,56`,
/// `1.234,56-` (trailing minus), `(1.234,56)` (parentheses), `kr. 1.234,56`, `1.234,56 DKK`,
/// `+12`, `1234,5`, `1 234,56` (space or no-break space as thousands). A thousands separator
/// must be followed by exactly three digits, so `1.5` is refused rather than read as 15.
public struct AmountFormat: Sendable, Hashable, Codable {
    public var decimalMark: UInt8
    /// nil: no grouping expected; spaces (and no-break spaces) are always accepted as grouping.
    public var thousandsSeparator: UInt8?
    public var allowTrailingMinus: Bool
    public var allowParentheses: Bool

    public init(
        decimalMark: UInt8 = UInt8(ascii: "."), thousandsSeparator: UInt8? = nil, allowTrailingMinus: Bool = true,
        allowParentheses: Bool = true
    ) {
        self.decimalMark = decimalMark
        self.thousandsSeparator = thousandsSeparator
        self.allowTrailingMinus = allowTrailingMinus
        self.allowParentheses = allowParentheses
    }

    /// `1.234,56`
    public static let danish = AmountFormat(decimalMark: UInt8(ascii: ","), thousandsSeparator: UInt8(ascii: "."))
    /// `1,234.56`
    public static let english = AmountFormat(decimalMark: UInt8(ascii: "."), thousandsSeparator: UInt8(ascii: ","))
    /// `1234.56`: JSON numbers and machine formats.
    public static let plain = AmountFormat()

    /// Why text is not an amount.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case empty
        case notANumber
        case misplacedSeparator
        case tooManyDigits

        public var description: String {
            switch self {
            case .empty: "is empty"
            case .notANumber: "is not a number"
            case .misplacedSeparator: "has a thousands separator not followed by three digits"
            case .tooManyDigits: "has too many digits"
            }
        }
    }

    public func parse(_ text: String) -> Result<ExactDecimal, Failure> {
        var copy = text
        return copy.withUTF8 { parse($0) }
    }

    public func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<ExactDecimal, Failure> {
        var marker: CurrencyMarker?
        return parse(bytes, marker: &marker)
    }

    /// ``parse(_:)``, telling the currency the text names itself (`£ 7.90`, `EUR 5`), if any.
    public func parse(_ text: String, marker: inout CurrencyMarker?) -> Result<ExactDecimal, Failure> {
        var copy = text
        return copy.withUTF8 { parse($0, marker: &marker) }
    }

    /// ``parse(_:)``, telling the currency the text names itself (`£ 7.90`, `EUR 5`), if any.
    public func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, marker: inout CurrencyMarker?
    ) -> Result<ExactDecimal, Failure> {
        var i = 0
        var end = bytes.count
        @inline(__always) func isSpace(_ at: Int) -> Int {
            // Returns the width of a space at `at`: ASCII space/tab, NBSP (C2 A0), narrow NBSP (E2 80 AF).
            guard at < end else { return 0 }
            let b = bytes[at]
            if b == 0x20 || b == 0x09 { return 1 }
            if b == 0xC2, at + 1 < end, bytes[at + 1] == 0xA0 { return 2 }
            if b == 0xE2, at + 2 < end, bytes[at + 1] == 0x80, bytes[at + 2] == 0xAF { return 3 }
            return 0
        }
        func trimSpaces() {
            while i < end, case let w = isSpace(i), w > 0 { i += w }
            while end > i {
                let b = bytes[end - 1]
                if b == 0x20 || b == 0x09 {
                    end -= 1
                } else if b == 0xA0, end >= 2, bytes[end - 2] == 0xC2 {
                    end -= 2
                } else if b == 0xAF, end >= 3, bytes[end - 3] == 0xE2, bytes[end - 2] == 0x80 {
                    end -= 3
                } else {
                    break
                }
            }
        }
        trimSpaces()
        guard i < end else { return .failure(.empty) }
        var negative = false
        // Most amounts are a digit or a minus and a digit, up to a last digit: no parentheses,
        // currency, plus sign or trailing minus to look for.
        let first = bytes[i]
        let plain =
            bytes[end - 1] &- 0x30 < 10
            && (first &- 0x30 < 10 || (first == UInt8(ascii: "-") && i + 1 < end && bytes[i + 1] &- 0x30 < 10))
        if plain {
            if first == UInt8(ascii: "-") {
                negative = true
                i += 1
            }
        } else {
            if allowParentheses, bytes[i] == UInt8(ascii: "("), bytes[end - 1] == UInt8(ascii: ")") {
                negative = true
                i += 1
                end -= 1
                trimSpaces()
            }
            // Currency before or after: a symbol, `kr`/`kr.`, or a three-letter code.
            stripCurrency(bytes, &i, &end, &marker)
            trimSpaces()
            if i < end, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                if bytes[i] == UInt8(ascii: "-") { negative.toggle() }
                i += 1
                trimSpaces()
            } else if i + 2 < end, bytes[i] == 0xE2, bytes[i + 1] == 0x88, bytes[i + 2] == 0x92 {  // U+2212 minus
                negative.toggle()
                i += 3
            }
            if allowTrailingMinus, end > i, bytes[end - 1] == UInt8(ascii: "-") {
                negative.toggle()
                end -= 1
                trimSpaces()
            }
            stripCurrency(bytes, &i, &end, &marker)
            trimSpaces()
            guard i < end else { return .failure(.notANumber) }
        }

        // The whole part, then the fraction: each loop tests only what its part may hold.
        // Up to 18 digits cannot overflow, so only longer texts check each step.
        let mayOverflow = end - i > 18
        var units: Int64 = 0
        var digits = 0
        var digitsSinceGroup = -1  // -1: no group separator seen yet
        var inFraction = false
        /// Adds a digit to `units`; false when that overflows.
        @inline(__always) func append(_ digit: UInt8) -> Bool {
            guard mayOverflow else {
                units = units &* 10 &+ Int64(digit)
                return true
            }
            let (shifted, o1) = units.multipliedReportingOverflow(by: 10)
            let (added, o2) = shifted.addingReportingOverflow(Int64(digit))
            units = added
            return !(o1 || o2)
        }
        while i < end {
            let b = bytes[i]
            let digit = b &- 0x30
            if digit < 10 {
                guard append(digit) else { return .failure(.tooManyDigits) }
                digits += 1
                if digitsSinceGroup >= 0 { digitsSinceGroup += 1 }
                i += 1
            } else if b == decimalMark {
                if digitsSinceGroup >= 0 && digitsSinceGroup != 3 { return .failure(.misplacedSeparator) }
                inFraction = true
                i += 1
                break
            } else if digits > 0, b == thousandsSeparator || isSpace(i) > 0 {
                if digitsSinceGroup >= 0 && digitsSinceGroup != 3 { return .failure(.misplacedSeparator) }
                digitsSinceGroup = 0
                i += b == thousandsSeparator ? 1 : isSpace(i)
            } else {
                return .failure(.notANumber)
            }
        }
        let fractionStart = i
        while i < end {
            let digit = bytes[i] &- 0x30
            guard digit < 10 else {
                return .failure(i - fractionStart > ExactDecimal.maxScale ? .tooManyDigits : .notANumber)
            }
            guard append(digit) else { return .failure(.tooManyDigits) }
            i += 1
        }
        let scale = end - fractionStart
        if scale > ExactDecimal.maxScale { return .failure(.tooManyDigits) }
        digits += scale
        guard digits > 0 else { return .failure(.notANumber) }
        if !inFraction && digitsSinceGroup >= 0 && digitsSinceGroup != 3 { return .failure(.misplacedSeparator) }
        return .success(ExactDecimal(units: negative ? -units : units, scale: scale))
    }

    /// Removes one currency marker at either end: € $ £ ¥, `kr`, `kr.`, or three capital letters,
    /// and says which it was.
    private func stripCurrency(
        _ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ end: inout Int, _ marker: inout CurrencyMarker?
    ) {
        // Most amounts start and end with a digit or a sign: nothing to strip.
        @inline(__always) func plain(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2B }
        if i < end, plain(bytes[i]), plain(bytes[end - 1]) { return }
        func matches(_ marker: [UInt8], at position: Int) -> Bool {
            position >= 0 && position + marker.count <= end && position >= i
                && marker.indices.allSatisfy { bytes[position + $0] == marker[$0] }
        }
        for (symbol, named) in Self.symbols {
            if matches(symbol, at: i) {
                i += symbol.count
                marker = named
                return
            }
            if matches(symbol, at: end - symbol.count) {
                end -= symbol.count
                marker = named
                return
            }
        }
        func isUpper(_ at: Int) -> Bool { at >= i && at < end && bytes[at] >= 0x41 && bytes[at] <= 0x5A }
        func code(_ at: Int) -> CurrencyMarker? {
            Currency(code: String(decoding: UnsafeBufferPointer(rebasing: bytes[at..<at + 3]), as: UTF8.self)).map {
                .code($0)
            }
        }
        if end - i > 3, isUpper(i), isUpper(i + 1), isUpper(i + 2) {
            marker = code(i)
            i += 3
        } else if end - i > 3, isUpper(end - 1), isUpper(end - 2), isUpper(end - 3) {
            marker = code(end - 3)
            end -= 3
        }
    }

    private static let symbols: [([UInt8], CurrencyMarker)] = {
        let named: [(String, CurrencyMarker)] = [
            ("kr.", .krone), ("kr", .krone), ("Kr.", .krone), ("Kr", .krone), ("€", .euro), ("$", .dollar),
            ("£", .pound), ("¥", .yen),
        ]
        return named.map { (Array($0.0.utf8), $0.1) }
    }()

    private enum CodingKeys: String, CodingKey {
        case decimalMark, thousandsSeparator, allowTrailingMinus, allowParentheses
    }
}
