/// An ISO 4217 currency and how many minor digits it has (DKK 2, JPY 0, KWD 3).
public struct Currency: Sendable, Hashable, TextCoded, CustomStringConvertible {
    /// The code's three letters in the low bytes, the minor digits in the high one: every amount
    /// carries its currency, so it is 4 bytes and copying it retains nothing. Equal currencies
    /// have equal words.
    public let packed: UInt32

    /// The three-letter code, upper case.
    public var code: String {
        String(unsafeUninitializedCapacity: 3) { out in
            for i in 0..<3 { out[i] = UInt8(truncatingIfNeeded: packed >> (i * 8)) }
            return 3
        }
    }

    public var minorDigits: Int { Int(packed >> 24) }

    /// A currency from its three-letter code; nil if the code is not three letters A–Z.
    public init?(code: String) {
        let upper = code.uppercased()
        guard upper.utf8.count == 3, upper.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else { return nil }
        let digits: UInt32 = Self.zeroDigit.contains(upper) ? 0 : Self.threeDigit.contains(upper) ? 3 : 2
        var packed = digits << 24
        for (i, byte) in upper.utf8.enumerated() { packed |= UInt32(byte) << (i * 8) }
        self.packed = packed
    }

    public static let dkk = Currency(code: "DKK")!
    public static let eur = Currency(code: "EUR")!

    private static let zeroDigit: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    ]
    private static let threeDigit: Set<String> = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]

    public var description: String { code }

    public init?(codedText: String) { self.init(code: codedText) }
    public var codedText: String { code }
}

/// An amount of money: integer minor units (øre, cents) and a currency. Never floating point.
public struct Money: Sendable, Hashable, Codable, CustomStringConvertible {
    public var minorUnits: Int64
    public var currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// The exact value as money; nil when it has more decimals than the currency allows
    /// (round it first) or does not fit.
    public init?(_ value: ExactDecimal, currency: Currency) {
        guard let minor = value.scaled(to: currency.minorDigits) else { return nil }
        self.init(minorUnits: minor.units, currency: currency)
    }

    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    public var isZero: Bool { minorUnits == 0 }

    public var decimal: ExactDecimal { ExactDecimal(units: minorUnits, scale: currency.minorDigits) }

    public var negated: Money { Money(minorUnits: -minorUnits, currency: currency) }

    /// The sum; nil when the currencies differ or it overflows.
    public func adding(_ other: Money) -> Money? {
        guard currency == other.currency else { return nil }
        let (value, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        return overflow ? nil : Money(minorUnits: value, currency: currency)
    }

    /// `1234.50 DKK`.
    public var description: String { "\(decimal) \(currency.code)" }

    /// Plain amount text with `.` as the decimal mark and exactly the currency's digits.
    public var amountText: String { decimal.description }

    private enum CodingKeys: String, CodingKey { case amount, currency }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let currency = try container.decode(Currency.self, forKey: .currency)
        let amount = try container.decode(ExactDecimal.self, forKey: .amount)
        guard let money = Money(amount, currency: currency) else {
            throw DecodingError.dataCorruptedError(
                forKey: .amount, in: container, debugDescription: "too many decimals for \(currency)")
        }
        self = money
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(decimal, forKey: .amount)
        try container.encode(currency, forKey: .currency)
    }
}
