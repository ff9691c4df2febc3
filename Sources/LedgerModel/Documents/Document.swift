/// The three kinds of document the accounting systems know; each target translates them.
public enum DocumentKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Lines with account, balancing account, amount and VAT code (Dinero "manuelt bilag").
    case manualVoucher = "manual_voucher"
    /// One expense: gross lines with VAT codes, paid in cash from a deposit account or on credit.
    case purchaseVoucher = "purchase_voucher"
    /// A kassekladde voucher: many lines booked together (daily sales against cash, card, MobilePay).
    case ledgerItem = "ledger_item"
}

/// An account in the target's chart, kept as written ("5820"). Dinero's are numbers; Visma.net's
/// may hold letters.
public struct AccountNumber: RawRepresentable, Sendable, Hashable, TextCoded, Comparable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ text: String) { self.rawValue = text }
    public init(integerLiteral value: Int) { self.rawValue = String(value) }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    /// Numeric order when both are numbers (so 900 < 1000), text order otherwise.
    public static func < (lhs: AccountNumber, rhs: AccountNumber) -> Bool {
        if let a = Int(lhs.rawValue), let b = Int(rhs.rawValue) { return a < b }
        return lhs.rawValue < rhs.rawValue
    }

    public init?(codedText: String) { self.rawValue = codedText }
    public var codedText: String { rawValue }

    /// Written as its text (`"5820"`); a number is read too, as chart snapshots write them.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            rawValue = String(number)
        } else {
            rawValue = try container.decode(String.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// What a line says about VAT. "No VAT" is explicit: a target that applies an account's default
/// VAT to a missing code (Dinero does) must never receive a missing code by accident.
public enum VatSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A target VAT code, e.g. `U25`, `I25`, `REP`.
    case code(String)
    /// Explicitly no VAT.
    case none
    /// Who the counterparty is and what is traded, and whether it is a sale or a purchase when
    /// the document does not say; validation resolves it to a code.
    indirect case zoneCategory(zone: String, category: String, direction: VatDirection? = nil)

    public var description: String {
        switch self {
        case .code(let code): code
        case .none: "none"
        case .zoneCategory(let zone, let category, _): "\(zone)/\(category)"
        }
    }

    private enum Keys: String, CodingKey { case zone, category, direction }

    /// A code or `none` is written as text; a zone and category as an object.
    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self = text.lowercased() == "none" ? .none : .code(text)
            return
        }
        let container = try decoder.container(keyedBy: Keys.self)
        self = .zoneCategory(
            zone: try container.decode(String.self, forKey: .zone),
            category: try container.decode(String.self, forKey: .category),
            direction: try container.decodeIfPresent(VatDirection.self, forKey: .direction))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .code(let code):
            var container = encoder.singleValueContainer()
            try container.encode(code)
        case .none:
            var container = encoder.singleValueContainer()
            try container.encode("none")
        case .zoneCategory(let zone, let category, let direction):
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(zone, forKey: .zone)
            try container.encode(category, forKey: .category)
            try container.encodeIfPresent(direction, forKey: .direction)
        }
    }
}

/// Whether VAT is charged on a sale (output VAT) or paid on a purchase (input VAT).
public enum VatDirection: String, Sendable, Hashable, Codable, CaseIterable {
    case sales
    case purchase
}

/// Where a purchase voucher's counterparty is; must agree with its VAT codes.
public enum Region: String, Sendable, Hashable, Codable, CaseIterable {
    case denmark = "DK"
    case eu = "EU"
    case world = "World"
}

/// One source row behind a document or line.
public struct SourceRow: Sendable, Hashable, Codable, Comparable {
    /// 1-based record number in the file.
    public var record: Int
    /// 1-based line where the record starts.
    public var line: Int

    public init(record: Int, line: Int) {
        self.record = record
        self.line = line
    }

    public static func < (lhs: SourceRow, rhs: SourceRow) -> Bool { lhs.record < rhs.record }
}

