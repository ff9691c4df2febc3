/// An exact decimal number: `units × 10^-scale`. Used for amounts while they are computed and
/// for rates; never `Double`. Arithmetic reports overflow instead of wrapping.
public struct ExactDecimal: Sendable, Hashable, Comparable, TextCoded, CustomStringConvertible {
    public private(set) var units: Int64
    /// Digits after the decimal point, 0…18.
    public private(set) var scale: Int

    public static let maxScale = 18
    public static let zero = ExactDecimal(units: 0, scale: 0)

    public init(units: Int64, scale: Int) {
        precondition((0...Self.maxScale).contains(scale), "scale out of range")
        self.units = units
        self.scale = scale
    }

    /// Parses a plain decimal literal (`-12.5`, `0.25`, `3`); nil if it is not one.
    public init?(_ literal: String) {
        var utf8 = Array(literal.utf8)
        var negative = false
        if utf8.first == UInt8(ascii: "-") || utf8.first == UInt8(ascii: "+") {
            negative = utf8.first == UInt8(ascii: "-")
            utf8.removeFirst()
        }
        guard !utf8.isEmpty else { return nil }
        var units: Int64 = 0
        var scale = 0
        var seenPoint = false
        var digits = 0
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (shifted, o1) = units.multipliedReportingOverflow(by: 10)
            let (added, o2) = shifted.addingReportingOverflow(Int64(byte - 0x30))
            guard !o1 && !o2 else { return nil }
            units = added
            digits += 1
            if seenPoint { scale += 1 }
        }
        guard digits > 0, scale <= Self.maxScale else { return nil }
        self.init(units: negative ? -units : units, scale: scale)
    }

    public init?(codedText: String) { self.init(codedText) }
    public var codedText: String { description }

    public var isZero: Bool { units == 0 }
    public var isNegative: Bool { units < 0 }

    public var negated: ExactDecimal { ExactDecimal(units: -units, scale: scale) }

    /// The same value with `scale` digits, when that loses nothing; nil on overflow.
    public func scaled(to newScale: Int) -> ExactDecimal? {
        if newScale == scale { return self }
        if newScale > scale {
            guard let factor = Self.power(newScale - scale) else { return nil }
            let (value, overflow) = units.multipliedReportingOverflow(by: factor)
            return overflow ? nil : ExactDecimal(units: value, scale: newScale)
        }
        guard let factor = Self.power(scale - newScale), units % factor == 0 else { return nil }
        return ExactDecimal(units: units / factor, scale: newScale)
    }

    /// Drops trailing zero decimals: `12.500` → `12.5`.
    public var normalized: ExactDecimal {
        var result = self
        while result.scale > 0 && result.units % 10 == 0 {
            result = ExactDecimal(units: result.units / 10, scale: result.scale - 1)
        }
        return result
    }

    /// The sum, or nil on overflow.
    public func adding(_ other: ExactDecimal) -> ExactDecimal? {
        let common = max(scale, other.scale)
        guard let a = scaled(to: common), let b = other.scaled(to: common) else { return nil }
        let (value, overflow) = a.units.addingReportingOverflow(b.units)
        return overflow ? nil : ExactDecimal(units: value, scale: common)
    }

    public func subtracting(_ other: ExactDecimal) -> ExactDecimal? { adding(other.negated) }

    /// The exact product, or nil on overflow or a scale above 18.
    public func multiplied(by other: ExactDecimal) -> ExactDecimal? {
        let a = normalized
        let b = other.normalized
        guard a.scale + b.scale <= Self.maxScale else { return nil }
        let (value, overflow) = a.units.multipliedReportingOverflow(by: b.units)
        return overflow ? nil : ExactDecimal(units: value, scale: a.scale + b.scale)
    }

    /// The quotient rounded to `scale` digits, or nil on division by zero or overflow.
    public func divided(by other: ExactDecimal, scale resultScale: Int, rounding: RoundingMode) -> ExactDecimal? {
        guard !other.isZero else { return nil }
        // (a / 10^sa) / (b / 10^sb) = a * 10^(sb - sa) / b; computed with two extra digits for rounding.
        let shift = resultScale + other.scale - scale
        var numerator = units.magnitude
        var denominator = other.units.magnitude
        if shift >= 0 {
            guard let factor = Self.power(shift) else { return nil }
            let (value, overflow) = numerator.multipliedReportingOverflow(by: UInt64(factor))
            guard !overflow else { return nil }
            numerator = value
        } else {
            guard let factor = Self.power(-shift) else { return nil }
            let (value, overflow) = denominator.multipliedReportingOverflow(by: UInt64(factor))
            guard !overflow else { return nil }
            denominator = value
        }
        let quotient = numerator / denominator
        let remainder = numerator % denominator
        let negative = (units < 0) != (other.units < 0)
        let rounded = Self.round(
            quotient: quotient, remainder: remainder, divisor: denominator, negative: negative, mode: rounding)
        guard rounded <= UInt64(Int64.max) else { return nil }
        return ExactDecimal(units: negative ? -Int64(rounded) : Int64(rounded), scale: resultScale)
    }

    /// This value rounded to `newScale` digits with `mode`.
    public func rounded(toScale newScale: Int, _ mode: RoundingMode) -> ExactDecimal {
        guard newScale < scale, let factor = Self.power(scale - newScale) else {
            return scaled(to: newScale) ?? self
        }
        let magnitude = units.magnitude
        let rounded = Self.round(
            quotient: magnitude / UInt64(factor), remainder: magnitude % UInt64(factor), divisor: UInt64(factor),
            negative: units < 0, mode: mode)
        return ExactDecimal(units: units < 0 ? -Int64(rounded) : Int64(rounded), scale: newScale)
    }

    private static func round(
        quotient: UInt64, remainder: UInt64, divisor: UInt64, negative: Bool, mode: RoundingMode
    )
        -> UInt64
    {
        guard remainder != 0 else { return quotient }
        let twice = remainder.multipliedReportingOverflow(by: 2)
        let comparison: Int  // remainder vs half the divisor
        if twice.overflow {
            comparison = 1
        } else {
            comparison = twice.partialValue < divisor ? -1 : twice.partialValue == divisor ? 0 : 1
        }
        let up: Bool
        switch mode {
        case .halfEven: up = comparison > 0 || (comparison == 0 && quotient % 2 == 1)
        case .halfUp: up = comparison >= 0
        case .halfDown: up = comparison > 0
        case .towardZero: up = false
        case .awayFromZero: up = true
        case .floor: up = negative
        case .ceiling: up = !negative
        }
        return up ? quotient + 1 : quotient
    }

    static func power(_ exponent: Int) -> Int64? {
        guard exponent >= 0 && exponent <= 18 else { return nil }
        var value: Int64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        // Both scaled to the larger scale fit in 128 bits (at most 9.3e18 × 1e18).
        let common = max(lhs.scale, rhs.scale)
        let a = Int128(lhs.units) * Int128(power(common - lhs.scale)!)
        let b = Int128(rhs.units) * Int128(power(common - rhs.scale)!)
        return a < b
    }

    public static func == (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        let a = lhs.normalized
        let b = rhs.normalized
        return a.units == b.units && a.scale == b.scale
    }

    public func hash(into hasher: inout Hasher) {
        let n = normalized
        hasher.combine(n.units)
        hasher.combine(n.scale)
    }

    /// `-1234.50`: plain, with `.` and no grouping.
    public var description: String {
        let magnitude = String(units.magnitude)
        let sign = units < 0 ? "-" : ""
        guard scale > 0 else { return sign + magnitude }
        let padded = String(repeating: "0", count: max(0, scale + 1 - magnitude.count)) + magnitude
        let split = padded.index(padded.endIndex, offsetBy: -scale)
        return sign + padded[..<split] + "." + padded[split...]
    }
}

/// How to round an exact result to fewer digits.
public enum RoundingMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Ties to the even neighbour (banker's rounding).
    case halfEven = "half_even"
    /// Ties away from zero (the usual commercial rounding).
    case halfUp = "half_up"
    /// Ties toward zero.
    case halfDown = "half_down"
    /// Truncate.
    case towardZero = "down"
    case awayFromZero = "up"
    case floor
    case ceiling
}
