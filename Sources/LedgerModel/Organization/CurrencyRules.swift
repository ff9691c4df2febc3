/// The currencies a target books each kind of document in: a target states them
/// (`Target.currencies`) and validation rejects any other before anything is sent, so amounts
/// are never booked as if they were in another currency.
public struct CurrencyRules: Sendable, Hashable {
    /// The system's name, for messages: "Dinero".
    public var system: String
    /// The currencies of each kind; nil takes any.
    public var manualVoucher: Set<Currency>?
    public var ledgerItem: Set<Currency>?
    public var cashPurchase: Set<Currency>?
    public var creditPurchase: Set<Currency>?

    public init(
        system: String, manualVoucher: Set<Currency>?, ledgerItem: Set<Currency>?, cashPurchase: Set<Currency>?,
        creditPurchase: Set<Currency>?
    ) {
        self.system = system
        self.manualVoucher = manualVoucher
        self.ledgerItem = ledgerItem
        self.cashPurchase = cashPurchase
        self.creditPurchase = creditPurchase
    }

    /// The currencies a document of this kind (and payment, for a purchase) may be in; nil: any.
    public func allowed(_ kind: DocumentKind, payment: PurchaseTerms.Payment?) -> Set<Currency>? {
        switch kind {
        case .manualVoucher: manualVoucher
        case .ledgerItem: ledgerItem
        case .purchaseVoucher: payment == .credit ? creditPurchase : cashPurchase
        }
    }
}
