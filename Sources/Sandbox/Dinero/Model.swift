import Foundation

// The sandbox's own records of an organization's books. These are not the client's wire
// models (those live in `Targets`), so each side checks the other.

struct Organization: Codable, Sendable {
    var id: Int
    var name: String
    var isPro: Bool
    var isVatFree: Bool = false
    var email: String
    var vatNumber: String
    /// The API key a personal integration exchanges for a token.
    var apiKey: String
    /// Bookings dated on or before this day are refused ("the period is closed").
    var lockedThrough: Day?
    var accounts: [Account]
    var vatTypes: [VatType]
    var accountingYears: [AccountingYear]
}

enum AccountKind: String, Codable, Sendable {
    case income, expense, asset, liability, equity

    var isBalanceSheet: Bool { self == .asset || self == .liability || self == .equity }
}

struct Account: Codable, Sendable {
    var number: Int
    var name: String
    var kind: AccountKind
    /// The account's default VAT code, applied when a line leaves its code out.
    var vatCode: String?
    var isHidden: Bool = false
    var isDeposit: Bool = false
    var isDefaultDeposit: Bool = false

    var category: String {
        switch kind {
        case .income: "Income"
        case .expense: "Expense"
        case .asset: "Asset"
        case .liability: "Liability"
        case .equity: "Equity"
        }
    }
}

enum VatDirection: String, Codable, Sendable { case sales, purchase }

struct VatType: Codable, Sendable {
    var code: String
    var name: String
    /// The rate listed by `vatTypes`, in basis points of the net amount (2500 = 25 %).
    var rateBasisPoints: Int
    /// For partly deductible codes (REP, HREP): the full rate that the gross amount contains.
    var grossRateBasisPoints: Int
    /// nil for `none`, which suits either side.
    var direction: VatDirection?
    /// `DK`, `EU` or `World`: the purchase-voucher RegionKey the code belongs to; nil for `none`.
    var region: String?
    /// Reverse charge: the buyer accounts for VAT at this rate on both sides (zero net effect).
    var reverseChargeBasisPoints: Int = 0
}

struct AccountingYear: Codable, Sendable {
    var name: String
    var from: Day
    var to: Day
}

enum VoucherStatus: String, Codable, Sendable { case draft = "Draft", booked = "Booked" }

struct ManualLine: Codable, Sendable {
    var description: String?
    var accountNumber: Int
    var balancingAccountNumber: Int?
    /// Øre; positive debits `accountNumber` and credits `balancingAccountNumber`.
    var amount: Int64
    var accountVatCode: String?
    var balancingAccountVatCode: String?
}

struct ManualVoucher: Codable, Sendable {
    var organization: Int
    var guid: String
    var timestamp: String
    var status: VoucherStatus
    var voucherNumber: Int?
    var voucherDate: Day
    var fileGuid: String?
    var externalReference: String?
    var lines: [ManualLine]
}

enum PurchaseType: String, Codable, Sendable { case cash, credit }

struct PurchaseLine: Codable, Sendable {
    var description: String?
    var accountNumber: Int
    /// Øre, VAT included.
    var amount: Int64
    var vatCode: String?
}

struct PurchaseVoucher: Codable, Sendable {
    var organization: Int
    var guid: String
    var timestamp: String
    var status: VoucherStatus
    var voucherNumber: Int?
    var voucherDate: Day
    var purchaseType: PurchaseType
    var depositAccountNumber: Int?
    var regionKey: String?
    var contactGuid: String?
    var paymentDate: Day?
    var currencyKey: String
    var fileGuid: String?
    var externalReference: String?
    var lines: [PurchaseLine]
}

enum LedgerStatus: String, Codable, Sendable {
    case draft = "Draft", pendingBooking = "PendingBooking", booked = "Booked"
}

struct LedgerLine: Codable, Sendable {
    var id: String
    var description: String?
    var amount: Int64
    var accountNumber: Int?
    var accountVatCode: String?
    var balancingAccountNumber: Int?
    var balancingAccountVatCode: String?
}

struct LedgerItem: Codable, Sendable {
    var organization: Int
    var id: String
    var version: String
    var status: LedgerStatus
    /// The number asked for at create; booking uses it, or the next free one.
    var requestedVoucherNumber: Int?
    var voucherNumber: Int?
    var voucherDate: Day
    var fileGuid: String?
    var lines: [LedgerLine]
    /// Status reads left before a pending booking completes.
    var pendingReadsLeft: Int = 0
    /// When a pending booking completes by itself.
    var completesAt: Date?
}

struct StoredFile: Codable, Sendable {
    var organization: Int
    var guid: String
    var name: String
    var size: Int
    var contentType: String?
    var sha256: String
    var uploadedAt: Date
    /// The document the file is attached to, if any.
    var linkedTo: String?
}

struct Entry: Codable, Sendable {
    var organization: Int
    var guid: String
    var accountNumber: Int
    var accountName: String
    var date: Day
    var voucherNumber: Int
    var voucherType: String
    /// The document the entry came from (voucher guid or ledger item id).
    var source: String
    var description: String?
    var vatType: String?
    var vatCode: String?
    /// Øre; positive is a debit.
    var amount: Int64
    var addedAt: Date
    /// Insertion order, so listings are stable.
    var sequence: Int
}

struct Contact: Codable, Sendable {
    var organization: Int
    var guid: String
    var name: String
    var countryKey: String
    var isPerson: Bool
    var externalReference: String?
    var vatNumber: String?
    var email: String?
    var createdAt: Date
    var updatedAt: Date
}

struct InvoiceLine: Codable, Sendable {
    var description: String?
    var accountNumber: Int
    var quantity: Int64
    /// Øre per unit, excluding VAT.
    var baseAmount: Int64
}

struct Invoice: Codable, Sendable {
    var organization: Int
    var guid: String
    var timeStamp: String
    var contactGuid: String
    var contactName: String
    var date: Day
    var description: String?
    var externalReference: String?
    var currency: String
    var lines: [InvoiceLine]
    var createdAt: Date
    var updatedAt: Date

    var totalExclVat: Int64 { lines.reduce(0) { $0 + $1.baseAmount * $1.quantity / 100 } }
}

// MARK: - Sign-in

enum TokenKind: String, Codable, Sendable { case personal, connect }

struct AccessToken: Codable, Sendable {
    var token: String
    var kind: TokenKind
    var clientID: String
    /// A personal token is bound to one organization.
    var organization: Int?
    /// A Visma Connect token belongs to a user, who may reach several organizations.
    var user: String?
    var grant: String?
    var scopes: [String]
    var expiresAt: Date
}

struct AuthorizationCode: Codable, Sendable {
    var code: String
    var clientID: String
    var redirectURI: String
    var user: String
    var scopes: [String]
    var codeChallenge: String?
    var expiresAt: Date
    var used: Bool = false
    var grant: String?
}

/// One sign-in: the chain of refresh tokens that rotation produces.
struct Grant: Codable, Sendable {
    var id: String
    var clientID: String
    var user: String
    var scopes: [String]
    /// The refresh token that may be used next; every earlier one is spent.
    var currentRefreshToken: String?
    var spentRefreshTokens: [String]
    var revoked: Bool = false
    var refreshExpiresAt: Date
}

struct APIClient: Codable, Sendable {
    var id: String
    var secret: String
    var kind: TokenKind
    /// Exact redirect URIs; loopback URIs match on any port (RFC 8252 §7.3).
    var redirectURIs: [String]
}

struct SandboxUser: Codable, Sendable {
    var id: String
    var email: String
    var organizations: [Int]
}
