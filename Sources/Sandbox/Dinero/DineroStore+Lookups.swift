import Crypto
import Foundation

/// Organizations, charts, VAT types, years, entries, files, contacts and invoices.
extension DineroStore {
    func organizationList(caller: Caller, query: [String: String]) -> JSON {
        let items: [JSON] = caller.organizations.compactMap { organizations[$0] }.map { organization in
            .object([
                "Id": .int(organization.id), "Name": .string(organization.name), "IsPro": .bool(organization.isPro),
                "IsPayingPro": .bool(organization.isPro), "IsVatFree": .bool(organization.isVatFree),
                "Email": .string(organization.email), "VatNumber": .string(organization.vatNumber),
            ])
        }
        return .array(Listing.project(items, fields: query["fields"], defaults: "id,name,isPro"))
    }

    func accountList(organization id: Int, kind: String, query: [String: String]) throws(DineroError) -> JSON {
        let organization = try organization(id)
        let accounts: [Account]
        switch kind {
        case "deposit": accounts = organization.accounts.filter(\.isDeposit)
        case "purchase": accounts = organization.accounts.filter { $0.kind == .expense }
        default: accounts = organization.accounts
        }
        let items: [JSON] = accounts.map { account in
            kind == "deposit"
                ? .object([
                    "AccountNumber": .int(account.number), "Name": .string(account.name),
                    "IsDefault": .bool(account.isDefaultDeposit), "IsHidden": .bool(account.isHidden),
                ])
                : .object([
                    "AccountNumber": .int(account.number), "Name": .string(account.name),
                    "VatCode": .string(account.vatCode), "Category": .string(account.category),
                    "IsHidden": .bool(account.isHidden), "IsDefaultSalesAccount": .bool(account.number == 1000),
                ])
        }
        // `categoryFilter` (entry accounts): the accounts of one category, as Dinero names them.
        try Listing.refuseOthers(query, applied: kind == "deposit" ? [] : ["categoryfilter"])
        let category = query["categoryfilter"]?.lowercased()
        let listed = items.filter { item in
            category.map { item["Category"]?.stringValue?.lowercased() == $0 } ?? true
        }
        return .array(Listing.project(listed, fields: query["fields"]))
    }

    func vatTypeList(organization id: Int, query: [String: String]) throws(DineroError) -> JSON {
        let items: [JSON] = try organization(id).vatTypes.map { type in
            .object([
                "VatCode": .string(type.code), "Name": .string(type.name),
                "VatRate": .number(Self.fraction(basisPoints: type.rateBasisPoints)),
            ])
        }
        return .array(Listing.project(items, fields: query["fields"]))
    }

    /// 625 → "0.0625".
    static func fraction(basisPoints: Int) -> String {
        guard basisPoints != 0 else { return "0" }
        var digits = String(basisPoints)
        digits = String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "0." + digits
    }

    func accountingYearList(organization id: Int) throws(DineroError) -> JSON {
        .array(
            try organization(id).accountingYears.map { year in
                .object(["Name": .string(year.name), "FromDate": .day(year.from), "ToDate": .day(year.to)])
            })
    }

    // MARK: Entries

    func entryJSON(_ entry: Entry) -> JSON {
        .object([
            "AccountNumber": .int(entry.accountNumber), "AccountName": .string(entry.accountName),
            "Date": .day(entry.date), "VoucherNumber": .int(entry.voucherNumber),
            "VoucherType": .string(entry.voucherType), "Description": .string(entry.description),
            "VatType": .string(entry.vatType), "VatCode": .string(entry.vatCode), "Amount": .amount(entry.amount),
            "EntryGuid": .string(entry.guid),
        ])
    }

    /// `GET /v1/{org}/entries?fromDate&toDate`: the range must lie inside one accounting year.
    func entryList(organization id: Int, query: [String: String]) throws(DineroError) -> JSON {
        let organization = try organization(id)
        var binder = Binder()
        let range = JSON.object([
            "fromDate": .string(query["fromdate"]), "toDate": .string(query["todate"]),
        ])
        let from = binder.day(range, "fromDate", at: "fromDate", required: true)
        let to = binder.day(range, "toDate", at: "toDate", required: true)
        try binder.check()
        guard let from, let to, from <= to else { throw DineroError.validation("toDate", "toDate is before fromDate") }
        guard organization.accountingYears.contains(where: { $0.from <= from && to <= $0.to }) else {
            throw DineroError.validation(
                "fromDate", "The period \(from) to \(to) must lie within one accounting year; ask once per year")
        }
        let list = (entries[id] ?? []).filter { from <= $0.date && $0.date <= to }
            .sorted { ($0.date, $0.voucherNumber, $0.sequence) < ($1.date, $1.voucherNumber, $1.sequence) }
        return .array(list.map(entryJSON))
    }

