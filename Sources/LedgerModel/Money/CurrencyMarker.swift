/// The currency an amount's text names itself, as in `£ 7.90`, `$ 5.00`, `EUR 5`, `12,50 kr.`:
/// a symbol, which may stand for several currencies, or a three-letter code, which is exact.
public enum CurrencyMarker: Sendable, Hashable, CustomStringConvertible {
    case krone, euro, dollar, pound, yen
    case code(Currency)

    /// Whether the amount may be in `currency`.
    public func fits(_ currency: Currency) -> Bool {
        switch self {
        case .code(let own): own == currency
        default: candidates.contains(currency.code)
        }
    }

    /// The one currency it names, when it names one: a code, `€` or `£`.
    public var definite: Currency? {
        switch self {
        case .code(let own): own
        case .euro: .eur
        case .pound: Currency(code: "GBP")
        case .krone, .dollar, .yen: nil
        }
    }

    /// The currencies a symbol is used for.
    private var candidates: Set<String> {
        switch self {
        case .krone: ["DKK", "NOK", "SEK", "ISK"]
        case .euro: ["EUR"]
        case .dollar: ["USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN"]
        case .pound: ["GBP"]
        case .yen: ["JPY", "CNY"]
        case .code(let own): [own.code]
        }
    }

    public var description: String {
        switch self {
        case .krone: "kr"
        case .euro: "€"
        case .dollar: "$"
        case .pound: "£"
        case .yen: "¥"
        case .code(let own): own.code
        }
    }
}
