public import LedgerModel

/// Totals over the documents of a plan: what would be posted to each account and VAT code.
public struct PlanSummary: Sendable, Codable {
    /// Debits and credits on one account in one currency. Positive line amounts debit the
    /// line's account and credit its balancing account; a purchase debits the expense account
    /// and credits the deposit account (cash) or the supplier (credit).
    public struct AccountTotal: Sendable, Codable, Hashable {
        public var account: AccountNumber
        public var currency: Currency
        public var debit: Money
        public var credit: Money
        public var lines: Int

        public var net: Money { debit.adding(credit.negated) ?? debit }
    }

    /// Amounts on the side of a line that carries a VAT code, debit and credit as for accounts.
    public struct VatTotal: Sendable, Codable, Hashable {
        /// The code, `none`, `zone/category`, or `(not given)`.
        public var code: String
        public var currency: Currency
        public var debit: Money
        public var credit: Money
        public var lines: Int
    }

    public private(set) var accounts: [AccountTotal] = []
    public private(set) var vatCodes: [VatTotal] = []
    public private(set) var documentsByKind: [DocumentKind: Int] = [:]
    private var accountIndex: [String: Int] = [:]
    private var vatIndex: [String: Int] = [:]

    public init() {}

    public mutating func add(_ document: Document) {
        documentsByKind[document.kind, default: 0] += 1
        for line in document.lines {
            let amount = line.amount
            let debitAccount = line.amount.minorUnits >= 0 ? line.account : line.balancingAccount
            let creditAccount = line.amount.minorUnits >= 0 ? line.balancingAccount : line.account
            let magnitude = Money(
                minorUnits: amount.minorUnits == .min ? .max : abs(amount.minorUnits), currency: amount.currency)
            if document.kind == .purchaseVoucher {
                post(line.account, debit: amount)
                let payer = document.purchase?.payment == .cash ? document.purchase?.depositAccount : nil
                post(payer ?? AccountNumber("(supplier)"), credit: amount)
            } else {
                if let debitAccount { post(debitAccount, debit: magnitude) }
                if let creditAccount { post(creditAccount, credit: magnitude) }
            }
            if line.account != nil { addVat(line.vat, amount) }
            if line.balancingAccount != nil, document.kind != .purchaseVoucher {
                addVat(line.balancingVat, amount.negated)
            }
        }
    }

    private mutating func post(_ account: AccountNumber?, debit: Money? = nil, credit: Money? = nil) {
        guard let account else { return }
        let currency = (debit ?? credit)!.currency
        let key = account.rawValue + "\u{1F}" + currency.code
        let index: Int
        if let existing = accountIndex[key] {
            index = existing
        } else {
            index = accounts.count
            accountIndex[key] = index
            accounts.append(
                AccountTotal(
                    account: account, currency: currency, debit: .zero(currency), credit: .zero(currency), lines: 0))
        }
        if let debit { accounts[index].debit = accounts[index].debit.adding(debit) ?? accounts[index].debit }
        if let credit { accounts[index].credit = accounts[index].credit.adding(credit) ?? accounts[index].credit }
        accounts[index].lines += 1
    }

    /// `signed` is positive for a debit on the side carrying `vat`.
    private mutating func addVat(_ vat: VatSpec?, _ signed: Money) {
        let code = vat?.description ?? "(not given)"
        let key = code + "\u{1F}" + signed.currency.code
        let index: Int
        if let existing = vatIndex[key] {
            index = existing
        } else {
            index = vatCodes.count
            vatIndex[key] = index
            let zero = Money.zero(signed.currency)
            vatCodes.append(VatTotal(code: code, currency: signed.currency, debit: zero, credit: zero, lines: 0))
        }
        if signed.minorUnits >= 0 {
            vatCodes[index].debit = vatCodes[index].debit.adding(signed) ?? vatCodes[index].debit
        } else {
            vatCodes[index].credit = vatCodes[index].credit.adding(signed.negated) ?? vatCodes[index].credit
        }
        vatCodes[index].lines += 1
    }

    /// Accounts in chart order, VAT codes by name.
    public var sortedAccounts: [AccountTotal] {
        accounts.sorted { ($0.account, $0.currency.code) < ($1.account, $1.currency.code) }
    }

    public var sortedVatCodes: [VatTotal] {
        vatCodes.sorted { ($0.code, $0.currency.code) < ($1.code, $1.currency.code) }
    }

    private enum CodingKeys: String, CodingKey { case accounts, vatCodes, documentsByKind }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sortedAccounts, forKey: .accounts)
        try container.encode(sortedVatCodes, forKey: .vatCodes)
        try container.encode(
            Dictionary(uniqueKeysWithValues: documentsByKind.map { ($0.key.rawValue, $0.value) }),
            forKey: .documentsByKind)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accounts = try container.decode([AccountTotal].self, forKey: .accounts)
        vatCodes = try container.decode([VatTotal].self, forKey: .vatCodes)
        let kinds = try container.decode([String: Int].self, forKey: .documentsByKind)
        for (kind, count) in kinds {
            if let parsed = DocumentKind(rawValue: kind) { documentsByKind[parsed] = count }
        }
        for (i, total) in accounts.enumerated() {
            accountIndex[total.account.rawValue + "\u{1F}" + total.currency.code] = i
        }
        for (i, total) in vatCodes.enumerated() { vatIndex[total.code + "\u{1F}" + total.currency.code] = i }
    }
}