    /// `GET /v1/{org}/entries/changes?changesFrom&changesTo`: entries added in that window of time.
    func entryChanges(organization id: Int, query: [String: String]) throws(DineroError) -> JSON {
        _ = try organization(id)
        guard let fromText = query["changesfrom"], let from = Self.instant(fromText) else {
            throw DineroError.validation("changesFrom", "changesFrom is required, as yyyy-MM-ddTHH:mm:ssZ")
        }
        guard let toText = query["changesto"], let to = Self.instant(toText) else {
            throw DineroError.validation("changesTo", "changesTo is required, as yyyy-MM-ddTHH:mm:ssZ")
        }
        let list = (entries[id] ?? []).filter { from <= $0.addedAt && $0.addedAt <= to }
        return .array(list.map(entryJSON))
    }

    static func instant(_ text: String) -> Date? { DineroTime.instant(text) }

    // MARK: Files

    static let maxFileSize = 6 * 1024 * 1024
    static let fileTypes = ["pdf", "png", "jpg", "jpeg", "gif", "heic", "tif", "tiff", "bmp"]

    func uploadFile(organization id: Int, part: MultipartPart, fileName: String?) throws(DineroError) -> JSON {
        _ = try organization(id)
        guard part.body.count <= Self.maxFileSize else {
            throw DineroError(status: 413, code: 43, message: "The file is larger than 6 MB")
        }
        guard !part.body.isEmpty else { throw DineroError.validation("file", "The file is empty") }
        let name = fileName ?? part.filename ?? "upload"
        let fileExtension = (name as NSString).pathExtension.lowercased()
        let type = part.contentType?.lowercased() ?? ""
        guard Self.fileTypes.contains(fileExtension) || type.hasPrefix("image/") || type.contains("pdf") else {
            throw DineroError.validation("file", "Only PDF and image files can be uploaded, not '\(name)'")
        }
        let file = StoredFile(
            organization: id, guid: newGuid(), name: name, size: part.body.count, contentType: part.contentType,
            sha256: SHA256.hash(data: Array(part.body)).map { String(format: "%02x", $0) }.joined(),
            uploadedAt: now, linkedTo: nil)
        files[file.guid] = file
        remember("file", file.guid, file)
        return .object(["FileGuid": .string(file.guid), "OrganizationId": .int(id)])
    }

    func fileJSON(_ file: StoredFile) -> JSON {
        .object([
            "FileGuid": .string(file.guid), "Name": .string(file.name), "Size": .int(file.size),
            "Linked": .string(file.linkedTo ?? ""), "ContentType": .string(file.contentType),
            "Sha256": .string(file.sha256),
        ])
    }

    func fileList(organization id: Int, query: [String: String]) throws(DineroError) -> JSON {
        _ = try organization(id)
        let all = files.values.filter { $0.organization == id }.sorted { $0.uploadedAt < $1.uploadedAt }
        let status = (query["filestatus"] ?? "All").lowercased()
        guard ["all", "used", "unused"].contains(status) else {
            throw DineroError.validation("fileStatus", "fileStatus must be All, Used or Unused")
        }
        let filtered = all.filter { status == "all" || (status == "used") == ($0.linkedTo != nil) }
        return try Listing.page(
            filtered.map(fileJSON), totalWithoutFilter: all.count, query: query, fields: query["fields"], defaults: nil)
    }

    // MARK: Contacts

    func contactJSON(_ contact: Contact) -> JSON {
        .object([
            "ContactGuid": .string(contact.guid), "Name": .string(contact.name),
            "CountryKey": .string(contact.countryKey), "IsPerson": .bool(contact.isPerson),
            "ExternalReference": .string(contact.externalReference), "VatNumber": .string(contact.vatNumber),
            "Email": .string(contact.email),
            "CreatedAt": .string(DineroTime.text(contact.createdAt)),
            "UpdatedAt": .string(DineroTime.text(contact.updatedAt)),
        ])
    }

