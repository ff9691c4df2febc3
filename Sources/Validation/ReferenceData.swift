import Foundation
public import LedgerModel

/// What an organization's books look like: its chart of accounts, deposit accounts, accounting
/// years and VAT codes. Read from a snapshot file for offline runs; later filled from the
/// target and cached.
public struct ReferenceData: Sendable {
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
    /// A VAT model file named by the snapshot, resolved against the snapshot's folder.
    public var vatModelPath: String?
    public var path: String?

    public init(
        organization: String? = nil, accounts: [Account], depositAccounts: [Account] = [],
        years: [AccountingYear] = [], vatCodes: [String]? = nil
    ) {
        self.organization = organization
        self.accounts = Dictionary(accounts.map { ($0.number, $0) }, uniquingKeysWith: { first, _ in first })
        self.depositAccounts = Dictionary(
            depositAccounts.map { ($0.number, $0) }, uniquingKeysWith: { first, _ in first })
        self.years = years.sorted { $0.from < $1.from }
        self.vatCodes = vatCodes.map { Set($0.map { $0.uppercased() }) }
    }

    /// Any account of the organization's, deposit accounts included.
    public func account(_ number: AccountNumber) -> Account? { accounts[number] ?? depositAccounts[number] }

    /// The accounting year a date falls in.
    public func year(of date: LocalDate) -> AccountingYear? { years.first { $0.from <= date && date <= $0.to } }

    // MARK: Loading

    struct File: Decodable {
        var version: Int
        var organization: String?
        var vatModel: String?
        var accounts: [Account]
        var depositAccounts: [Account]?
        var accountingYears: [AccountingYear]?
        var vatCodes: [String]?

        enum CodingKeys: String, CodingKey {
            case version, organization, accounts
            case vatModel = "vat_model"
            case depositAccounts = "deposit_accounts"
            case accountingYears = "accounting_years"
            case vatCodes = "vat_codes"
        }
    }

    /// Reads a snapshot file (YAML or JSON).
    public static func load(path: String) throws(ValidationSetupError) -> ReferenceData {
        let file: File = try SetupFile.decode(path: path, what: "reference data")
        let location = SourceLocation(file: path)
        guard file.version == 1 else {
            throw ValidationSetupError(
                .error(
                    ValidationCode.setupFile, "unsupported reference data version \(file.version)",
                    hint: "write `version: 1`", at: location))
        }
        for year in file.accountingYears ?? [] where year.to < year.from {
            throw ValidationSetupError(
                .error(
                    ValidationCode.setupFile, "accounting year \(year.name) ends before it starts", at: location))
        }
        var data = ReferenceData(
            organization: file.organization, accounts: file.accounts, depositAccounts: file.depositAccounts ?? [],
            years: file.accountingYears ?? [], vatCodes: file.vatCodes)
        data.path = path
        if let model = file.vatModel {
            data.vatModelPath =
                model.hasPrefix("/")
                ? model : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(model).path
        }
        return data
    }
}