/// The file and rows a document came from, carried to the report.
///
/// Most documents come from one row, so the first row is kept inline and only the rows after it
/// in an array: a one-row document's provenance allocates nothing.
public struct Provenance: Sendable, Hashable, Codable {
    public var file: String
    /// The first row, nil only when there are none.
    public private(set) var firstRow: SourceRow?
    /// The rows after the first.
    private var rest: [SourceRow]

    public init(file: String, rows: [SourceRow]) {
        self.file = file
        firstRow = rows.first
        rest = Array(rows.dropFirst())
    }

    /// A document's rows: the first, then any more.
    public init(file: String, first: SourceRow, more: [SourceRow] = []) {
        self.file = file
        firstRow = first
        rest = more
    }

    /// Every row, in order.
    public var rows: [SourceRow] {
        get { firstRow.map { [$0] + rest } ?? [] }
        set {
            firstRow = newValue.first
            rest = Array(newValue.dropFirst())
        }
    }

    public var rowCount: Int { firstRow == nil ? 0 : 1 + rest.count }

    /// `bank.csv:12` or `bank.csv:12-15` (by line).
    public var description: String {
        guard let first = firstRow?.line else { return file }
        let last = rest.last?.line ?? first
        return first == last ? "\(file):\(first)" : "\(file):\(first)-\(last)"
    }

    public var location: SourceLocation { SourceLocation(file: file, line: firstRow?.line) }

    private enum CodingKeys: String, CodingKey { case file, rows }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            file: try container.decode(String.self, forKey: .file),
            rows: try container.decode([SourceRow].self, forKey: .rows))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encode(rows, forKey: .rows)
    }
}

/// One line of a document. For manual vouchers and ledger items a positive amount debits
/// `account` and credits `balancingAccount`; for purchase vouchers it is the gross expense.
public struct DocumentLine: Sendable, Hashable, Codable {
    public var description: String
    public var account: AccountNumber?
    public var balancingAccount: AccountNumber?
    public var amount: Money
    /// VAT on `account`; nil when the mapping gave none (validation rejects that for targets
    /// that would apply a default).
    public var vat: VatSpec?
    /// VAT on `balancingAccount`.
    public var balancingVat: VatSpec?
    public var row: SourceRow
    /// Nothing (zero bytes): with it the synthesized memberwise initializer has one more
    /// parameter than the public one, so it stays, and the public one calls it. An initializer
    /// that assigns each property (Swift 6.2) built the line twice and retained and released
    /// every text in it: about 280 instructions a line.
    private var memberwise = Memberwise()
    private struct Memberwise: Sendable, Hashable {}

    private enum CodingKeys: String, CodingKey {
        case description, account, balancingAccount, amount, vat, balancingVat, row
    }
}

extension DocumentLine {
    public init(
        description: String, account: AccountNumber?, balancingAccount: AccountNumber? = nil, amount: Money,
        vat: VatSpec? = nil, balancingVat: VatSpec? = nil, row: SourceRow
    ) {
        self.init(
            description: description, account: account, balancingAccount: balancingAccount, amount: amount, vat: vat,
            balancingVat: balancingVat, row: row, memberwise: Memberwise())
    }
}

/// How a purchase was paid.
public struct PurchaseTerms: Sendable, Hashable, Codable {
    public enum Payment: String, Sendable, Hashable, Codable, CaseIterable {
        /// Paid already, from `depositAccount`.
        case cash
        /// To be paid to `contact` by `paymentDate`.
        case credit
    }

    public var payment: Payment
    public var depositAccount: AccountNumber?
    /// The supplier, as the source names it; validation finds it among the organization's contacts.
    public var contact: ContactReference? {
        get { contactBox?.value }
        set { contactBox = newValue.map(ContactBox.init) }
    }
    public var paymentDate: LocalDate?
    public var region: Region?
    /// The supplier, in a box of one word: every document has room for purchase terms, and the
    /// supplier's six texts inline made each ledger item larger to copy (+1.3 % instructions on
    /// the read → plan benchmark).
    private var contactBox: ContactBox?

    private enum CodingKeys: String, CodingKey {
        case payment, depositAccount, paymentDate, region
        case contactBox = "contact"
    }

