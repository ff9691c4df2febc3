/// An organization's chart and accounting years to seed the sandbox with (`sandbox --reference`),
/// so a user can try their own chart: plain values, read by the caller from a reference file.
public struct SandboxChart: Sendable {
    public struct Account: Sendable {
        public var number: Int
        public var name: String
        /// `sales`, `expense`, `asset`, `liability` or `equity`; nil: an asset when it is a
        /// deposit account, else an expense.
        public var kind: String?
        public var vatCode: String?
        public var hidden: Bool
        public var deposit: Bool

        public init(
            number: Int, name: String, kind: String?, vatCode: String?, hidden: Bool = false, deposit: Bool = false
        ) {
            self.number = number
            self.name = name
            self.kind = kind
            self.vatCode = vatCode
            self.hidden = hidden
            self.deposit = deposit
        }
    }

    public struct Year: Sendable {
        public var name: String
        public var from: (year: Int, month: Int, day: Int)
        public var to: (year: Int, month: Int, day: Int)
        /// Bookings in a closed year are refused, as Dinero refuses them once the books are locked.
        public var closed: Bool

        public init(
            name: String, from: (year: Int, month: Int, day: Int), to: (year: Int, month: Int, day: Int),
            closed: Bool
        ) {
            self.name = name
            self.from = from
            self.to = to
            self.closed = closed
        }
    }

    /// A contact of the organization's (a supplier or customer).
    public struct Contact: Sendable {
        /// Its `ContactGuid`, when the reference file gives one; else the sandbox makes one.
        public var id: String?
        public var name: String
        public var vatNumber: String?
        public var externalReference: String?
        public var country: String?

        public init(
            id: String?, name: String, vatNumber: String? = nil, externalReference: String? = nil,
            country: String? = nil
        ) {
            self.id = id
            self.name = name
            self.vatNumber = vatNumber
            self.externalReference = externalReference
            self.country = country
        }
    }

    public var accounts: [Account]
    public var years: [Year]
    public var contacts: [Contact]

    public init(accounts: [Account], years: [Year], contacts: [Contact] = []) {
        self.accounts = accounts
        self.years = years
        self.contacts = contacts
    }

    /// The organization with this chart, these years, and its books locked through the last
    /// closed year's end. The accounts VAT posts to are kept, so booking still balances.
    func applied(to organization: Organization) -> Organization {
        var seeded = organization
        let own = Set(accounts.map(\.number))
        let vatAccounts = [
            Seed.inputVatAccount, Seed.outputVatAccount, Seed.foreignGoodsVatAccount, Seed.foreignServicesVatAccount,
        ]
        let kept = organization.accounts.filter { vatAccounts.contains($0.number) && !own.contains($0.number) }
        var firstDeposit = true
        seeded.accounts =
            accounts.map { account in
                let kind: AccountKind =
                    switch account.kind?.lowercased() {
                    case "sales"?, "income"?: .income
                    case "expense"?: .expense
                    case "asset"?: .asset
                    case "liability"?: .liability
                    case "equity"?: .equity
                    default: account.deposit ? .asset : .expense
                    }
                defer { if account.deposit { firstDeposit = false } }
                return Sandbox.Account(
                    number: account.number, name: account.name, kind: kind, vatCode: account.vatCode,
                    isHidden: account.hidden, isDeposit: account.deposit,
                    isDefaultDeposit: account.deposit && firstDeposit)
            } + kept
        seeded.accountingYears = years.map {
            AccountingYear(
                name: $0.name, from: Day(year: $0.from.year, month: $0.from.month, day: $0.from.day),
                to: Day(year: $0.to.year, month: $0.to.month, day: $0.to.day))
        }
        seeded.lockedThrough = years.filter(\.closed).map { Day(year: $0.to.year, month: $0.to.month, day: $0.to.day) }
            .max()
        return seeded
    }
}
