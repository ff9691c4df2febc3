public import LedgerModel

/// Totals over the documents of a plan: what would be posted to each account and VAT code.
///
/// Positive line amounts debit the line's account and credit its balancing account; a purchase
/// debits the expense account and credits the deposit account (cash) or the supplier (credit).
/// VAT totals are the gross amounts on the side of a line that carries each code.
public struct PlanSummary: Sendable, Encodable {
    /// Debits and credits under one name (an account, a VAT code) in one currency.
    public struct Total: Sendable, Encodable, Hashable {
        public var name: String
        public var currency: Currency
        public var debit: Money
        public var credit: Money
        public var lines: Int

        public var net: Money { debit.adding(credit.negated) ?? debit }
    }

    private var accountTable = DebitCreditTable()
    private var vatTable = DebitCreditTable()
    /// Documents per kind, in `DocumentKind.allCases` order (an array: counted once a document).
    private var kindCounts = [Int](repeating: 0, count: Self.kinds.count)
    /// `DocumentKind.allCases`, made once: the synthesized property builds a new array each call.
    private static let kinds = DocumentKind.allCases

    /// How many documents of each kind; kinds with none are left out.
    public var documentsByKind: [DocumentKind: Int] {
        Dictionary(
            uniqueKeysWithValues: zip(Self.kinds, kindCounts).filter { $0.1 > 0 })
    }

    public init() {}

    /// Per account, in chart order (numeric where the accounts are numbers).
    public var accounts: [Total] {
        accountTable.rows.sorted {
            (AccountNumber($0.name), $0.currency.code) < (AccountNumber($1.name), $1.currency.code)
        }
    }

    /// Per VAT code (`none`, `zone/category`, `(not given)`), by name.
    public var vatCodes: [Total] {
        vatTable.rows.sorted { ($0.name, $0.currency.code) < ($1.name, $1.currency.code) }
    }

    public mutating func add(_ document: Document) {
        kindCounts[Self.kinds.firstIndex(of: document.kind)!] += 1
        // Field by field, not `for line in lines`: copying whole lines would retain their texts.
        for index in document.lines.indices {
            let amount = document.lines[index].amount
            if document.kind == .purchaseVoucher {
                if let account = document.lines[index].account { accountTable.post(account.rawValue, amount) }
                let payer = document.purchase?.payment == .cash ? document.purchase?.depositAccount : nil
                accountTable.post(payer?.rawValue ?? "(supplier)", amount.negated)
                vatTable.post(document.lines[index].vat?.description ?? "(not given)", amount)
                continue
            }
            if let account = document.lines[index].account {
                accountTable.post(account.rawValue, amount)
                vatTable.post(document.lines[index].vat?.description ?? "(not given)", amount)
            }
            if let balancing = document.lines[index].balancingAccount {
                accountTable.post(balancing.rawValue, amount.negated)
                vatTable.post(document.lines[index].balancingVat?.description ?? "(not given)", amount.negated)
            }
        }
    }

    private enum CodingKeys: String, CodingKey { case accounts, vatCodes, documentsByKind }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(accounts, forKey: .accounts)
        try container.encode(vatCodes, forKey: .vatCodes)
        try container.encode(
            Dictionary(uniqueKeysWithValues: documentsByKind.map { ($0.key.rawValue, $0.value) }),
            forKey: .documentsByKind)
    }
}

/// Debit and credit sums per (name, currency), in the order first seen.
///
/// Posted to four times a line, so rows are found without building or hashing a `String`: the
/// last few names posted first (``RecentValues``), then a ``WordIndex``.
struct DebitCreditTable: Sendable {
    private(set) var rows: [PlanSummary.Total] = []
    /// Rows by name and currency.
    private var index = WordIndex()
    private var recent = RecentValues<Key, Int>()

    private struct Key: Equatable, Sendable {
        var name: String
        var currency: UInt32
    }

    /// Posts a signed amount: positive is a debit, negative a credit.
    mutating func post(_ name: String, _ signed: Money) {
        let i = row(name, signed.currency)
        if signed.minorUnits >= 0 {
            rows[i].debit = rows[i].debit.adding(signed) ?? rows[i].debit
        } else {
            rows[i].credit = rows[i].credit.adding(signed.negated) ?? rows[i].credit
        }
        rows[i].lines += 1
    }

    private mutating func row(_ name: String, _ currency: Currency) -> Int {
        let key = Key(name: name, currency: currency.packed)
        if let known = recent.value(for: key) { return known }
        let i: Int
        if let existing = index[name, key.currency] {
            i = existing
        } else {
            i = rows.count
            index.set(i, name: name, tag: key.currency)
            let zero = Money.zero(currency)
            rows.append(PlanSummary.Total(name: name, currency: currency, debit: zero, credit: zero, lines: 0))
        }
        recent.remember(key, i)
        return i
    }
}