    public init(
        payment: Payment, depositAccount: AccountNumber? = nil, contact: ContactReference? = nil,
        paymentDate: LocalDate? = nil,
        region: Region? = nil
    ) {
        self.payment = payment
        self.depositAccount = depositAccount
        self.contact = contact
        self.paymentDate = paymentDate
        self.region = region
    }
}

/// A ``ContactReference`` held by reference; it is replaced whole, never changed in place.
final class ContactBox: Sendable, Hashable, Codable {
    let value: ContactReference

    init(_ value: ContactReference) { self.value = value }

    init(from decoder: any Decoder) throws { value = try ContactReference(from: decoder) }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }

    static func == (lhs: ContactBox, rhs: ContactBox) -> Bool { lhs.value == rhs.value }
    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}

/// VAT that the source states for a document (a Z-report's "of which VAT"), which validation
/// checks against the code's rate: VAT = rate × net, within rounding.
public struct DeclaredVat: Sendable, Hashable, Codable {
    public var gross: Money
    /// When the source gives it; otherwise gross − VAT.
    public var net: Money?
    public var vat: Money
    /// The VAT code whose rate applies.
    public var code: String

    public init(gross: Money, net: Money? = nil, vat: Money, code: String) {
        self.gross = gross
        self.net = net
        self.vat = vat
        self.code = code
    }
}

/// A neutral accounting document made by a mapping, before any target sees it.
public struct Document: Sendable, Hashable, Codable {
    // The stored properties are in this order so the small ones fill the reference's tail:
    // 128 bytes in all. One more word, and every move of a document became a call to `memcpy`
    // (about 600 instructions a row more on the way from the mapping threads to the report).
    /// Deterministic and unique per document: the key that makes booking exactly-once.
    public var referenceValue: DocumentReference
    public var kind: DocumentKind
    /// ``referenceValue`` as text (made on every call for a derived reference).
    public var reference: String {
        get { referenceValue.text }
        set { referenceValue = DocumentReference(newValue) }
    }
    public var date: LocalDate
    public var currency: Currency
    public var description: String?
    /// Ledger items: lines sharing a voucher number form one voucher.
    public var voucherNumber: Int?
    public var lines: [DocumentLine]
    public var provenance: Provenance
    /// The fields most documents leave empty, in one box (nil when all are): a document is
    /// moved several times on its way from a mapping thread to the report, and this keeps it at
    /// about half the size. The getters below read straight from the box (inlinable): building
    /// empty fields to read one of them cost validation 400 instructions a document.
    @usableFromInline var rare: Rare?

    /// A file to attach (receipt), as a path.
    public var attachment: String? {
        @inlinable get {
            guard case .fields(let fields) = rare else { return nil }
            return fields.attachment
        }
        set { rareFields.attachment = newValue }
    }

    public var purchase: PurchaseTerms? {
        @inlinable get {
            guard case .fields(let fields) = rare else { return nil }
            return fields.purchase
        }
        set { rareFields.purchase = newValue }
    }

    /// VAT the source states, for validation to check; never sent.
    public var declaredVat: DeclaredVat? {
        @inlinable get {
            guard case .fields(let fields) = rare else { return nil }
            return fields.declaredVat
        }
        set { rareFields.declaredVat = newValue }
    }

    @usableFromInline
    struct RareFields: Sendable, Hashable {
        @usableFromInline var attachment: String?
        @usableFromInline var purchase: PurchaseTerms?
        @usableFromInline var declaredVat: DeclaredVat?

        @usableFromInline
        init(attachment: String? = nil, purchase: PurchaseTerms? = nil, declaredVat: DeclaredVat? = nil) {
            self.attachment = attachment
            self.purchase = purchase
            self.declaredVat = declaredVat
        }

        var isEmpty: Bool { attachment == nil && purchase == nil && declaredVat == nil }
    }

    @usableFromInline
    indirect enum Rare: Sendable, Hashable {
        case fields(RareFields)
    }

    private var rareFields: RareFields {
        get {
            guard case .fields(let fields) = rare else { return RareFields() }
            return fields
        }
        set { rare = newValue.isEmpty ? nil : .fields(newValue) }
    }

