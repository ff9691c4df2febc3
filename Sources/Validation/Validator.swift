public import LedgerModel

/// How strict validation is, and what "today" is (injected, so tests and re-runs agree).
public struct ValidationOptions: Sendable {
    public var today: LocalDate
    /// How many days after `today` a document may be dated.
    public var futureDays = 7
    /// Whether a line may have a zero amount.
    public var allowZeroLines = false
    /// Warnings count as errors.
    public var strict = false
    /// How far a stated VAT amount may be from rate × net, in minor units.
    public var vatToleranceMinorUnits: Int64 = 1
    /// The currencies the target books each kind of document in; nil checks none.
    public var currencies: CurrencyRules?
    /// The lock date: the books before it are closed, so earlier documents are rejected.
    public var lockedBefore: LocalDate?
    /// A supplier that matches no contact is to be created (the mapping's `contacts: create`),
    /// not rejected.
    public var createContacts = false
    /// The mapping names suppliers: say so when the reference data cannot check them.
    public var namesContacts = false

    public init(today: LocalDate) { self.today = today }
}

/// Checks documents before anything is sent: balance, amounts, dates and accounting years,
/// accounts and how a purchase is paid, VAT codes against the VAT model, and references that
/// repeat within a run. One per run (it remembers the references it has seen).
///
/// Every problem is a ``Diagnostic`` with a `V` code, located at the document's first row
/// (or the line's row) and naming the field. Errors block the document; warnings let it pass.
public final class Validator {
    public let vat: VatModel
    public let reference: ReferenceData?
    public let options: ValidationOptions
    private var registry = ReferenceRegistry()
    /// The last code looked up, as written: lines repeat their codes.
    private var lastCode: (text: String, code: VatModel.Code?)?
    /// Zone/category pairs resolved so far, as written: a file uses a handful.
    private var resolutions: [PairKey: VatModel.Resolution] = [:]
    /// The model's codes (as the model spells them) that the organization does not have.
    private let codesTheOrganizationLacks: Set<String>
    /// The latest date a document may have.
    private let latestDate: LocalDate
    /// The one currency manual vouchers and ledger items may be in, when the target books one.
    private let onlyManualCurrency: Currency?
    private let onlyLedgerCurrency: Currency?
    private let checksCurrencies: Bool
    /// The organization's accounting years: their first and last days, and whether each is closed.
    private let yearSpans: [(from: LocalDate, to: LocalDate, closed: Bool)]
    /// The chart, for the lookups on every line.
    private let accounts: AccountTable?
    /// The organization's contacts, when the reference data has them.
    private let contacts: ContactDirectory?
    /// The chart entries of the accounts last looked up: a file's lines name a handful of
    /// accounts, and finding one by its bits costs less than packing its number for the index.
    private var recentEntries = RecentValues<AccountNumber, AccountTable.Entry?>()
    /// Line shapes (accounts and VAT codes, in a kind of document and region) whose check found
    /// nothing, with the VAT codes it wrote: the check depends on nothing else, and a file's
    /// lines have a handful of shapes.
    private var cleanShapes = LineShapeMemo<Rewrites>()

    public convenience init(vat: VatModel, reference: ReferenceData?, options: ValidationOptions) {
        self.init(
            vat: vat, reference: reference, options: options, contacts: reference?.contacts.map(ContactDirectory.init))
    }

    /// `contacts`: the directory of the reference data's contacts, built once and shared by workers.
    private init(vat: VatModel, reference: ReferenceData?, options: ValidationOptions, contacts: ContactDirectory?) {
        self.contacts = contacts
        self.vat = vat
        self.reference = reference
        self.options = options
        func only(_ allowed: Set<Currency>??) -> Currency? {
            guard case let set?? = allowed, set.count == 1 else { return nil }
            return set.first
        }
        onlyManualCurrency = only(options.currencies?.manualVoucher)
        onlyLedgerCurrency = only(options.currencies?.ledgerItem)
        checksCurrencies = options.currencies != nil
        latestDate = options.today.adding(days: options.futureDays)
        accounts = reference.map(AccountTable.init)
        yearSpans = reference?.years.map { ($0.from, $0.to, $0.closed == true) } ?? []
        let known = reference?.vatCodes
        codesTheOrganizationLacks = Set(
            vat.codes.values.map(\.code).filter { code in
                guard let known, code.lowercased() != "none" else { return false }
                return !known.contains(code.uppercased())
            })
    }

