/// What an organization's books look like: its chart of accounts, deposit accounts, accounting
/// years, VAT codes and contacts. Validation checks documents against it; it comes from a snapshot file
/// (`--reference`, read by Validation) or from the target itself (`Target.referenceData()`).
public struct ReferenceData: Sendable, Hashable {
    public enum AccountKind: String, Sendable, Codable, CaseIterable {
        case sales, expense, asset, liability, equity

        /// Assets, liabilities and equity: the balance sheet, not the profit and loss.
        public var isBalanceSheet: Bool { self == .asset || self == .liability || self == .equity }
    }

    public struct Account: Sendable, Hashable, Codable {
        public var number: AccountNumber
        public var name: String
        public var kind: AccountKind?
        /// The account's default VAT code (what Dinero applies when a line has none).
        public var vat: String?
        public var hidden: Bool?

        public init(
            number: AccountNumber, name: String, kind: AccountKind? = nil, vat: String? = nil, hidden: Bool? = nil
        ) {
            self.number = number
            self.name = name
            self.kind = kind
            self.vat = vat
            self.hidden = hidden
        }
    }

    public struct AccountingYear: Sendable, Hashable, Codable {
        public var name: String
        public var from: LocalDate
        public var to: LocalDate
        public var closed: Bool?

        public init(name: String, from: LocalDate, to: LocalDate, closed: Bool? = nil) {
            self.name = name
            self.from = from
            self.to = to
            self.closed = closed
        }
    }

    public var organization: String?
    public var accounts: [AccountNumber: Account]
    public var depositAccounts: [AccountNumber: Account]
    /// Sorted by start date.
    public var years: [AccountingYear]
    /// The VAT codes the organization has, when known (Dinero's `vatTypes`), upper-cased.
    public var vatCodes: Set<String>?
    /// The organization's contacts, when known: suppliers named by documents are matched
    /// against them. Nil: not read, so not checked.
    public var contacts: [Contact]?
    /// A VAT model file named by the snapshot, resolved against the snapshot's folder.
    public var vatModelPath: String?
    public var path: String?

    public init(
        organization: String? = nil, accounts: [Account], depositAccounts: [Account] = [],
        years: [AccountingYear] = [], vatCodes: [String]? = nil, contacts: [Contact]? = nil
    ) {
        self.organization = organization
        self.accounts = Dictionary(accounts.map { ($0.number, $0) }, uniquingKeysWith: { first, _ in first })
        self.depositAccounts = Dictionary(
            depositAccounts.map { ($0.number, $0) }, uniquingKeysWith: { first, _ in first })
        self.years = years.sorted { $0.from < $1.from }
        self.vatCodes = vatCodes.map { Set($0.map { $0.uppercased() }) }
        self.contacts = contacts
    }

    /// Any account of the organization's, deposit accounts included.
    public func account(_ number: AccountNumber) -> Account? { accounts[number] ?? depositAccounts[number] }

    /// The accounting year a date falls in.
    public func year(of date: LocalDate) -> AccountingYear? { years.first { $0.from <= date && date <= $0.to } }
}
