import Foundation

/// Ledger items (kassekladde): `/v1.2/{org}/ledgeritems` create, and `/v1/{org}/ledgeritems/…`.
extension DineroStore {
    /// "The maximum number of ledger items in the ledger is 1000."
    static let ledgerCapacity = 1000

    func ledgerKey(_ organization: Int, _ id: String) -> String { "\(organization)/\(id.lowercased())" }

    private func readLedgerItem(
        _ item: JSON, at position: String, organization: Organization, binder: inout Binder
    ) -> (id: String?, number: Int?, date: Day?, fileGuid: String?, lines: [LedgerLine]) {
        var id = binder.string(item, "Id", at: "\(position).Id")?.lowercased()
        if let given = id, UUIDText.isValid(given) == false {
            binder.fail("\(position).Id", "Id must be a GUID, not '\(given)'")
            id = nil
        }
        let number = binder.int(item, "VoucherNumber", at: "\(position).VoucherNumber")
        let date = binder.day(item, "VoucherDate", at: "\(position).VoucherDate", required: true)
        let fileGuid = binder.string(item, "FileGuid", at: "\(position).FileGuid")?.lowercased()
        if let problem = fileProblem(fileGuid, organization: organization.id) {
            binder.fail("\(position).FileGuid", problem)
        }
        var lines: [LedgerLine] = []
        guard let rawLines = item["Lines"]?.arrayValue, !rawLines.isEmpty else {
            binder.fail("\(position).Lines", "A ledger item needs at least one line")
            return (id, number, date, fileGuid, lines)
        }
        for (index, line) in rawLines.enumerated() {
            let at = "\(position).Lines[\(index)]"
            let account = binder.int(line, "AccountNumber", at: "\(at).AccountNumber")
            let balancing = binder.int(line, "BalancingAccountNumber", at: "\(at).BalancingAccountNumber")
            let amount = binder.amount(line, "Amount", at: "\(at).Amount", required: true)
            let accountVat = binder.string(line, "AccountVatCode", at: "\(at).AccountVatCode")
            let balancingVat = binder.string(line, "BalancingAccountVatCode", at: "\(at).BalancingAccountVatCode")
            if account == nil && balancing == nil {
                binder.fail("\(at).AccountNumber", "A line needs an AccountNumber or a BalancingAccountNumber")
            }
            for (field, problem) in [
                ("AccountNumber", accountProblem(account, in: organization)),
                ("BalancingAccountNumber", accountProblem(balancing, in: organization)),
                ("AccountVatCode", vatCodeProblem(accountVat, in: organization)),
                ("BalancingAccountVatCode", vatCodeProblem(balancingVat, in: organization)),
            ] {
                if let problem { binder.fail("\(at).\(field)", problem) }
            }
            var lineID = binder.string(line, "Id", at: "\(at).Id")?.lowercased()
            if let given = lineID, !UUIDText.isValid(given) {
                binder.fail("\(at).Id", "Id must be a GUID, not '\(given)'")
                lineID = nil
            }
            guard let amount else { continue }
            lines.append(
                LedgerLine(
                    id: lineID ?? newGuid(), description: binder.string(line, "Description", at: "\(at).Description"),
                    amount: amount, accountNumber: account, accountVatCode: accountVat,
                    balancingAccountNumber: balancing, balancingAccountVatCode: balancingVat))
        }
        return (id, number, date, fileGuid, lines)
    }

    func createLedgerItems(organization id: Int, body: JSON) throws(DineroError) -> JSON {
        let organization = try organization(id)
        guard let items = body.arrayValue else {
            throw DineroError.validation("", "The body must be an array of ledger items")
        }
        var binder = Binder()
        var created: [LedgerItem] = []
        var seen: Set<String> = []
        var duplicates: [String] = []
        for (index, raw) in items.enumerated() {
            let read = readLedgerItem(raw, at: "[\(index)]", organization: organization, binder: &binder)
            if let given = read.id {
                if !seen.insert(given).inserted {
                    binder.fail("[\(index)].Id", "The Id \(given) appears twice in this request")
                } else if ledgerItems[ledgerKey(id, given)] != nil {
                    duplicates.append(given)
                }
            }
            guard let date = read.date else { continue }
            created.append(
                LedgerItem(
                    organization: id, id: read.id ?? newGuid(), version: "", status: .draft,
                    requestedVoucherNumber: read.number, voucherNumber: nil, voucherDate: date, fileGuid: read.fileGuid,
                    lines: read.lines))
        }
        if !duplicates.isEmpty { throw DineroError.duplicate(duplicates) }
        try binder.check()
        let inLedger = ledgerItems.values.count { $0.organization == id && $0.status != .booked }
        if inLedger + created.count > Self.ledgerCapacity {
            throw DineroError.limit(
                "The maximum number of ledger items in the ledger is \(Self.ledgerCapacity); it holds \(inLedger). Book or delete some first."
            )
        }
        var answer: [JSON] = []
        for var item in created {
            item.version = nextTimestamp()
            ledgerItems[ledgerKey(id, item.id)] = item
            remember("ledger", ledgerKey(id, item.id), item)
            link(fileGuid: item.fileGuid, to: item.id, organization: id)
            answer.append(.object(["Id": .string(item.id), "Version": .string(item.version)]))
        }
        return .array(answer)
    }

