/// Purchase vouchers: create at `/v1.2`, update at `/v1.1`, get, delete and book at `/v1`.
extension DineroStore {
    static let regionKeys = ["DK", "EU", "World"]

    private struct PurchaseDraft {
        var date: Day?
        var type: PurchaseType?
        var deposit: Int?
        var region: String?
        var contact: String?
        var paymentDate: Day?
        var currency = "DKK"
        var fileGuid: String?
        var externalReference: String?
        var lines: [PurchaseLine] = []
    }

    private func readPurchase(
        _ body: JSON, organization: Organization, isUpdate: Bool, binder: inout Binder
    )
        -> PurchaseDraft
    {
        var draft = PurchaseDraft()
        switch binder.string(body, "PurchaseType", at: "PurchaseType", required: true)?.lowercased() {
        case "cash": draft.type = .cash
        case "credit": draft.type = .credit
        case nil: break
        case let other?: binder.fail("PurchaseType", "PurchaseType must be cash or credit, not '\(other)'")
        }
        draft.date = binder.day(body, "VoucherDate", at: "VoucherDate", required: isUpdate)
        draft.deposit = binder.int(body, "DepositAccountNumber", at: "DepositAccountNumber")
        if draft.deposit == 0 { draft.deposit = nil }  // Dinero reads 0 as "not set"
        draft.region = binder.string(body, "RegionKey", at: "RegionKey")
        draft.contact = binder.string(body, "ContactGuid", at: "ContactGuid", required: isUpdate)?.lowercased()
        draft.paymentDate = binder.day(body, "PaymentDate", at: "PaymentDate")
        draft.currency = binder.string(body, "CurrencyKey", at: "CurrencyKey")?.uppercased() ?? "DKK"
        draft.fileGuid = binder.string(body, "FileGuid", at: "FileGuid")?.lowercased()
        draft.externalReference = binder.string(body, "ExternalReference", at: "ExternalReference", maxLength: 128)
        if let problem = fileProblem(draft.fileGuid, organization: organization.id) { binder.fail("FileGuid", problem) }
        if let region = draft.region, !Self.regionKeys.contains(region) {
            binder.fail("RegionKey", "RegionKey must be DK, EU or World, not '\(region)'")
        }
        if draft.type == .cash {
            if draft.paymentDate != nil {
                binder.fail("PaymentDate", "PaymentDate should not be set on cash purchases")
            }
            if draft.currency != "DKK" {
                binder.fail("CurrencyKey", "A purchase in a foreign currency must be a credit purchase")
            }
        }
        if let deposit = draft.deposit {
            if let account = organization.accounts.first(where: { $0.number == deposit }) {
                if !account.isDeposit {
                    binder.fail("DepositAccountNumber", "The account \(deposit) is not a deposit account")
                }
            } else {
                binder.fail("DepositAccountNumber", "The account \(deposit) does not exist")
            }
        }
        if let contact = draft.contact, contacts[contact]?.organization != organization.id {
            binder.fail("ContactGuid", "The contact \(contact) does not exist")
        }
        guard let lines = body["Lines"]?.arrayValue, !lines.isEmpty else {
            binder.fail("Lines", "A purchase voucher needs at least one line")
            return draft
        }
        for (index, line) in lines.enumerated() {
            let at = "Lines[\(index)]"
            let accountNumber = binder.int(line, "AccountNumber", at: "\(at).AccountNumber", required: true)
            let amount = binder.amount(line, "Amount", at: "\(at).Amount", required: true)
            let vatCode = binder.string(line, "VatCode", at: "\(at).VatCode")
            if let problem = vatCodeProblem(vatCode, in: organization) { binder.fail("\(at).VatCode", problem) }
            if let accountNumber {
                if let account = organization.accounts.first(where: { $0.number == accountNumber }) {
                    if account.kind.isBalanceSheet {
                        binder.fail(
                            "\(at).AccountNumber",
                            "The account \(accountNumber) is a balance sheet account and cannot be used on a purchase voucher. Use a manual voucher instead."
                        )
                    }
                } else {
                    binder.fail("\(at).AccountNumber", "The account \(accountNumber) does not exist")
                }
            }
            let effective = effectiveVatCode(vatCode, account: accountNumber ?? 0, in: organization)
            if vatType(effective, in: organization)?.direction == .sales {
                binder.fail(
                    "\(at).VatCode", "The VAT code \(effective ?? "") is a sales code and cannot be used on a purchase")
            }
            guard let accountNumber, let amount else { continue }
            draft.lines.append(
                PurchaseLine(
                    description: binder.string(line, "Description", at: "\(at).Description"),
                    accountNumber: accountNumber, amount: amount,
                    vatCode: vatCode ?? organization.accounts.first { $0.number == accountNumber }?.vatCode))
        }
        return draft
    }