    /// What the run does not check, said once before the first document.
    public var setupDiagnostics: [Diagnostic] {
        guard reference == nil else {
            guard options.namesContacts, contacts == nil else { return [] }
            return [
                .warning(
                    ValidationCode.noContacts,
                    "the reference data has no contacts: the suppliers the documents name are not checked",
                    hint: "`ledgerlift reference pull` writes a snapshot with the organization's contacts")
            ]
        }
        return [
            .warning(
                ValidationCode.noReferenceData,
                "no reference data: accounts, accounting years and the organization's VAT codes are not checked",
                hint: "pass --reference with a snapshot of the organization (see mappings/reference/example-org.yaml)")
        ]
    }

    /// Checks `document`. A VAT zone and category that a codes model resolves are replaced by
    /// the code, and codes are written as the model spells them.
    public func validate(_ document: inout Document) -> [Diagnostic] {
        var diagnostics = check(&document)
        if let duplicate = registerReference(of: document) { diagnostics.append(duplicate) }
        return diagnostics
    }

    /// Every check but the run-wide one on references: it looks at this document alone, so
    /// ``workerCheck()`` copies can run it on other threads. Call ``registerReference(of:)`` after it,
    /// in file order, to complete ``validate(_:)``.
    public func check(_ document: inout Document) -> [Diagnostic] {
        var check = Check(document: document, strict: options.strict)
        checkAmounts(document, &check)
        checkDates(document, &check)
        if let purchase = document.purchase {
            checkPayment(document, purchase, &check)
            if purchase.contact != nil { checkContact(&document, &check) }
        }
        let context = Self.shapeContext(document)
        for index in document.lines.indices {
            let shape = document.lines.withUnsafeBufferPointer { LineShape($0.baseAddress! + index, context: context) }
            if let shape, let rewrites = cleanShapes.value(for: shape) {
                if !rewrites.isEmpty { rewrites.apply(to: &document.lines[index]) }
                continue
            }
            let before = check.diagnostics.count
            let given = document.lines[index]
            let rewrites = checkLine(&document, index, &check)
            if let shape, check.diagnostics.count == before {
                cleanShapes.remember(rewrites, for: shape, readFrom: given)
            }
        }
        checkDeclaredVat(document, &check)
        // Nearly every document passes: no copy of the empty list to locate.
        return check.diagnostics.isEmpty ? [] : check.located(in: document.provenance.file)
    }

    /// Remembers the document's reference; the V501 error when the run used it before.
    /// `distinctInFile`: the caller knows no other document of this file has the same reference
    /// (``DocumentBuilder/referencesAreDistinct``), so while the run has seen only this file,
    /// there is nothing to look up.
    public func registerReference(of document: Document, distinctInFile: Bool = false) -> Diagnostic? {
        // The file is passed where it lies in the document: bound to a local first, it was
        // retained and released on this thread, a reference count on a string that the mapping
        // thread which made the document counts too.
        let line = document.provenance.firstRow?.line ?? 0
        let seen =
            distinctInFile
            ? registry.registerDistinct(document.referenceValue, file: document.provenance.file, line: line)
            : registry.register(document.referenceValue, file: document.provenance.file, line: line)
        guard let first = seen else { return nil }
        var check = Check(document: document, strict: options.strict)
        check.error(
            ValidationCode.duplicateReference,
            "the reference \(document.reference) was already used in this run, by the document at \(first.file):\(first.line)",
            hint: "give each document its own reference (`reference:` in the mapping), or drop the file named twice",
            field: "reference")
        return check.located(in: document.provenance.file)[0]
    }

    /// ``check(_:)`` on a validator with the same settings and memos of its own, for another
    /// thread: it shares nothing mutable with this one. One per thread.
    public func workerCheck() -> (inout Document) -> [Diagnostic] {
        let worker = Validator(vat: vat, reference: reference, options: options, contacts: contacts)
        return { worker.check(&$0) }
    }

    // MARK: Amounts and balance

