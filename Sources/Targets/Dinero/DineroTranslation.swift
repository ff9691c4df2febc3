import Crypto
import Foundation
import LedgerModel

/// Neutral documents in Dinero's words.
public enum DineroTranslation {
    /// The ledger item id for a document: a GUID derived from its external reference, so the
    /// same document always gets the same id and Dinero refuses a second copy (409, code 72).
    public static func ledgerItemID(reference: String) -> String {
        nameBasedID("ledgerlift:ledgeritem:\(reference)")
    }

    /// A contact's `ContactGuid`, from its creation key and the organization: the same supplier
    /// gets the same id in every run, and Dinero refuses a second create with it.
    public static func contactID(organization: Int, key: String) -> String {
        nameBasedID("ledgerlift:contact:\(organization):\(key)")
    }

    /// A GUID derived from a name (SHA-256 in the version 5 layout).
    static func nameBasedID(_ name: String) -> String {
        var bytes = Array(SHA256.hash(data: Data(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5 layout: name-based
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [
            hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4),
            hex.dropFirst(20),
        ]
        return parts.joined(separator: "-")
    }

    static func amount(_ money: Money) -> Decimal {
        var value = Decimal(money.minorUnits)
        for _ in 0..<money.currency.minorDigits { value /= 10 }
        return value
    }

    static func account(_ number: AccountNumber?, _ what: String) throws(TargetError) -> Int {
        guard let number else { throw refuse("\(what) is missing") }
        guard let value = Int(number.rawValue) else {
            throw refuse("Dinero account numbers are whole numbers, not '\(number.rawValue)' (\(what))")
        }
        return value
    }

    static func optionalAccount(_ number: AccountNumber?, _ what: String) throws(TargetError) -> Int? {
        guard let number else { return nil }
        return try account(number, what)
    }

    /// A VAT code to send. A missing code is never sent as missing, since Dinero would apply the
    /// account's default: on the account side it is refused, on the balancing side it is "none".
    static func vat(_ spec: VatSpec?, balancingSide: Bool) throws(TargetError) -> String? {
        switch spec {
        case .code(let code)?: return code
        case .none?: return "none"
        case .zoneCategory(let zone, let category, _)?:
            throw refuse("the VAT zone/category \(zone)/\(category) was not resolved to a code; validate first")
        case nil:
            if balancingSide { return "none" }
            throw refuse("the line has no VAT code; say \"none\" for no VAT")
        }
    }

    /// The document's wire body, as it will be sent; a receipt's `FileGuid`, known only once it
    /// is uploaded, is added then (``withFileGuid(_:_:)``).
    static func wire(_ document: Document) throws(TargetError) -> Data {
        do {
            switch document.kind {
            case .ledgerItem: return try DineroClient.encoder.encode(try ledgerItem(document))
            case .manualVoucher: return try DineroClient.encoder.encode(try manualVoucher(document))
            case .purchaseVoucher: return try DineroClient.encoder.encode(try purchaseVoucher(document))
            }
        } catch let error as TargetError {
            throw error
        } catch {
            throw .protocolError("cannot encode the document: \(error)")
        }
    }

    /// A wire body with the receipt's `FileGuid` added: the bodies have no such member of their
    /// own, so it goes first. A guid is hex digits and dashes.
    static func withFileGuid(_ wire: Data, _ guid: String?) -> Data {
        guard let guid, wire.first == UInt8(ascii: "{") else { return wire }
        var body = Data("{\"FileGuid\":\"\(guid)\",".utf8)
        body.append(wire.dropFirst())
        return body
    }

    static func refuse(_ message: String) -> TargetError { .rejected(code: nil, message: message, fields: [:]) }

    static func ledgerItem(_ document: Document) throws(TargetError) -> LedgerItemBody {
        var lines: [LedgerLineBody] = []
        for line in document.lines {
            lines.append(
                LedgerLineBody(
                    description: line.description, amount: amount(line.amount),
                    accountNumber: try optionalAccount(line.account, "account"),
                    accountVatCode: line.account == nil ? nil : try vat(line.vat, balancingSide: false),
                    balancingAccountNumber: try optionalAccount(line.balancingAccount, "balancing account"),
                    balancingAccountVatCode: line.balancingAccount == nil
                        ? nil : try vat(line.balancingVat, balancingSide: true)))
        }
        return LedgerItemBody(
            id: ledgerItemID(reference: document.reference), voucherNumber: document.voucherNumber,
            voucherDate: document.date.description, lines: lines)
    }

    static func manualVoucher(_ document: Document) throws(TargetError) -> ManualVoucherBody {
        var lines: [ManualLineBody] = []
        for line in document.lines {
            lines.append(
                ManualLineBody(
                    description: line.description, accountNumber: try account(line.account, "account"),
                    balancingAccountNumber: try optionalAccount(line.balancingAccount, "balancing account"),
                    amount: amount(line.amount), accountVatCode: try vat(line.vat, balancingSide: false),
                    balancingAccountVatCode: line.balancingAccount == nil
                        ? nil : try vat(line.balancingVat, balancingSide: true)))
        }
        return ManualVoucherBody(
            voucherDate: document.date.description, externalReference: externalReference(document),
            lines: lines)
    }

    static func purchaseVoucher(_ document: Document) throws(TargetError) -> PurchaseVoucherBody {
        guard let terms = document.purchase else { throw refuse("a purchase voucher needs its payment terms") }
        var lines: [PurchaseLineBody] = []
        for line in document.lines {
            guard let code = try vat(line.vat, balancingSide: false) else { throw refuse("no VAT code") }
            lines.append(
                PurchaseLineBody(
                    description: line.description, accountNumber: try account(line.account, "account"),
                    amount: amount(line.amount), vatCode: code))
        }
        var contactGuid: String?
        if let contact = terms.contact {
            guard let id = contact.id, UUID(uuidString: id) != nil else {
                throw refuse(
                    "the supplier \(contact.label) is not one of the organization's contacts (Dinero needs its ContactGuid); validation finds it by name, VAT number or external reference"
                )
            }
            contactGuid = id
        }
        return PurchaseVoucherBody(
            purchaseType: terms.payment.rawValue, voucherDate: document.date.description,
            depositAccountNumber: try optionalAccount(terms.depositAccount, "deposit account"),
            regionKey: terms.region?.rawValue, contactGuid: contactGuid, paymentDate: terms.paymentDate?.description,
            currencyKey: document.currency == .dkk ? nil : document.currency.code,
            externalReference: externalReference(document), lines: lines)
    }

    /// `ExternalReference` holds at most 128 characters; ledgerlift's references are shorter,
    /// but a mapping's own may not be, so a long one is cut and marked with its digest.
    static func externalReference(_ document: Document) -> String {
        let reference = document.reference
        guard reference.count > 128 else { return reference }
        let digest = SHA256.hash(data: Data(reference.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        return String(reference.prefix(111)) + "~" + digest
    }
}