    // Codable by hand, as the fields were before they were boxed: the same keys, in the same order.
    private enum CodingKeys: String, CodingKey {
        case kind, reference, date, currency, description, voucherNumber, attachment, purchase, lines, provenance
        case declaredVat
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(reference, forKey: .reference)
        try container.encode(date, forKey: .date)
        try container.encode(currency, forKey: .currency)
        try container.encodeIfPresent(description, forKey: .description)
        try container.encodeIfPresent(voucherNumber, forKey: .voucherNumber)
        try container.encodeIfPresent(attachment, forKey: .attachment)
        try container.encodeIfPresent(purchase, forKey: .purchase)
        try container.encode(lines, forKey: .lines)
        try container.encode(provenance, forKey: .provenance)
        try container.encodeIfPresent(declaredVat, forKey: .declaredVat)
    }

    /// The sum of the line amounts.
    public var total: Money {
        lines.reduce(Money.zero(currency)) { $0.adding($1.amount) ?? $0 }
    }
}

extension Document {
    // Initializers in an extension, so the struct keeps its synthesized memberwise initializer,
    // which builds the value in registers. One that assigned each property (Swift 6.2) built the
    // document twice and retained and released every text and array in it, about 340
    // instructions a document; `@inlinable`, it did so in the caller.
    public init(
        kind: DocumentKind, reference: String, date: LocalDate, currency: Currency, description: String? = nil,
        voucherNumber: Int? = nil, attachment: String? = nil, purchase: PurchaseTerms? = nil, lines: [DocumentLine],
        provenance: Provenance, declaredVat: DeclaredVat? = nil
    ) {
        self.init(
            kind: kind, reference: DocumentReference(reference), date: date, currency: currency,
            description: description, voucherNumber: voucherNumber, attachment: attachment, purchase: purchase,
            lines: lines, provenance: provenance, declaredVat: declaredVat)
    }

    public init(
        kind: DocumentKind, reference: DocumentReference, date: LocalDate, currency: Currency,
        description: String? = nil, voucherNumber: Int? = nil, attachment: String? = nil,
        purchase: PurchaseTerms? = nil, lines: [DocumentLine], provenance: Provenance, declaredVat: DeclaredVat? = nil
    ) {
        let rare: Rare? =
            attachment == nil && purchase == nil && declaredVat == nil
            ? nil : .fields(RareFields(attachment: attachment, purchase: purchase, declaredVat: declaredVat))
        self.init(
            referenceValue: reference, kind: kind, date: date, currency: currency, description: description,
            voucherNumber: voucherNumber, lines: lines, provenance: provenance, rare: rare)
    }

    /// A document without an attachment, purchase terms or stated VAT, as most mappings make
    /// them: the initializer above tests the three optionals, copying and destroying each, about
    /// 250 instructions a document.
    public init(
        kind: DocumentKind, reference: DocumentReference, date: LocalDate, currency: Currency, description: String?,
        voucherNumber: Int?, lines: [DocumentLine], provenance: Provenance
    ) {
        self.init(
            referenceValue: reference, kind: kind, date: date, currency: currency, description: description,
            voucherNumber: voucherNumber, lines: lines, provenance: provenance, rare: nil)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            kind: try container.decode(DocumentKind.self, forKey: .kind),
            reference: try container.decode(String.self, forKey: .reference),
            date: try container.decode(LocalDate.self, forKey: .date),
            currency: try container.decode(Currency.self, forKey: .currency),
            description: try container.decodeIfPresent(String.self, forKey: .description),
            voucherNumber: try container.decodeIfPresent(Int.self, forKey: .voucherNumber),
            attachment: try container.decodeIfPresent(String.self, forKey: .attachment),
            purchase: try container.decodeIfPresent(PurchaseTerms.self, forKey: .purchase),
            lines: try container.decode([DocumentLine].self, forKey: .lines),
            provenance: try container.decode(Provenance.self, forKey: .provenance),
            declaredVat: try container.decodeIfPresent(DeclaredVat.self, forKey: .declaredVat))
    }
}
