public import LedgerModel
public import Readers

/// A mapping file compiled: every name checked, every format and pattern parsed, ready to be
/// bound to a file's columns and evaluated per row with no parsing left to do.
public struct CompiledMapping: Sendable {
    /// The mapping's name; part of every default reference, so it must not change once used.
    public let name: String
    /// The mapping file's path.
    public let path: String
    public let description: String?
    /// Reader settings from `source:`, merged under command-line overrides by the caller.
    public let readerOptions: ReaderOptions
    public let kind: DocumentKind

    let locale: Locale
    let fields: [FieldSlot]
    let variables: [Variable]
    let lookups: [LookupTable]
    let rules: [Rule]
    let skips: [SkipRule]
    let document: DocumentSpec
    /// Validation settings from `validation:`; command-line options take precedence.
    public let validation: ValidationSettings
    /// `control_totals:` — the file's own totals, to compare with the documents made from it.
    let controls: ControlSpec?

    /// The totals a file states about itself (a SAF-T header's `TotalDebit`, a statement's
    /// opening and closing balances), each an expression read from the file's first record and
    /// what is around it.
    struct ControlSpec: Sendable {
        var debit: Expr?
        var credit: Expr?
        var count: Expr?
        /// The statement's account, and its balances before and after the file's entries.
        var balance: (account: Expr, opening: Expr, closing: Expr)?
        /// Read from the file's last record (a trailer row), not its first (a header).
        var fromLast = false
        var location: SourceLocation
    }

    /// Number and date conventions of the source.
    struct Locale: Sendable {
        var amountFormat: AmountFormat
        var dateFormat: DateFormat?
        var currency: Currency
        /// `source: { trim: false }`: fields keep the spaces and tabs around them (by default a
        /// field is read without them: `" Foo"` is `Foo`, `" 123"` is 123).
        var keepsSpaces = false
    }

    /// A field the mapping reads, as written, with the first place it is written. Inside
    /// `for_each` a field is looked up in the group item first, then in the record.
    struct FieldSlot: Sendable, Hashable {
        var name: String
        var inGroup: Bool
        var location: SourceLocation

        static func == (lhs: FieldSlot, rhs: FieldSlot) -> Bool { lhs.name == rhs.name && lhs.inGroup == rhs.inGroup }
        func hash(into hasher: inout Hasher) {
            hasher.combine(name)
            hasher.combine(inGroup)
        }
    }

    struct Variable: Sendable {
        var name: String
        var initial: Expr?
    }

    struct LookupTable: Sendable {
        var name: String
        var entries: [String: String]
        var fallback: String?
        var ignoreCase: Bool
        var location: SourceLocation

        func value(for key: String) -> String? {
            if let hit = entries[ignoreCase ? key.lowercased() : key] { return hit }
            return fallback
        }
    }

    /// `rules:` — the first whose `when` holds sets its variables.
    struct Rule: Sendable {
        var when: Condition?
        var assignments: [(variable: Int, value: Expr)]
        var location: SourceLocation
    }

    struct SkipRule: Sendable {
        var when: Condition
        var reason: String
        /// Rows after the one skipped that go with it: the rest of the file (a trailer), or the
        /// next so many (a section's sub-header).
        var alsoSkip: AlsoSkip?
    }

    enum AlsoSkip: Sendable, Equatable {
        case rest
        case next(Int)
    }

    /// Classes, not structs: they are read for every row, and passing one costs one retain.
    final class DocumentSpec: Sendable {
        let kind: DocumentKind
        let date: Expr
        let reference: ReferenceSpec
        let description: Expr?
        let currency: Expr?
        let voucherNumber: Expr?
        let attachment: Expr?
        let purchase: PurchaseSpec?
        let lines: [LineSpec]
        let group: GroupSpec?
        let vatCheck: VatCheckSpec?
        let exchangeRate: ExchangeRateSpec?

        init(
            kind: DocumentKind, date: Expr, reference: ReferenceSpec, description: Expr?, currency: Expr?,
            voucherNumber: Expr?, attachment: Expr?, purchase: PurchaseSpec?, lines: [LineSpec], group: GroupSpec?,
            vatCheck: VatCheckSpec?, exchangeRate: ExchangeRateSpec? = nil
        ) {
            self.exchangeRate = exchangeRate
            self.kind = kind
            self.date = date
            self.reference = reference
            self.description = description
            self.currency = currency
            self.voucherNumber = voucherNumber
            self.attachment = attachment
            self.purchase = purchase
            self.lines = lines
            self.group = group
            self.vatCheck = vatCheck
        }
    }

    /// `exchange_rate:` — amounts in the row's currency turned into another (`to`) at a rate
    /// (units of `to` per `per` units of the row's currency), rounded as stated.
    struct ExchangeRateSpec: Sendable {
        var rate: Expr
        var per: ExactDecimal
        var rounding: RoundingMode
        var to: Currency?
        /// Where a difference that rounding leaves goes; without it such a document is rejected.
        var roundingAccount: Expr?
    }