    /// A document in a currency its target does not book for its kind would be booked with the
    /// same numbers in the organization's currency: refused. (A cash purchase has its own rule,
    /// V311, with its own advice.)
    @inline(__always)
    private func checkCurrency(_ document: Document, _ check: inout Check) {
        // Nearly every document: one word compared (the rules' sets would hash the currency).
        guard checksCurrencies else { return }
        switch document.kind {
        case .manualVoucher: if document.currency == onlyManualCurrency { return }
        case .ledgerItem: if document.currency == onlyLedgerCurrency { return }
        case .purchaseVoucher: if document.purchase?.payment != .credit { return }  // V311's
        }
        checkCurrencyRules(document, &check)
    }

    private func checkCurrencyRules(_ document: Document, _ check: inout Check) {
        guard let rules = options.currencies,
            let allowed = rules.allowed(document.kind, payment: document.purchase?.payment),
            !allowed.contains(document.currency)
        else { return }
        let kind = document.kind.rawValue.split(separator: "_").joined(separator: " ")
        check.error(
            ValidationCode.currencyNotBooked,
            "\(rules.system) books a \(kind) in \(Self.list(allowed)) only; this one is in \(document.currency.code), and its amounts would be booked as \(Self.list(allowed))",
            hint: document.kind == .purchaseVoucher
                ? "convert the amounts to \(Self.list(allowed)) before importing"
                : "convert the amounts to \(Self.list(allowed)) before importing, or book foreign-currency costs as purchase vouchers on credit",
            field: "currency")
    }

    static func list(_ currencies: Set<Currency>) -> String {
        currencies.map(\.code).sorted().joined(separator: " or ")
    }

    private func checkAmounts(_ document: Document, _ check: inout Check) {
        checkCurrency(document, &check)
        if document.lines.isEmpty {
            check.error(ValidationCode.noLines, "the document has no lines", hint: nil, field: "lines")
        }
        if document.currency.minorDigits > 2 {
            check.error(
                ValidationCode.tooManyDecimals,
                "amounts in \(document.currency.code) have \(document.currency.minorDigits) decimals; at most 2 can be booked",
                hint: "convert the amounts to a currency with 2 decimals", field: "currency")
        }
        let isPurchase = document.kind == .purchaseVoucher
        var open: Int64 = 0
        var overflow = false
        // Field by field, not `for line in lines`: copying whole lines would retain their texts.
        for index in document.lines.indices where document.lines[index].amount.isZero && !options.allowZeroLines {
            check.error(
                ValidationCode.zeroLine, "line \(index + 1) has a zero amount",
                hint: "set `skip_if_zero: true` on the line in the mapping, or allow zero lines (--allow-zero-lines)",
                field: "amount", row: document.lines[index].row)
        }
        for index in document.lines.indices {
            let hasBalancingAccount = document.lines[index].balancingAccount != nil
            if document.lines[index].account == nil {
                check.error(
                    ValidationCode.noAccount, "line \(index + 1) has no account",
                    hint: "give the line an `account:` in the mapping", field: "account", row: document.lines[index].row
                )
            }
            if isPurchase {
                if hasBalancingAccount {
                    check.error(
                        ValidationCode.purchaseBalancingAccount,
                        "line \(index + 1) of a purchase voucher has a balancing account",
                        hint:
                            "a purchase is paid from the deposit account or owed to the contact; drop `balancing_account`",
                        field: "balancing_account", row: document.lines[index].row)
                }
            } else if !hasBalancingAccount {
                let (sum, over) = open.addingReportingOverflow(document.lines[index].amount.minorUnits)
                open = sum
                overflow = overflow || over
            }
        }
        if !isPurchase && (overflow || open == .min) {
            check.error(
                ValidationCode.unbalanced, "the voucher's amounts are too large to add up",
                hint: "check the amounts and their decimal mark", field: "lines")
        } else if !isPurchase && open != 0 {
            let difference = Money(minorUnits: open, currency: document.currency)
            check.error(
                ValidationCode.unbalanced,
                "the voucher does not balance: its lines without a balancing account add up to \(difference), not 0",
                hint: "add a line of \(difference.negated.amountText), or give the lines a balancing_account",
                field: "lines")
        }
    }