    func contactList(organization id: Int, query: [String: String]) throws(DineroError) -> JSON {
        _ = try organization(id)
        try Listing.refuseOthers(query, applied: ["queryfilter", "changessince", "deletedonly"])
        let all = contacts.values.filter { $0.organization == id }.sorted { $0.updatedAt < $1.updatedAt }
        let conditions = try Listing.filter(
            query["queryfilter"], allowed: ["Name", "Email", "ExternalReference", "VatNumber", "IsPerson"])
        let since = try Listing.changedSince(query)
        let deletedOnly = try Listing.deletedOnly(query)
        let items = all.filter { contact in !deletedOnly && since.map { contact.updatedAt >= $0 } ?? true }
            .map(contactJSON).filter { item in conditions.allSatisfy { $0.matches(item) } }
        return try Listing.page(
            items, totalWithoutFilter: all.count, query: query, fields: query["fields"], defaults: "name,contactGuid")
    }

    func createContact(organization id: Int, body: JSON) throws(DineroError) -> JSON {
        _ = try organization(id)
        var binder = Binder()
        let name = binder.string(body, "Name", at: "Name", required: true)
        let country = binder.string(body, "CountryKey", at: "CountryKey", required: true)
        let isPerson = binder.bool(body, "IsPerson", at: "IsPerson", required: true)
        // Required by ContactCreateModel, though the sandbox keeps neither.
        _ = binder.bool(body, "IsMember", at: "IsMember", required: true)
        _ = binder.bool(body, "UseCvr", at: "UseCvr", required: true)
        let guid = binder.string(body, "ContactGuid", at: "ContactGuid")?.lowercased()
        if let guid, !UUIDText.isValid(guid) { binder.fail("ContactGuid", "ContactGuid must be a GUID") }
        if let guid, contacts[guid] != nil {
            binder.fail("guidMustBeUnique", "A contact with id \(guid) already exists")
        }
        let external = binder.string(body, "ExternalReference", at: "ExternalReference", maxLength: 128)
        let vatNumber = binder.string(body, "VatNumber", at: "VatNumber")
        let email = binder.string(body, "Email", at: "Email")
        try binder.check()
        let contact = Contact(
            organization: id, guid: guid ?? newGuid(), name: name!, countryKey: country!, isPerson: isPerson!,
            externalReference: external, vatNumber: vatNumber, email: email, createdAt: now, updatedAt: now)
        contacts[contact.guid] = contact
        remember("contact", contact.guid, contact)
        return .object(["ContactGuid": .string(contact.guid)])
    }

    func readContact(organization id: Int, guid: String) throws(DineroError) -> JSON {
        guard let contact = contacts[guid.lowercased()], contact.organization == id else {
            throw DineroError.notFound("Contact \(guid)")
        }
        return contactJSON(contact)
    }

    // MARK: Invoices

    func invoiceJSON(_ invoice: Invoice) -> JSON {
        let net = invoice.totalExclVat
        let vat = Self.divideRounded(net * 2500, by: 10_000)
        return .object([
            "Guid": .string(invoice.guid), "TimeStamp": .string(invoice.timeStamp),
            "ContactGuid": .string(invoice.contactGuid), "ContactName": .string(invoice.contactName),
            "Date": .day(invoice.date), "Description": .string(invoice.description),
            "ExternalReference": .string(invoice.externalReference), "Currency": .string(invoice.currency),
            "Status": "Draft", "TotalExclVat": .amount(net), "TotalInclVat": .amount(net + vat),
        ])
    }