    /// `vat_check:` — the VAT a source states, checked by validation against the code's rate.
    struct VatCheckSpec: Sendable {
        var gross: Expr
        var net: Expr?
        var vat: Expr
        var code: Expr
    }

    enum ReferenceSpec: Sendable {
        /// From the rows' content (the default): survives re-exports and re-dropped files.
        case content
        /// From the file's SHA-256 and the rows' content: unique per file.
        case file
        /// Written by the mapping (a natural key such as the bank's reference column).
        case template(Expr)
    }

    struct PurchaseSpec: Sendable {
        var payment: Expr
        var depositAccount: Expr?
        var contact: ContactSpec?
        var paymentDate: Expr?
        var region: Expr?
    }

    /// `contact:` — the short form (an id or a name), or the fields a contact is matched on.
    /// A class: the purchase spec is read for every document, and six expressions inline made
    /// every copy of it larger.
    final class ContactSpec: Sendable {
        let text: Expr?
        let id: Expr?
        let name: Expr?
        let vatNumber: Expr?
        let externalReference: Expr?
        let country: Expr?

        init(
            text: Expr? = nil, id: Expr? = nil, name: Expr? = nil, vatNumber: Expr? = nil,
            externalReference: Expr? = nil, country: Expr? = nil
        ) {
            self.text = text
            self.id = id
            self.name = name
            self.vatNumber = vatNumber
            self.externalReference = externalReference
            self.country = country
        }
    }

    final class LineSpec: Sendable {
        let description: Expr?
        let account: Expr?
        let balancingAccount: Expr?
        let amount: Expr
        let vat: VatExpr?
        let balancingVat: VatExpr?
        let when: Condition?
        let skipIfZero: Bool
        let forEach: FieldPath?
        /// With `for_each`: the record's amount that the item lines split, which they must add up to.
        let splitOf: Expr?
        /// `amount: remainder`: the line's amount is what balances the document's other lines.
        let remainder: Bool
        let location: SourceLocation

        init(
            description: Expr?, account: Expr?, balancingAccount: Expr?, amount: Expr, vat: VatExpr?,
            balancingVat: VatExpr?, when: Condition?, skipIfZero: Bool, forEach: FieldPath?, splitOf: Expr?,
            remainder: Bool = false, location: SourceLocation
        ) {
            self.remainder = remainder
            self.splitOf = splitOf
            self.description = description
            self.account = account
            self.balancingAccount = balancingAccount
            self.amount = amount
            self.vat = vat
            self.balancingVat = balancingVat
            self.when = when
            self.skipIfZero = skipIfZero
            self.forEach = forEach
            self.location = location
        }

        /// A copy of its own, for one mapping thread.
        func ownCopy() -> LineSpec {
            LineSpec(
                description: description, account: account, balancingAccount: balancingAccount, amount: amount,
                vat: vat, balancingVat: balancingVat, when: when, skipIfZero: skipIfZero, forEach: forEach,
                splitOf: splitOf, remainder: remainder, location: location)
        }
    }

    enum VatExpr: Sendable {
        case code(Expr)
        case zoneCategory(zone: Expr, category: Expr, direction: VatDirection?)

        /// What the VAT reads: nothing, variables only, or the record.
        var variableUse: Expr.VariableUse {
            switch self {
            case .code(let expr): expr.variableUse
            case .zoneCategory(let zone, let category, _): max(zone.variableUse, category.variableUse)
            }
        }
    }

    struct GroupSpec: Sendable {
        enum Order: String, Sendable { case sorted, any }
        var key: Expr
        var order: Order
        var bufferRows: Int
        var location: SourceLocation
    }
}

/// What a mapping's `validation:` section says; nil where it says nothing.
/// What becomes of a supplier that matches none of the organization's contacts.
public enum ContactPolicy: String, Sendable, Hashable, CaseIterable {
    /// Its document is rejected (the default): a misspelt name must not become a new supplier.
    case existing
    /// The job creates it, once, before the first document that needs it.
    case create
}

public struct ValidationSettings: Sendable, Hashable {
    /// Reference data file (chart, deposit accounts, years, VAT codes), resolved against the mapping's folder.
    public var reference: String?
    /// VAT model file, resolved against the mapping's folder.
    public var vatModel: String?
    public var futureDays: Int?
    public var allowZeroLines: Bool?
    public var strict: Bool?
    /// The lock date: documents dated before it are rejected.
    public var lockedBefore: LocalDate?
    /// `contacts:` — what becomes of a supplier that matches none of the organization's contacts.
    public var contacts: ContactPolicy?
    /// The documents name a supplier (`purchase.contact`), so the organization's contacts are read.
    public var namesContacts = false

    public init() {}
}