    // MARK: Dates and accounting years

    private func checkDates(_ document: Document, _ check: inout Check) {
        if document.date > latestDate {
            let ahead = document.date.dayNumber - options.today.dayNumber
            check.error(
                ValidationCode.futureDate,
                "the date \(document.date) is \(ahead) days in the future; at most \(options.futureDays) are allowed",
                hint: "check the date format (dd-mm or mm-dd?), or allow more with --future-days", field: "date")
        }
        if let lockedBefore = options.lockedBefore, document.date < lockedBefore {
            check.error(
                ValidationCode.beforeLockDate,
                "the date \(document.date) is before the lock date \(lockedBefore); the books before it are closed",
                hint: "leave the row out, or move the lock date (--locked-before, validation.locked_before)",
                field: "date")
        }
        // The spans first: reading the reference data copies it, and the year's name.
        let span = yearSpans.first { $0.from <= document.date && document.date <= $0.to }
        if yearSpans.isEmpty || span?.closed == false { return }
        guard let reference else { return }
        guard let year = reference.year(of: document.date) else {
            let names = reference.years.map { "\($0.name) (\($0.from)–\($0.to))" }.joined(separator: ", ")
            check.error(
                ValidationCode.noAccountingYear,
                "no accounting year covers \(document.date); the organization has \(names)",
                hint: "create the accounting year in the target first, or check the date", field: "date")
            return
        }
        if year.closed == true {
            check.error(
                ValidationCode.closedYear, "the accounting year \(year.name) is closed; \(document.date) is in it",
                hint: "book it in an open year, or reopen the year in the target", field: "date")
        }
    }

    // MARK: Accounts and payment

    private func of(_ reference: ReferenceData) -> String {
        reference.organization.map { " of \($0)" } ?? ""
    }

    private func checkPayment(_ document: Document, _ purchase: PurchaseTerms, _ check: inout Check) {
        switch purchase.payment {
        case .cash:
            if let deposit = purchase.depositAccount {
                if let reference, reference.depositAccounts[deposit] == nil {
                    let what =
                        reference.accounts[deposit].map { "account \(deposit) (\($0.name))" } ?? "account \(deposit)"
                    check.error(
                        ValidationCode.notADepositAccount, "\(what) is not a deposit account\(of(reference))",
                        hint: "a cash purchase is paid from a bank or cash account listed under deposit accounts",
                        field: "purchase.deposit_account")
                }
            } else {
                check.error(
                    ValidationCode.cashWithoutDeposit, "a cash purchase needs the deposit account that paid",
                    hint: "set `purchase.deposit_account`, or make it a credit purchase",
                    field: "purchase.deposit_account")
            }
            if purchase.paymentDate != nil {
                check.error(
                    ValidationCode.cashWithPaymentDate, "a cash purchase must not have a payment date",
                    hint: "drop `purchase.payment_date`, or make it a credit purchase", field: "purchase.payment_date")
            }
            if let allowed = options.currencies?.cashPurchase, !allowed.contains(document.currency) {
                check.error(
                    ValidationCode.foreignCurrencyCash,
                    "a cash purchase is booked in \(Self.list(allowed)); this one is in \(document.currency.code)",
                    hint: "make it a credit purchase, or convert the amount to \(Self.list(allowed))",
                    field: "currency")
            }
        case .credit:
            if purchase.contact?.isEmpty ?? true {
                check.error(
                    ValidationCode.creditWithoutContact, "a credit purchase needs the supplier (contact)",
                    hint: "set `purchase.contact`", field: "purchase.contact")
            }
            if purchase.paymentDate == nil {
                check.error(
                    ValidationCode.creditWithoutPaymentDate, "a credit purchase needs a payment (due) date",
                    hint: "set `purchase.payment_date`", field: "purchase.payment_date")
            }
            if purchase.depositAccount != nil {
                check.error(
                    ValidationCode.creditWithDeposit, "a credit purchase must not name a deposit account",
                    hint: "drop `purchase.deposit_account`, or make it a cash purchase",
                    field: "purchase.deposit_account")
            }
        }
    }

    // MARK: Contacts

