import Foundation

// The client's own wire models for Dinero (never shared with the sandbox). Requests are
// PascalCase, as the swagger names them; answers are read with keys in any case, because
// Dinero echoes the casing a client asks for in `fields`.

struct ManualVoucherBody: Encodable, Sendable {
    var voucherDate: String
    var externalReference: String?
    var lines: [ManualLineBody]

    enum CodingKeys: String, CodingKey {
        case voucherDate = "VoucherDate", externalReference = "ExternalReference"
        case lines = "Lines"
    }
}

struct ManualLineBody: Encodable, Sendable {
    var description: String
    var accountNumber: Int
    var balancingAccountNumber: Int?
    var amount: Decimal
    var accountVatCode: String?
    var balancingAccountVatCode: String?

    enum CodingKeys: String, CodingKey {
        case description = "Description", accountNumber = "AccountNumber"
        case balancingAccountNumber = "BalancingAccountNumber", amount = "Amount"
        case accountVatCode = "AccountVatCode", balancingAccountVatCode = "BalancingAccountVatCode"
    }
}

struct PurchaseVoucherBody: Encodable, Sendable {
    var purchaseType: String
    var voucherDate: String
    var depositAccountNumber: Int?
    var regionKey: String?
    var contactGuid: String?
    var paymentDate: String?
    var currencyKey: String?
    var externalReference: String?
    var lines: [PurchaseLineBody]

    enum CodingKeys: String, CodingKey {
        case purchaseType = "PurchaseType", voucherDate = "VoucherDate", depositAccountNumber = "DepositAccountNumber"
        case regionKey = "RegionKey", contactGuid = "ContactGuid", paymentDate = "PaymentDate"
        case currencyKey = "CurrencyKey", externalReference = "ExternalReference"
        case lines = "Lines"
    }
}

struct PurchaseLineBody: Encodable, Sendable {
    var description: String
    var accountNumber: Int
    /// VAT included.
    var amount: Decimal
    var vatCode: String

    enum CodingKeys: String, CodingKey {
        case description = "Description", accountNumber = "AccountNumber", amount = "Amount", vatCode = "VatCode"
    }
}

struct LedgerItemBody: Encodable, Sendable {
    var id: String
    var voucherNumber: Int?
    var voucherDate: String
    var lines: [LedgerLineBody]

    enum CodingKeys: String, CodingKey {
        case id = "Id", voucherNumber = "VoucherNumber", voucherDate = "VoucherDate"
        case lines = "Lines"
    }
}

struct LedgerLineBody: Encodable, Sendable {
    var description: String
    var amount: Decimal
    var accountNumber: Int?
    var accountVatCode: String?
    var balancingAccountNumber: Int?
    var balancingAccountVatCode: String?

    enum CodingKeys: String, CodingKey {
        case description = "Description", amount = "Amount", accountNumber = "AccountNumber"
        case accountVatCode = "AccountVatCode", balancingAccountNumber = "BalancingAccountNumber"
        case balancingAccountVatCode = "BalancingAccountVatCode"
    }
}

struct IDVersion: Encodable, Sendable {
    var id: String
    var version: String?

    enum CodingKeys: String, CodingKey { case id = "Id", version = "Version" }
}

struct TimestampBody: Encodable, Sendable {
    var timestamp: String
    var number: Int?

    enum CodingKeys: String, CodingKey { case timestamp = "Timestamp", number = "Number" }
}

/// A JSON answer read with keys in any case.
struct WireValue: @unchecked Sendable {
    let raw: Any?

    init(_ raw: Any?) { self.raw = raw }

    static func parse(_ data: Data) -> WireValue? {
        guard let raw = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        return WireValue(raw)
    }

    subscript(key: String) -> WireValue {
        guard let object = raw as? [String: Any] else { return WireValue(nil) }
        if let exact = object[key] { return WireValue(exact) }
        let lowered = key.lowercased()
        return WireValue(object.first { $0.key.lowercased() == lowered }?.value)
    }

    var array: [WireValue] { (raw as? [Any])?.map(WireValue.init) ?? [] }
    var string: String? { raw as? String }
    var int: Int? { (raw as? NSNumber).map(\.intValue) ?? (raw as? String).flatMap { Int($0) } }
    var bool: Bool? { raw as? Bool }
    var isNull: Bool { raw == nil || raw is NSNull }

    var object: [String: WireValue] {
        guard let object = raw as? [String: Any] else { return [:] }
        return object.mapValues(WireValue.init)
    }
}