    func invoiceList(organization id: Int, query: [String: String]) throws(DineroError) -> JSON {
        _ = try organization(id)
        try Listing.refuseOthers(
            query,
            applied: [
                "queryfilter", "startdate", "enddate", "changessince", "deletedonly", "statusfilter", "freetextsearch",
            ])
        let all = invoices.values.filter { $0.organization == id }.sorted { $0.createdAt < $1.createdAt }
        let conditions = try Listing.filter(query["queryfilter"], allowed: ["ExternalReference", "Description"])
        let start = query["startdate"].flatMap(Day.init)
        let end = query["enddate"].flatMap(Day.init)
        let since = try Listing.changedSince(query)
        let deletedOnly = try Listing.deletedOnly(query)
        // `statusFilter`: Draft, Booked, Paid, OverPaid, Overdue (comma-separated).
        let statuses = query["statusfilter"].map { Set($0.split(separator: ",").map { $0.lowercased() }) }
        if let unknown = statuses?.subtracting(["draft", "booked", "paid", "overpaid", "overdue"]).sorted().first {
            throw DineroError.validation(
                "statusFilter", "statusFilter takes Draft, Booked, Paid, OverPaid or Overdue, not \(unknown)")
        }
        let text = query["freetextsearch"]?.lowercased()
        let items = all.filter { invoice in
            !deletedOnly && (start.map { $0 <= invoice.date } ?? true) && (end.map { invoice.date <= $0 } ?? true)
                && (since.map { invoice.updatedAt >= $0 } ?? true)
        }
        .map(invoiceJSON).filter { item in
            conditions.allSatisfy { $0.matches(item) }
                && (statuses.map { $0.contains(item["Status"]?.stringValue?.lowercased() ?? "") } ?? true)
                && (text.map { text in
                    ["Description", "ContactName", "ExternalReference"].contains {
                        item[$0]?.stringValue?.lowercased().contains(text) == true
                    }
                } ?? true)
        }
        return try Listing.page(
            items, totalWithoutFilter: all.count, query: query, fields: query["fields"],
            defaults: "Guid,ContactName,Date,Description")
    }

    func createInvoice(organization id: Int, body: JSON) throws(DineroError) -> JSON {
        let organization = try organization(id)
        var binder = Binder()
        let guid = binder.string(body, "Guid", at: "Guid")?.lowercased()
        if let guid, !UUIDText.isValid(guid) { binder.fail("Guid", "Guid must be a GUID") }
        let contactGuid = binder.string(body, "ContactGuid", at: "ContactGuid", required: true)?.lowercased()
        let contact = contactGuid.flatMap { contacts[$0] }.flatMap { $0.organization == id ? $0 : nil }
        if contactGuid != nil && contact == nil { binder.fail("ContactGuid", "The contact does not exist") }
        let date = binder.day(body, "Date", at: "Date") ?? Day(now)
        let external = binder.string(body, "ExternalReference", at: "ExternalReference", maxLength: 128)
        let description = binder.string(body, "Description", at: "Description")
        let currency = binder.string(body, "Currency", at: "Currency") ?? "DKK"
        var lines: [InvoiceLine] = []
        if let raw = body["ProductLines"]?.arrayValue, !raw.isEmpty {
            for (index, line) in raw.enumerated() {
                let at = "ProductLines[\(index)]"
                let account = binder.int(line, "AccountNumber", at: "\(at).AccountNumber", required: true)
                let base = binder.amount(line, "BaseAmountValue", at: "\(at).BaseAmountValue", required: true)
                let quantity = binder.amount(line, "Quantity", at: "\(at).Quantity", required: true)
                if let problem = accountProblem(account, in: organization) {
                    binder.fail("\(at).AccountNumber", problem)
                }
                if let account, let base, let quantity {
                    lines.append(
                        InvoiceLine(
                            description: binder.string(line, "Description", at: "\(at).Description"),
                            accountNumber: account, quantity: quantity, baseAmount: base))
                }
            }
        } else {
            binder.fail("ProductLines", "An invoice needs at least one product line")
        }
        if let guid, invoices[guid] != nil { throw DineroError.duplicate([guid]) }
        try binder.check()
        let invoice = Invoice(
            organization: id, guid: guid ?? newGuid(), timeStamp: nextTimestamp(), contactGuid: contact!.guid,
            contactName: contact!.name, date: date, description: description, externalReference: external,
            currency: currency, lines: lines, createdAt: now, updatedAt: now)
        invoices[invoice.guid] = invoice
        remember("invoice", invoice.guid, invoice)
        return .object(["Guid": .string(invoice.guid), "TimeStamp": .string(invoice.timeStamp)])
    }

    func readInvoice(organization id: Int, guid: String) throws(DineroError) -> JSON {
        guard let invoice = invoices[guid.lowercased()], invoice.organization == id else {
            throw DineroError(status: 400, code: 63, message: "Invalid InvoiceGuid: \(guid), no results found")
        }
        return invoiceJSON(invoice)
    }
}