    /// Finds the supplier among the organization's contacts (``ContactDirectory``'s rule) and
    /// writes its id into the document; one that matches none is marked to be created when the
    /// mapping says `contacts: create`, and rejected otherwise. Without the contacts, an id
    /// given passes unchecked, and so does a name (the run said so once).
    private func checkContact(_ document: inout Document, _ check: inout Check) {
        guard let contacts, var contact = document.purchase?.contact else { return }
        // Named only in messages: not made for the documents that pass.
        var organization: String { reference.map(of) ?? "" }
        switch contacts.match(contact) {
        case .found(let found):
            contact.id = found.id
        case .missing where options.createContacts && contact.id == nil:
            guard contact.nameToCreate != nil else {
                check.error(
                    ValidationCode.contactWithoutName,
                    "the supplier \(contact.label) is not among the contacts\(organization), and a contact cannot be created without a name",
                    hint: "give the supplier's name (`contact: {name: …}`)", field: "purchase.contact")
                return
            }
            contact.create = true
        case .missing:
            let what =
                contact.id.map { "no contact has the id \($0)" }
                ?? "the supplier \(contact.label) is not among the contacts\(organization)"
            check.error(
                ValidationCode.unknownContact, what,
                hint: contact.id != nil
                    ? "give the contact's id as the target shows it, or its name or VAT number"
                    : "create the contact in the target, correct the name, give its VAT number, or let the job create it (`contacts: create` in the mapping)",
                field: "purchase.contact")
            return
        case .ambiguous(let candidates):
            let shown = candidates.prefix(3).map {
                "\($0.name) (\($0.vatNumber.map { "VAT number \($0)" } ?? "no VAT number"))"
            }
            check.error(
                ValidationCode.ambiguousContact,
                "\(candidates.count) contacts\(organization) match the supplier \(contact.label): \(shown.joined(separator: ", "))\(candidates.count > 3 ? ", …" : "")",
                hint: "give the supplier's VAT number or external reference (`contact: {vat_number: …}`)",
                field: "purchase.contact")
            return
        case .conflict(let found, let field, let given, let held):
            check.error(
                ValidationCode.contactConflict,
                "the supplier \(contact.label) is the contact \(found.name), whose \(field) is \(held); the source says \(given)",
                hint: "correct the source, or the contact in the target", field: "purchase.contact")
            return
        }
        document.purchase?.contact = contact
    }

    // MARK: Lines: accounts and VAT

    /// What a line's check depends on besides the line's accounts and codes: whether the
    /// document is a purchase, and its region.
    private static func shapeContext(_ document: Document) -> UInt32 {
        guard document.kind == .purchaseVoucher else { return 0 }
        let region = document.purchase?.region ?? .denmark
        return 1 + UInt32(Region.allCases.firstIndex(of: region)!)
    }

    /// The VAT codes a line's check wrote in place of the given ones; nil: the given one stays.
    private struct Rewrites: Sendable {
        var vat: VatSpec?
        var balancingVat: VatSpec?

        var isEmpty: Bool { vat == nil && balancingVat == nil }

        func apply(to line: inout DocumentLine) {
            if let vat { line.vat = vat }
            if let balancingVat { line.balancingVat = balancingVat }
        }
    }

    /// Checks both sides of a line (the account, and for manual vouchers and ledger items the
    /// balancing account), looking each account up once.
    private func checkLine(_ document: inout Document, _ index: Int, _ check: inout Check) -> Rewrites {
        var rewrites = Rewrites()
        let row = document.lines[index].row
        let isPurchase = document.kind == .purchaseVoucher
        if let account = document.lines[index].account {
            let side = Side(
                line: index, row: row, account: account, entry: entry(account), field: "vat",
                isPurchase: isPurchase, region: isPurchase ? (document.purchase?.region ?? .denmark) : nil)
            checkAccount(side, field: "account", &check)
            rewrites.vat = checkSide(document.lines[index].vat, side, &check)
        }
        if let account = document.lines[index].balancingAccount {
            let side = Side(
                line: index, row: row, account: account, entry: entry(account),
                field: "balancing_vat", isPurchase: false, region: nil)
            checkAccount(side, field: "balancing_account", &check)
            // A purchase line's balancing account is an error of its own (V310); its VAT is moot.
            if !isPurchase { rewrites.balancingVat = checkSide(document.lines[index].balancingVat, side, &check) }
        }
        if !rewrites.isEmpty { rewrites.apply(to: &document.lines[index]) }
        return rewrites
    }