    func createPurchaseVoucher(organization id: Int, body: JSON) throws(DineroError) -> JSON {
        let organization = try organization(id)
        var binder = Binder()
        let draft = readPurchase(body, organization: organization, isUpdate: false, binder: &binder)
        try binder.check()
        let voucher = PurchaseVoucher(
            organization: id, guid: newGuid(), timestamp: nextTimestamp(), status: .draft, voucherNumber: nil,
            voucherDate: draft.date ?? Day(now), purchaseType: draft.type!, depositAccountNumber: draft.deposit,
            regionKey: draft.region, contactGuid: draft.contact, paymentDate: draft.paymentDate,
            currencyKey: draft.currency, fileGuid: draft.fileGuid, externalReference: draft.externalReference,
            lines: draft.lines)
        purchaseVouchers[voucher.guid] = voucher
        remember("purchase", voucher.guid, voucher)
        link(fileGuid: voucher.fileGuid, to: voucher.guid, organization: id)
        return .object(["Guid": .string(voucher.guid), "Timestamp": .string(voucher.timestamp)])
    }

    func purchaseVoucher(organization id: Int, guid: String) throws(DineroError) -> PurchaseVoucher {
        guard let voucher = purchaseVouchers[guid.lowercased()], voucher.organization == id else {
            throw DineroError.notFound("Purchase voucher \(guid)")
        }
        return voucher
    }

    func readPurchaseVoucher(organization id: Int, guid: String) throws(DineroError) -> JSON {
        purchaseReadModel(try purchaseVoucher(organization: id, guid: guid), organization: try organization(id))
    }

    func updatePurchaseVoucher(organization id: Int, guid: String, body: JSON) throws(DineroError) -> JSON {
        var voucher = try purchaseVoucher(organization: id, guid: guid)
        try checkChangeable(status: voucher.status, timestamp: voucher.timestamp, body: body)
        let organization = try organization(id)
        var binder = Binder()
        let draft = readPurchase(body, organization: organization, isUpdate: true, binder: &binder)
        try binder.check()
        voucher.voucherDate = draft.date!
        voucher.purchaseType = draft.type!
        voucher.depositAccountNumber = draft.deposit
        voucher.regionKey = draft.region
        voucher.contactGuid = draft.contact
        voucher.paymentDate = draft.paymentDate
        voucher.currencyKey = draft.currency
        voucher.fileGuid = draft.fileGuid
        voucher.externalReference = draft.externalReference
        voucher.lines = draft.lines
        voucher.timestamp = nextTimestamp()
        purchaseVouchers[voucher.guid] = voucher
        remember("purchase", voucher.guid, voucher)
        link(fileGuid: voucher.fileGuid, to: voucher.guid, organization: id)
        return .object(["Guid": .string(voucher.guid), "Timestamp": .string(voucher.timestamp)])
    }

    func deletePurchaseVoucher(organization id: Int, guid: String, body: JSON) throws(DineroError) {
        let voucher = try purchaseVoucher(organization: id, guid: guid)
        try checkChangeable(status: voucher.status, timestamp: voucher.timestamp, body: body)
        purchaseVouchers[voucher.guid] = nil
        forget("purchase", voucher.guid)
    }

