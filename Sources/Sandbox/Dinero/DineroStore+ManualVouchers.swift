/// Manual vouchers: `/v1/{org}/vouchers/manuel` (sic).
extension DineroStore {
    private struct ManualDraft {
        var date: Day?
        var lines: [ManualLine]
        var fileGuid: String?
        var externalReference: String?
    }

    private func readManual(_ body: JSON, organization: Organization, binder: inout Binder) -> ManualDraft {
        var draft = ManualDraft(lines: [])
        draft.date = binder.day(body, "VoucherDate", at: "VoucherDate", required: true)
        draft.fileGuid = binder.string(body, "FileGuid", at: "FileGuid")?.lowercased()
        if let problem = fileProblem(draft.fileGuid, organization: organization.id) { binder.fail("FileGuid", problem) }
        draft.externalReference = binder.string(body, "ExternalReference", at: "ExternalReference", maxLength: 128)
        guard let lines = body["Lines"]?.arrayValue, !lines.isEmpty else {
            binder.fail("Lines", "A voucher needs at least one line")
            return draft
        }
        for (index, line) in lines.enumerated() {
            let at = "Lines[\(index)]"
            let account = binder.int(line, "AccountNumber", at: "\(at).AccountNumber", required: true)
            let balancing = binder.int(line, "BalancingAccountNumber", at: "\(at).BalancingAccountNumber")
            let amount = binder.amount(line, "Amount", at: "\(at).Amount", required: true)
            let accountVat = binder.string(line, "AccountVatCode", at: "\(at).AccountVatCode")
            let balancingVat = binder.string(line, "BalancingAccountVatCode", at: "\(at).BalancingAccountVatCode")
            for (field, problem) in [
                ("AccountNumber", accountProblem(account, in: organization)),
                ("BalancingAccountNumber", accountProblem(balancing, in: organization)),
                ("AccountVatCode", vatCodeProblem(accountVat, in: organization)),
                ("BalancingAccountVatCode", vatCodeProblem(balancingVat, in: organization)),
            ] {
                if let problem { binder.fail("\(at).\(field)", problem) }
            }
            guard let account, let amount else { continue }
            draft.lines.append(
                ManualLine(
                    description: binder.string(line, "Description", at: "\(at).Description"), accountNumber: account,
                    balancingAccountNumber: balancing, amount: amount,
                    accountVatCode: accountVat ?? organization.accounts.first { $0.number == account }?.vatCode,
                    balancingAccountVatCode: balancingVat
                        ?? balancing.flatMap { number in organization.accounts.first { $0.number == number }?.vatCode })
            )
        }
        return draft
    }

    func createManualVoucher(organization id: Int, body: JSON) throws(DineroError) -> JSON {
        let organization = try organization(id)
        var binder = Binder()
        let draft = readManual(body, organization: organization, binder: &binder)
        try binder.check()
        let voucher = ManualVoucher(
            organization: id, guid: newGuid(), timestamp: nextTimestamp(), status: .draft, voucherNumber: nil,
            voucherDate: draft.date!, fileGuid: draft.fileGuid, externalReference: draft.externalReference,
            lines: draft.lines)
        manualVouchers[voucher.guid] = voucher
        remember("manual", voucher.guid, voucher)
        link(fileGuid: voucher.fileGuid, to: voucher.guid, organization: id)
        return .object(["Guid": .string(voucher.guid), "Timestamp": .string(voucher.timestamp)])
    }

    func manualVoucher(organization id: Int, guid: String) throws(DineroError) -> ManualVoucher {
        guard let voucher = manualVouchers[guid.lowercased()], voucher.organization == id else {
            throw DineroError.notFound("Manual voucher \(guid)")
        }
        return voucher
    }

    func readManualVoucher(organization id: Int, guid: String) throws(DineroError) -> JSON {
        manualReadModel(try manualVoucher(organization: id, guid: guid), organization: try organization(id))
    }

    /// Checks the `Timestamp` a change must carry and that the voucher is still a draft.
    func checkChangeable(status: VoucherStatus, timestamp: String, body: JSON) throws(DineroError) {
        var binder = Binder()
        let sent = binder.string(body, "Timestamp", at: "Timestamp", required: true)
        try binder.check()
        guard sent == timestamp else { throw DineroError.staleTimestamp }
        guard status == .draft else {
            throw DineroError.validation(
                "Status", "The voucher is booked and cannot be changed; book a correcting voucher")
        }
    }