    /// The account's chart entry; nil when it is not in the chart or there is no chart.
    private func entry(_ account: AccountNumber) -> AccountTable.Entry? {
        guard let accounts else { return nil }
        if let known = recentEntries.value(for: account) { return known }
        let found = accounts.find(account)
        recentEntries.remember(account, found)
        return found
    }

    /// One side of a line: the account and its chart entry, whether it is a sale or a purchase,
    /// and the purchase voucher's region.
    private struct Side {
        var line: Int
        var row: SourceRow
        var account: AccountNumber
        var entry: AccountTable.Entry?
        /// The VAT field: `vat` or `balancing_vat`.
        var field: String
        var isPurchase: Bool
        var region: Region?

        var direction: VatDirection? {
            if isPurchase { return .purchase }
            switch entry?.kind {
            case .sales: return .sales
            case .expense: return .purchase
            default: return nil
            }
        }

        /// Why `direction` is what it is, for messages.
        var directionReason: String {
            if isPurchase { return "this is a purchase voucher" }
            return "account \(account) is \(entry?.kind == .sales ? "a sales" : "an expense") account"
        }

        var label: String { "line \(line + 1), account \(account)" }
    }

    private func checkAccount(_ side: Side, field: String, _ check: inout Check) {
        guard let reference else { return }
        guard let entry = side.entry else {
            check.error(
                ValidationCode.unknownAccount,
                "line \(side.line + 1): account \(side.account) is not in the chart\(of(reference))",
                hint: "check the account number, or create the account in the target", field: field, row: side.row)
            return
        }
        if entry.hidden == true {
            check.warning(
                ValidationCode.hiddenAccount,
                "line \(side.line + 1): account \(side.account) (\(entry.name)) is hidden in the chart",
                hint: "unhide it in the target, or use another account", field: field, row: side.row)
        }
        if side.isPurchase, entry.kind?.isBalanceSheet == true {
            check.error(
                ValidationCode.balanceSheetOnPurchase,
                "line \(side.line + 1): account \(side.account) (\(entry.name)) is a balance-sheet account; purchase vouchers take only profit-and-loss accounts",
                hint: "book this as a manual voucher (document.kind: manual_voucher)", field: field, row: side.row)
        }
    }

    /// Checks the VAT of one side; returns the spec to send when it differs from what was given.
    private func checkSide(_ spec: VatSpec?, _ side: Side, _ check: inout Check) -> VatSpec? {
        guard let spec else {
            let fallback = side.entry?.vat.map { " (\($0))" } ?? ""
            check.error(
                ValidationCode.missingVat,
                "\(side.label) has no VAT code; Dinero would apply the account's default VAT\(fallback)",
                hint: "write `\(side.field): none` for no VAT, or give the code", field: side.field, row: side.row)
            return nil
        }
        switch spec {
        case .none:
            return nil
        case .code(let text):
            return checkCode(text, side, &check)
        case .zoneCategory(let zone, let category, let explicit):
            guard let direction = explicit ?? side.direction else {
                check.error(
                    ValidationCode.vatDirectionUnknown,
                    "\(side.label): cannot tell whether VAT zone \(zone) and category \(category) are for a sale or a purchase",
                    hint:
                        "add `direction: sales` or `direction: purchase` to the vat, or give reference data with the account's kind",
                    field: side.field, row: side.row)
                return nil
            }
            switch resolve(zone, category, direction) {
            case .unknownZone:
                check.error(
                    ValidationCode.unknownZoneOrCategory, "\(side.label): there is no VAT zone \(zone) in \(vat.name)",
                    hint: "zones: \(vat.zones.values.map(\.id).sorted().joined(separator: ", "))", field: side.field,
                    row: side.row)
            case .unknownCategory:
                check.error(
                    ValidationCode.unknownZoneOrCategory,
                    "\(side.label): there is no VAT category \(category) in \(vat.name)",
                    hint: "categories: \(vat.categories.values.map(\.id).sorted().joined(separator: ", "))",
                    field: side.field, row: side.row)
            case .nothing:
                let message =
                    vat.shape == .codes
                    ? "\(side.label): VAT zone \(zone) and category \(category) have no \(direction.rawValue) VAT code in \(vat.name)"
                    : "\(side.label): VAT zone \(zone) and category \(category) give no \(direction.rawValue) VAT id; the target would answer \"TaxID '\(category)' cannot be found in the system\""
                check.error(
                    ValidationCode.noVatForPair, message,
                    hint:
                        "check the zone and the category, or whether this is a \(direction == .sales ? "purchase" : "sale")",
                    field: side.field, row: side.row)
            case .code(let code):
                checkOrganizationHas(code, side, &check)
                if let region = side.region, let zoneRegion = vat.zones[zone.uppercased()]?.region,
                    zoneRegion != region
                {
                    check.error(
                        ValidationCode.vatRegion,
                        "\(side.label): VAT zone \(zone) is \(zoneRegion.rawValue), but the purchase voucher's region is \(region.rawValue)",
                        hint: "set `purchase.region` to \(zoneRegion.rawValue), or use a \(region.rawValue) zone",
                        field: side.field, row: side.row)
                }
                return code.code.lowercased() == "none" ? VatSpec.none : .code(code.code)
            case .vatIds:
                return nil
            }
            return nil
        }
    }

