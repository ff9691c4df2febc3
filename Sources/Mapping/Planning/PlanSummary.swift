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

    /// A kept line shape: its rows, and the values its bits were read from, held so that equal
    /// bits keep meaning equal values (a text's storage cannot be freed and reused).
    private struct KeptShape: Sendable {
        var rows: ShapeRows
        var account: AccountNumber?
        var balancing: AccountNumber?
        var vat: VatSpec?
        var balancingVat: VatSpec?
    }

    /// The last few line shapes (a rule sets the same few accounts and codes on row after row):
    /// comparing a line's bits with theirs replaces four lookups by name, and making the VAT
    /// code's name, for nearly every line. Bits that differ go the long way, by name.
    private var kept: [KeptShape] = []
    /// Per kept shape, `shapeWords` words: the four fields' two words each, then the currency
    /// and the optional VAT codes' tag bytes.
    private var keptBits: [UInt64] = []
    private static let shapeWords = 9
    private var nextKept = 0
    private static let keptShapes = 16
    /// Where the four fields lie in a line, and how long each is (16 or 17 bytes on 64-bit);
    /// nil elsewhere, where every line goes by name.
    private static let fields: [(offset: Int, size: Int)]? = {
        let sizes = [MemoryLayout<AccountNumber?>.size, MemoryLayout<VatSpec?>.size]
        guard sizes.allSatisfy({ (16...17).contains($0) }) else { return nil }
        let paths = [
            \DocumentLine.account, \DocumentLine.balancingAccount, \DocumentLine.vat, \DocumentLine.balancingVat,
        ]
        let offsets = paths.compactMap { MemoryLayout<DocumentLine>.offset(of: $0) }
        guard offsets.count == 4 else { return nil }
        return zip(offsets, [sizes[0], sizes[0], sizes[1], sizes[1]]).map { ($0, $1) }
    }()

    private mutating func rows(for line: UnsafePointer<DocumentLine>) -> ShapeRows {
        guard let fields = Self.fields else { return Self.rowsByName(line.pointee, &accountTable, &vatTable) }
        let raw = UnsafeRawPointer(line)
        var bits = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var tags = UInt64(line.pointer(to: \.amount)!.pointee.currency.packed)
        withUnsafeMutableBytes(of: &bits) { out in
            for (k, field) in fields.enumerated() {
                out.storeBytes(
                    of: raw.loadUnaligned(fromByteOffset: field.offset, as: UInt64.self), toByteOffset: 16 * k,
                    as: UInt64.self)
                out.storeBytes(
                    of: raw.loadUnaligned(fromByteOffset: field.offset + 8, as: UInt64.self), toByteOffset: 16 * k + 8,
                    as: UInt64.self)
                if field.size == 17 {
                    tags = tags << 8 | UInt64(raw.load(fromByteOffset: field.offset + 16, as: UInt8.self))
                }
            }
        }
        bits.8 = tags
        let found = keptBits.withUnsafeBufferPointer { kept -> Int? in
            withUnsafeBytes(of: bits) { wanted in
                let wanted = wanted.bindMemory(to: UInt64.self)
                var start = 0
                while start < kept.count {
                    var difference: UInt64 = 0
                    for w in 0..<Self.shapeWords { difference |= kept[start + w] ^ wanted[w] }
                    if difference == 0 { return start / Self.shapeWords }
                    start += Self.shapeWords
                }
                return nil
            }
        }
        if let found { return kept[found].rows }
        let rows = Self.rowsByName(line.pointee, &accountTable, &vatTable)
        let shape = KeptShape(
            rows: rows, account: line.pointee.account, balancing: line.pointee.balancingAccount,
            vat: line.pointee.vat, balancingVat: line.pointee.balancingVat)
        let words = withUnsafeBytes(of: bits) { Array($0.bindMemory(to: UInt64.self)) }
        if kept.count < Self.keptShapes {
            keptBits += words
            kept.append(shape)
        } else {
            keptBits.replaceSubrange(nextKept * Self.shapeWords..<(nextKept + 1) * Self.shapeWords, with: words)
            kept[nextKept] = shape
            nextKept = (nextKept + 1) % Self.keptShapes
        }
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
        post(at: row(name, signed.currency), signed)
    }

    /// Posts a signed amount to the row at `i` (from ``row(_:_:)``, in the amount's currency).
    mutating func post(at i: Int, _ signed: Money) {
        if signed.minorUnits >= 0 {
            rows[i].debit = rows[i].debit.adding(signed) ?? rows[i].debit
        } else {
            rows[i].credit = rows[i].credit.adding(signed.negated) ?? rows[i].credit
        }
        rows[i].lines += 1
    }

    /// The row of `name` in `currency`, added when new.
    mutating func row(_ name: String, _ currency: Currency) -> Int {
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