    /// The items a `[{Id, Version}]` body names, checked to exist (and, when asked, to be current).
    private func namedItems(organization id: Int, body: JSON, requireVersion: Bool) throws(DineroError) -> [LedgerItem]
    {
        guard let references = body.arrayValue, !references.isEmpty else {
            throw DineroError.validation("", "The body must be a non-empty array of {Id, Version}")
        }
        var binder = Binder()
        var found: [LedgerItem] = []
        var stale = false
        for (index, reference) in references.enumerated() {
            guard let itemID = binder.string(reference, "Id", at: "[\(index)].Id", required: true) else { continue }
            guard let item = ledgerItems[ledgerKey(id, itemID)] else {
                binder.fail("ledgerItemNotFound", "The ledger item \(itemID) was not found")
                continue
            }
            if requireVersion {
                let version = binder.string(reference, "Version", at: "[\(index)].Version", required: true)
                if version != nil && version != item.version { stale = true }
            }
            found.append(item)
        }
        try binder.check()
        if stale { throw DineroError.staleTimestamp }
        return found
    }

    func bookLedgerItems(organization id: Int, body: JSON) throws(DineroError) -> JSON {
        let organization = try organization(id)
        let items = try namedItems(organization: id, body: body, requireVersion: true)
        var binder = Binder()
        for item in items {
            if item.status != .draft {
                binder.fail("Status", "The ledger item \(item.id) is \(item.status.rawValue), not Draft")
                continue
            }
            if let problem = periodProblem(item.voucherDate, in: organization) { binder.fail(item.id, problem) }
            let difference = ledgerPostings(item, organization: organization).reduce(Int64(0)) { $0 + $1.amount }
            if difference != 0 {
                binder.fail(
                    item.id,
                    "The ledger item \(item.id) does not balance: debits and credits differ by \(JSON.amount(difference).serialized) kr"
                )
            }
        }
        try binder.check(message: "The ledger items cannot be booked")
        var answer: [JSON] = []
        for var item in items {
            item.status = .pendingBooking
            item.pendingReadsLeft = options.pendingStatusReads
            item.completesAt = now.addingTimeInterval(options.bookingSeconds)
            item.version = nextTimestamp()
            if item.pendingReadsLeft == 0 { try finishBooking(&item, organization: organization) }
            store(item)
            answer.append(.object(["Id": .string(item.id), "Version": .string(item.version)]))
        }
        return .array(answer)
    }

    private func store(_ item: LedgerItem) {
        let key = ledgerKey(item.organization, item.id)
        ledgerItems[key] = item
        remember("ledger", key, item)
    }

    func ledgerPostings(_ item: LedgerItem, organization: Organization) -> [Posting] {
        item.lines.flatMap { line in
            linePostings(
                account: line.accountNumber, balancing: line.balancingAccountNumber, amount: line.amount,
                accountVat: line.accountVatCode, balancingVat: line.balancingAccountVatCode,
                description: line.description, in: organization)
        }
    }

    private func finishBooking(_ item: inout LedgerItem, organization: Organization) throws(DineroError) {
        let number: Int
        if let requested = item.requestedVoucherNumber {
            // Items that share a voucher number form one voucher, so a number may repeat here.
            number = requested
            markUsed(requested, organization: item.organization)
        } else {
            number = try assignVoucherNumber(nil, organization: item.organization)
        }
        item.status = .booked
        item.voucherNumber = number
        item.version = nextTimestamp()
        writeEntries(
            ledgerPostings(item, organization: organization), organization: organization, date: item.voucherDate,
            voucherNumber: number, voucherType: "Ledger", source: item.id)
    }