    func updateManualVoucher(organization id: Int, guid: String, body: JSON) throws(DineroError) -> JSON {
        var voucher = try manualVoucher(organization: id, guid: guid)
        try checkChangeable(status: voucher.status, timestamp: voucher.timestamp, body: body)
        let organization = try organization(id)
        var binder = Binder()
        let draft = readManual(body, organization: organization, binder: &binder)
        try binder.check()
        voucher.voucherDate = draft.date!
        voucher.lines = draft.lines
        voucher.fileGuid = draft.fileGuid
        voucher.externalReference = draft.externalReference
        voucher.timestamp = nextTimestamp()
        manualVouchers[voucher.guid] = voucher
        remember("manual", voucher.guid, voucher)
        link(fileGuid: voucher.fileGuid, to: voucher.guid, organization: id)
        return .object(["Guid": .string(voucher.guid), "Timestamp": .string(voucher.timestamp)])
    }

    func deleteManualVoucher(organization id: Int, guid: String, body: JSON) throws(DineroError) {
        let voucher = try manualVoucher(organization: id, guid: guid)
        try checkChangeable(status: voucher.status, timestamp: voucher.timestamp, body: body)
        manualVouchers[voucher.guid] = nil
        forget("manual", voucher.guid)
    }

    func bookManualVoucher(organization id: Int, guid: String, body: JSON) throws(DineroError) -> JSON {
        var voucher = try manualVoucher(organization: id, guid: guid)
        try checkChangeable(status: voucher.status, timestamp: voucher.timestamp, body: body)
        let organization = try organization(id)
        var binder = Binder()
        let requested = binder.int(body, "Number", at: "Number")
        if let problem = periodProblem(voucher.voucherDate, in: organization) { binder.fail("VoucherDate", problem) }
        let postings = voucher.lines.flatMap { line in
            linePostings(
                account: line.accountNumber, balancing: line.balancingAccountNumber, amount: line.amount,
                accountVat: line.accountVatCode, balancingVat: line.balancingAccountVatCode,
                description: line.description, in: organization)
        }
        let difference = postings.reduce(Int64(0)) { $0 + $1.amount }
        if difference != 0 {
            binder.fail(
                "Lines",
                "The voucher does not balance: debits and credits differ by \(JSON.amount(difference).serialized) kr")
        }
        try binder.check(message: "The voucher cannot be booked")
        let number = try assignVoucherNumber(requested, organization: id)
        voucher.status = .booked
        voucher.voucherNumber = number
        voucher.timestamp = nextTimestamp()
        manualVouchers[voucher.guid] = voucher
        remember("manual", voucher.guid, voucher)
        writeEntries(
            postings, organization: organization, date: voucher.voucherDate, voucherNumber: number,
            voucherType: "Manuel", source: voucher.guid)
        return manualReadModel(voucher, organization: organization)
    }

    func manualReadModel(_ voucher: ManualVoucher, organization: Organization) -> JSON {
        var totalIncl: Int64 = 0
        var totalExcl: Int64 = 0
        let lines: [JSON] = voucher.lines.map { line in
            let code = effectiveVatCode(line.accountVatCode, account: line.accountNumber, in: organization)
            let parts = split(line.amount, vat: vatType(code, in: organization))
            totalIncl += parts.gross
            totalExcl += parts.net
            return .object([
                "Description": .string(line.description), "AccountNumber": .int(line.accountNumber),
                "BalancingAccountNumber": .int(line.balancingAccountNumber),
                "AccountVatCode": .string(line.accountVatCode),
                "BalancingAccountVatCode": .string(line.balancingAccountVatCode),
                "AmountExclVatValue": .amount(parts.net), "AmountInclVatValue": .amount(parts.gross),
                "VatAmountValue": .amount(parts.vat),
            ])
        }
        return .object([
            "Guid": .string(voucher.guid), "VoucherNumber": .int(voucher.voucherNumber),
            "VoucherDate": .day(voucher.voucherDate), "Status": .string(voucher.status.rawValue),
            "Timestamp": .string(voucher.timestamp), "FileGuid": .string(voucher.fileGuid),
            "ExternalReference": .string(voucher.externalReference), "TotalInclVat": .amount(totalIncl),
            "TotalExclVat": .amount(totalExcl), "Lines": .array(lines),
        ])
    }
}