    private func checkCode(_ text: String, _ side: Side, _ check: inout Check) -> VatSpec? {
        switch vat.shape {
        case .zonesAndCategories:
            guard vat.categories[text.uppercased()] != nil else {
                check.error(
                    ValidationCode.unknownVatCode, "\(side.label): there is no VAT category \(text) in \(vat.name)",
                    hint: "categories: \(vat.categories.values.map(\.id).sorted().joined(separator: ", "))",
                    field: side.field, row: side.row)
                return nil
            }
            return nil
        case .codes:
            break
        }
        let code: VatModel.Code?
        if let last = lastCode, last.text == text {
            code = last.code
        } else {
            code = vat.code(text)
            lastCode = (text, code)
        }
        guard let code else {
            check.error(
                ValidationCode.unknownVatCode, "\(side.label): \(text) is not a VAT code of \(vat.name)",
                hint: "use one of \(vat.codes.values.map(\.code).sorted().joined(separator: ", ")), or `none`",
                field: side.field, row: side.row)
            return nil
        }
        checkOrganizationHas(code, side, &check)
        if let wanted = code.direction, let direction = side.direction, wanted != direction {
            check.error(
                ValidationCode.vatDirection,
                "\(side.label): \(code.code) (\(code.name)) is a \(wanted.rawValue) VAT code, but \(side.directionReason)",
                hint:
                    "use a \(direction.rawValue) code\(counterpart(of: code, direction).map { " such as \($0)" } ?? "")",
                field: side.field, row: side.row)
        }
        if let region = side.region, let codeRegion = code.region, codeRegion != region {
            check.error(
                ValidationCode.vatRegion,
                "\(side.label): \(code.code) is for \(codeRegion.rawValue) purchases, but the voucher's region is \(region.rawValue)",
                hint: "set `purchase.region: \(codeRegion.rawValue)`, or use a \(region.rawValue) code",
                field: side.field,
                row: side.row)
        }
        return code.code == text ? nil : .code(code.code)
    }

    /// The organization's own list of codes, when known, must have the code.
    private func checkOrganizationHas(_ code: VatModel.Code, _ side: Side, _ check: inout Check) {
        guard codesTheOrganizationLacks.contains(code.code), let known = reference?.vatCodes else { return }
        check.error(
            ValidationCode.unknownVatCode, "\(side.label): the organization has no VAT code \(code.code)",
            hint: "create it in the target, or use one of \(known.sorted().joined(separator: ", "))",
            field: side.field, row: side.row)
    }

    private struct PairKey: Hashable {
        var zone: String
        var category: String
        var direction: VatDirection
    }

    private func resolve(_ zone: String, _ category: String, _ direction: VatDirection) -> VatModel.Resolution {
        let key = PairKey(zone: zone, category: category, direction: direction)
        if let known = resolutions[key] { return known }
        let resolution = vat.resolve(zone: zone, category: category, direction: direction)
        if resolutions.count < 4096 { resolutions[key] = resolution }
        return resolution
    }