    func bookPurchaseVoucher(organization id: Int, guid: String, body: JSON) throws(DineroError) -> JSON {
        var voucher = try purchaseVoucher(organization: id, guid: guid)
        try checkChangeable(status: voucher.status, timestamp: voucher.timestamp, body: body)
        let organization = try organization(id)
        var binder = Binder()
        let requested = binder.int(body, "Number", at: "Number")
        if let problem = periodProblem(voucher.voucherDate, in: organization) { binder.fail("VoucherDate", problem) }
        let counterAccount: Int
        switch voucher.purchaseType {
        case .cash:
            if voucher.depositAccountNumber == nil {
                binder.fail("DepositAccountNumber", "A cash purchase needs the deposit account it was paid from")
            }
            counterAccount = voucher.depositAccountNumber ?? 0
        case .credit:
            if voucher.contactGuid == nil { binder.fail("ContactGuid", "A credit purchase needs a ContactGuid") }
            if voucher.paymentDate == nil { binder.fail("PaymentDate", "A credit purchase needs a PaymentDate") }
            counterAccount = Seed.creditorsAccount
        }
        let region = voucher.regionKey ?? "DK"
        for (index, line) in voucher.lines.enumerated() {
            let code = effectiveVatCode(line.vatCode, account: line.accountNumber, in: organization)
            if let type = vatType(code, in: organization), let codeRegion = type.region, codeRegion != region {
                binder.fail(
                    "Lines[\(index)].VatCode",
                    "VAT code doesn't match the country: \(type.code) is for \(codeRegion), the voucher's RegionKey is \(region)"
                )
            }
        }
        try binder.check(message: "The voucher cannot be booked")
        var postings: [Posting] = []
        var total: Int64 = 0
        for line in voucher.lines {
            postings += self.postings(
                account: line.accountNumber, amount: line.amount, vatCode: line.vatCode, description: line.description,
                in: organization)
            total += line.amount
        }
        postings.append(
            Posting(
                account: counterAccount, amount: -total, vatCode: nil, description: voucher.lines.first?.description))
        let number = try assignVoucherNumber(requested, organization: id)
        voucher.status = .booked
        voucher.voucherNumber = number
        voucher.timestamp = nextTimestamp()
        purchaseVouchers[voucher.guid] = voucher
        remember("purchase", voucher.guid, voucher)
        writeEntries(
            postings, organization: organization, date: voucher.voucherDate, voucherNumber: number,
            voucherType: "Purchase", source: voucher.guid)
        return purchaseReadModel(voucher, organization: organization)
    }

    func purchaseReadModel(_ voucher: PurchaseVoucher, organization: Organization) -> JSON {
        var incl: Int64 = 0
        var excl: Int64 = 0
        let lines: [JSON] = voucher.lines.map { line in
            let code = effectiveVatCode(line.vatCode, account: line.accountNumber, in: organization)
            let parts = split(line.amount, vat: vatType(code, in: organization))
            incl += parts.gross
            excl += parts.net
            return .object([
                "Description": .string(line.description), "VatCode": .string(line.vatCode),
                "AccountNumber": .int(line.accountNumber), "AmountExclVatValue": .amount(parts.net),
                "AmountInclVatValue": .amount(parts.gross), "VatAmountValue": .amount(parts.vat),
            ])
        }
        return .object([
            "Guid": .string(voucher.guid), "Timestamp": .string(voucher.timestamp),
            "Status": .string(voucher.status.rawValue), "FileGuid": .string(voucher.fileGuid),
            "VoucherNumber": .int(voucher.voucherNumber), "VoucherDate": .day(voucher.voucherDate),
            "PaymentDate": .day(voucher.paymentDate), "RegionKey": .string(voucher.regionKey),
            "PurchaseType": .string(voucher.purchaseType.rawValue),
            "DepositAccountNumber": .int(voucher.depositAccountNumber), "ContactGuid": .string(voucher.contactGuid),
            "CurrencyKey": .string(voucher.currencyKey), "ExternalReference": .string(voucher.externalReference),
            "Lines": .array(lines),
            "VoucherTotals": .array([
                .object([
                    "Type": "Total", "AmountInclVat": .amount(incl), "AmountExclVat": .amount(excl),
                    "VatAmount": .amount(incl - excl),
                ])
            ]),
        ])
    }
}