    /// Completes the bookings whose time has come, as Dinero's background booking does whether
    /// or not anyone reads their status. Run before every request is answered.
    func completeDueBookings() {
        let due = ledgerItems.filter { _, item in
            item.status == .pendingBooking && item.completesAt.map { $0 <= now } == true
        }
        for (_, var item) in due {
            guard let organization = organizations[item.organization] else { continue }
            do {
                try finishBooking(&item, organization: organization)
            } catch {
                continue  // left pending; a status read tries again
            }
            store(item)
        }
    }

    /// `[{Id}]` → `[{Id, Status, VoucherNumber, Version}]`. A pending booking completes after
    /// ``SandboxOptions/pendingStatusReads`` reads, so clients that poll are exercised.
    func ledgerItemStatus(organization id: Int, body: JSON) throws(DineroError) -> JSON {
        let organization = try organization(id)
        var answer: [JSON] = []
        for var item in try namedItems(organization: id, body: body, requireVersion: false) {
            if item.status == .pendingBooking {
                if item.pendingReadsLeft > 0 {
                    item.pendingReadsLeft -= 1
                } else {
                    try finishBooking(&item, organization: organization)
                }
                store(item)
            }
            answer.append(
                .object([
                    "Id": .string(item.id), "Status": .string(item.status.rawValue),
                    "VoucherNumber": .int(item.voucherNumber), "Version": .string(item.version),
                ]))
        }
        return .array(answer)
    }

    func deleteLedgerItems(organization id: Int, body: JSON) throws(DineroError) {
        let items = try namedItems(organization: id, body: body, requireVersion: true)
        if let busy = items.first(where: { $0.status != .draft }) {
            throw DineroError.validation(
                "Status", "The ledger item \(busy.id) is \(busy.status.rawValue) and cannot be deleted")
        }
        for item in items {
            ledgerItems[ledgerKey(id, item.id)] = nil
            forget("ledger", ledgerKey(id, item.id))
        }
    }

    /// `PUT /v1/{org}/ledgeritems`: replaces draft items, each named by `Id` and current `Version`.
    func updateLedgerItems(organization id: Int, body: JSON) throws(DineroError) -> JSON {
        let organization = try organization(id)
        let existing = try namedItems(organization: id, body: body, requireVersion: true)
        if let busy = existing.first(where: { $0.status != .draft }) {
            throw DineroError.validation(
                "Status", "The ledger item \(busy.id) is \(busy.status.rawValue) and cannot be changed")
        }
        var binder = Binder()
        var updated: [LedgerItem] = []
        for (index, raw) in (body.arrayValue ?? []).enumerated() {
            let read = readLedgerItem(raw, at: "[\(index)]", organization: organization, binder: &binder)
            guard var item = existing.first(where: { $0.id == read.id }), let date = read.date else { continue }
            item.voucherDate = date
            item.requestedVoucherNumber = read.number
            item.fileGuid = read.fileGuid
            item.lines = read.lines
            updated.append(item)
        }
        try binder.check()
        var answer: [JSON] = []
        for var item in updated {
            item.version = nextTimestamp()
            store(item)
            link(fileGuid: item.fileGuid, to: item.id, organization: id)
            answer.append(.object(["Id": .string(item.id), "Version": .string(item.version)]))
        }
        return .array(answer)
    }

    /// `POST /v1/{org}/ledgeritems/ledgers`: the full items.
    func ledgerItemDetails(organization id: Int, body: JSON) throws(DineroError) -> JSON {
        .array(try namedItems(organization: id, body: body, requireVersion: false).map(ledgerReadModel))
    }

    func ledgerReadModel(_ item: LedgerItem) -> JSON {
        .object([
            "Id": .string(item.id), "Version": .string(item.version), "Status": .string(item.status.rawValue),
            "VoucherNumber": .int(item.voucherNumber ?? item.requestedVoucherNumber),
            "VoucherDate": .day(item.voucherDate), "FileGuid": .string(item.fileGuid),
            "Lines": .array(
                item.lines.map { line in
                    .object([
                        "Id": .string(line.id), "Description": .string(line.description),
                        "Amount": .amount(line.amount),
                        "AccountNumber": .int(line.accountNumber), "AccountVatCode": .string(line.accountVatCode),
                        "BalancingAccountNumber": .int(line.balancingAccountNumber),
                        "BalancingAccountVatCode": .string(line.balancingAccountVatCode),
                    ])
                }),
        ])
    }
}

enum UUIDText {
    /// 8-4-4-4-12 hex digits.
    static func isValid(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}