    /// A code of the other direction for the same region, for hints (`U25` → `I25`).
    private func counterpart(of code: VatModel.Code, _ direction: VatDirection) -> String? {
        vat.codes.values.filter { $0.direction == direction && $0.region == code.region && $0.rate == code.rate }
            .map(\.code).sorted().first
    }

    // MARK: Stated VAT

    private func checkDeclaredVat(_ document: Document, _ check: inout Check) {
        guard let declared = document.declaredVat else { return }
        guard let code = vat.code(declared.code) else {
            check.error(
                ValidationCode.unknownVatCode,
                "the stated VAT's code \(declared.code) is not a VAT code of \(vat.name)",
                hint: nil, field: "vat_check.code")
            return
        }
        let net = declared.net?.minorUnits ?? (declared.gross.minorUnits - declared.vat.minorUnits)
        if let given = declared.net, given.minorUnits + declared.vat.minorUnits != declared.gross.minorUnits {
            check.error(
                ValidationCode.vatAmount,
                "gross \(declared.gross) is not net \(given) plus VAT \(declared.vat)",
                hint: "check the gross, net and VAT columns", field: "vat_check")
            return
        }
        let expected = ExactDecimal(units: net, scale: document.currency.minorDigits).multiplied(by: code.rate)?
            .rounded(toScale: document.currency.minorDigits, .halfEven)
        guard let expected else { return }
        let difference = declared.vat.minorUnits - expected.units
        if abs(difference) > options.vatToleranceMinorUnits {
            let expectedMoney = Money(minorUnits: expected.units, currency: document.currency)
            check.error(
                ValidationCode.vatAmount,
                "the stated VAT \(declared.vat) is not \(code.code)'s rate \(code.rate) of the net \(Money(minorUnits: net, currency: document.currency)): that is \(expectedMoney)",
                hint: "check the VAT column and the VAT code", field: "vat_check")
        }
    }
}

/// The problems found in one document, located at its first row unless a line's row is given.
private struct Check {
    let firstRow: Int?
    let strict: Bool
    /// Located in the document's rows, but not yet in its file (see ``located(in:)``).
    var diagnostics: [Diagnostic] = []

    /// The file is not kept: holding the document's file string counted a reference on it for
    /// every document checked, and nearly every document passes.
    init(document: Document, strict: Bool) {
        firstRow = document.provenance.firstRow?.line
        self.strict = strict
    }

    /// The diagnostics, located in `file`.
    func located(in file: String) -> [Diagnostic] {
        var located = diagnostics
        for i in located.indices { located[i].location?.file = file }
        return located
    }

    /// Where a diagnostic is, but for the file, which ``located(in:)`` fills in.
    private func location(_ row: SourceRow?, _ field: String) -> SourceLocation {
        SourceLocation(file: "", line: row?.line ?? firstRow, field: field)
    }

    mutating func error(
        _ code: DiagnosticCode, _ message: String, hint: String?, field: String, row: SourceRow? = nil
    ) {
        diagnostics.append(
            .error(code, message, hint: hint, at: location(row, field))
        )
    }

    mutating func warning(
        _ code: DiagnosticCode, _ message: String, hint: String?, field: String, row: SourceRow? = nil
    ) {
        let location = location(row, field)
        diagnostics.append(
            strict
                ? .error(code, message, hint: hint.map { $0 + " (an error because of --strict)" }, at: location)
                : .warning(code, message, hint: hint, at: location))
    }
}

extension Validator {
    /// The run's second pass, in file order, after ``check(_:)`` (on a worker or here): what the
    /// document's own checks found (`checked`), with the run-wide check on references added.
    /// Empty for a document that passes; errors among them reject it, warnings alone do not.
    /// `distinctInFile`: as for ``registerReference(of:distinctInFile:)``.
    public func finish(_ document: Document, checked: [Diagnostic], distinctInFile: Bool = false) -> [Diagnostic] {
        var diagnostics = checked
        if let duplicate = registerReference(of: document, distinctInFile: distinctInFile) {
            diagnostics.append(duplicate)
        }
        return diagnostics
    }
}
