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
            let target = document.lines.withUnsafeBufferPointer { lines in self.rows(for: lines.baseAddress! + index) }
            if target.account >= 0 {
                accountTable.post(at: Int(target.account), amount)
                vatTable.post(at: Int(target.vat), amount)
            }
            if target.balancing >= 0 {
                accountTable.post(at: Int(target.balancing), amount.negated)
                vatTable.post(at: Int(target.balancingVat), amount.negated)
            }
        }
    }

    /// Where a line's four posts go (-1: no such side).
    private struct ShapeRows {
        var account: Int32 = -1
        var vat: Int32 = -1
        var balancing: Int32 = -1
        var balancingVat: Int32 = -1
    }

    /// Rows of the line shapes seen last (a rule sets the same few accounts and codes on row
    /// after row): comparing a line's bits with theirs replaces four lookups by name, and making
    /// the VAT code's name, for nearly every line. Shapes not there go the long way, by name.
    private var shapes = LineShapeMemo<ShapeRows>()

    private mutating func rows(for line: UnsafePointer<DocumentLine>) -> ShapeRows {
        guard let shape = LineShape(line, context: line.pointer(to: \.amount)!.pointee.currency.packed) else {
            return Self.rowsByName(line.pointee, &accountTable, &vatTable)
        }
        if let rows = shapes.value(for: shape) { return rows }
        let rows = Self.rowsByName(line.pointee, &accountTable, &vatTable)
        shapes.remember(rows, for: shape, readFrom: line.pointee)
        return rows
    }

    private static func rowsByName(
        _ line: borrowing DocumentLine, _ accountTable: inout DebitCreditTable, _ vatTable: inout DebitCreditTable
    ) -> ShapeRows {
        var rows = ShapeRows()
        let currency = line.amount.currency
        if let account = line.account {
            rows.account = Int32(accountTable.row(account.rawValue, currency))
            rows.vat = Int32(vatTable.row(line.vat?.description ?? "(not given)", currency))
        }
        if let balancing = line.balancingAccount {
            rows.balancing = Int32(accountTable.row(balancing.rawValue, currency))
            rows.balancingVat = Int32(vatTable.row(line.balancingVat?.description ?? "(not given)", currency))
        }
        return rows
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
    /// Each row's name and currency, in the order first seen.
    private var names: [(name: String, currency: Currency)] = []
    /// Per row, three numbers: debits and credits in minor units, and lines posted. (Kept apart
    /// from the names: posting to a `Total` in an array cost about 54 instructions.)
    private var sums: [Int64] = []
    /// Rows by name and currency.
    private var index = WordIndex()
    private var recent = RecentValues<Key, Int>()

    private struct Key: Equatable, Sendable {
        var name: String
        var currency: UInt32
    }

    /// The totals, in the order first seen.
    var rows: [PlanSummary.Total] {
        names.indices.map { i in
            let (name, currency) = names[i]
            return PlanSummary.Total(
                name: name, currency: currency, debit: Money(minorUnits: sums[3 * i], currency: currency),
                credit: Money(minorUnits: sums[3 * i + 1], currency: currency), lines: Int(sums[3 * i + 2]))
        }
    }

    /// Posts a signed amount: positive is a debit, negative a credit.
    mutating func post(_ name: String, _ signed: Money) {
        post(at: row(name, signed.currency), signed)
    }

    /// Posts a signed amount to the row at `i` (from ``row(_:_:)``, in the amount's currency). A
    /// sum that would overflow keeps its last value.
    mutating func post(at i: Int, _ signed: Money) {
        let amount = signed.minorUnits
        // A credit is added as its magnitude (-Int64.min has none: it is left out).
        let (side, magnitude) = amount >= 0 ? (3 * i, amount) : (3 * i + 1, amount == .min ? 0 : -amount)
        sums.withUnsafeMutableBufferPointer { sums in
            let (sum, overflow) = sums[side].addingReportingOverflow(magnitude)
            if !overflow { sums[side] = sum }
            sums[3 * i + 2] += 1
        }
    }

    /// The row of `name` in `currency`, added when new.
    mutating func row(_ name: String, _ currency: Currency) -> Int {
        let key = Key(name: name, currency: currency.packed)
        if let known = recent.value(for: key) { return known }
        let i: Int
        if let existing = index[name, key.currency] {
            i = existing
        } else {
            i = names.count
            index.set(i, name: name, tag: key.currency)
            names.append((name, currency))
            sums += [0, 0, 0]
        }
        recent.remember(key, i)
        return i
    }
}
