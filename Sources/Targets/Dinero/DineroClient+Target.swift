public import Foundation
public import LedgerModel
import NIOCore
import NIOHTTP1

/// Dinero as a ``Target``: ledger items go in batches under ids derived from their references
/// and are booked asynchronously; manual and purchase vouchers go one at a time, carry their
/// reference as `ExternalReference`, and are booked at once.
extension DineroClient: Target {
    public nonisolated var system: String { "dinero" }
    public nonisolated var organization: String { String(organizationID) }
    public nonisolated var rateLimit: RateLimitPolicy { limiter.policy }
    public nonisolated var currencies: CurrencyRules { Self.currencyRules }
    /// A line's VAT is a code (`I25`, `U25`, `none`).
    public nonisolated var vatScheme: VatScheme { .codes }

    /// Dinero books in the organization's currency, DKK: manual vouchers and ledger items carry
    /// no currency at all, and only a purchase on credit takes another (`CurrencyKey`).
    public static let currencyRules = CurrencyRules(
        system: "Dinero", manualVoucher: [.dkk], ledgerItem: [.dkk], cashPurchase: [.dkk], creditPurchase: nil)

    /// Dinero's limit: 100 requests a minute for apps signed in through Visma Connect, 60 for
    /// personal integrations, counted in fixed minutes per organization and client id.
    public static func rateLimit(connect: Bool) -> RateLimitPolicy {
        RateLimitPolicy(limit: connect ? 100 : 60, window: .fixed(60))
    }

    /// Most ledger items one call takes; Dinero's ledger holds at most 1000 unbooked.
    public static let ledgerBatchLimit = 1000

    /// Reading the organization: organizations, accounts (entry and deposit), VAT types, years.
    public static let setupCalls = 5

    public nonisolated func handling(of kind: DocumentKind) -> DocumentHandling {
        Self.handling(of: kind)
    }

    /// Create, book and at least one status call per batch of ledger items; create and book per
    /// voucher, plus its receipt's upload.
    public static func handling(of kind: DocumentKind) -> DocumentHandling {
        switch kind {
        case .ledgerItem:
            DocumentHandling(batchLimit: ledgerBatchLimit, attachments: false, callsPerBatch: 3, callsPerDocument: 0)
        case .manualVoucher, .purchaseVoucher:
            DocumentHandling(batchLimit: 1, attachments: true, callsPerBatch: 0, callsPerDocument: 2)
        }
    }

    // MARK: Reference data

    /// The chart as reference data, named as ``checkAccess()`` found the organization (asked
    /// for here only when it was not called first).
    public func referenceData() async throws(TargetError) -> ReferenceData {
        let name: String
        if let known = organizationName {
            name = known
        } else {
            name = try await checkAccess().name
        }
        return Self.referenceData(from: try await chart(), name: name)
    }

    /// Dinero's chart in validation's words; its account categories become account kinds.
    public static func referenceData(from chart: DineroChart, name: String) -> ReferenceData {
        func kind(_ category: String?) -> ReferenceData.AccountKind? {
            switch category?.lowercased() {
            case "income"?, "revenue"?, "sales"?: .sales
            case "expense"?, "expenses"?, "cost"?: .expense
            case "asset"?, "assets"?: .asset
            case "liability"?, "liabilities"?: .liability
            case "equity"?: .equity
            default: nil
            }
        }
        let accounts = chart.accounts.map {
            ReferenceData.Account(
                number: AccountNumber(integerLiteral: $0.number), name: $0.name, kind: kind($0.category),
                vat: $0.vatCode, hidden: $0.hidden)
        }
        let deposits = chart.depositAccounts.map {
            ReferenceData.Account(number: AccountNumber(integerLiteral: $0.number), name: $0.name, kind: .asset)
        }
        let years = chart.years.compactMap { year -> ReferenceData.AccountingYear? in
            guard let from = LocalDate(iso: year.from), let to = LocalDate(iso: year.to) else { return nil }
            return ReferenceData.AccountingYear(name: year.name, from: from, to: to)
        }
        return ReferenceData(
            organization: name, accounts: accounts, depositAccounts: deposits, years: years, vatCodes: chart.vatCodes)
    }

    // MARK: Documents

    public nonisolated func preflight(_ document: Document) throws(TargetError) -> Data {
        try DineroTranslation.wire(document)
    }

    public func uploadAttachment(path: String) async throws(TargetError) -> String {
        try await uploadFile(path: path)
    }

    public func create(_ documents: [OutgoingDocument]) async throws(TargetError) -> [String: RemoteState] {
        guard let first = documents.first else { return [:] }
        if first.kind == .ledgerItem {
            let versions = try await createLedgerItems(documents.map(\.wire))
            var states: [String: RemoteState] = [:]
            for document in documents {
                let id = DineroTranslation.ledgerItemID(reference: document.reference)
                states[document.reference] = .draft(id: id, version: versions[id])
            }
            return states
        }
        guard documents.count == 1 else { throw DineroTranslation.refuse("vouchers are created one at a time") }
        let remote = try await createVoucher(
            first.kind, wire: DineroTranslation.withFileGuid(first.wire, first.attachmentID))
        return [first.reference: .draft(id: remote.guid, version: remote.timestamp)]
    }

    public func book(_ drafts: [SentDocument]) async throws(TargetError) -> [String: RemoteState] {
        do {
            return try await bookDrafts(drafts)
        } catch .rejected(let code, let message, let fields) where drafts.count == 1 {
            throw Self.closedPeriod(code: code, message: message, fields: fields)
                ?? .rejected(code: code, message: message, fields: fields)
        }
    }

    /// A refusal to book because the period is closed. Dinero answers it as a validation error
    /// (code 42) on the voucher date, or, for a ledger item, under the item's id, in words that
    /// say the year is closed or locked.
    static func closedPeriod(code: Int?, message: String, fields: [String: String]) -> TargetError? {
        let closedWords = ["closed", "locked", "lukket", "låst"]
        for (key, text) in fields {
            let lowered = text.lowercased()
            if closedWords.contains(where: lowered.contains)
                || key.lowercased() == "voucherdate" && lowered.contains("year")
            {
                return .closedPeriod(text)
            }
        }
        return nil
    }

    private func bookDrafts(_ drafts: [SentDocument]) async throws(TargetError) -> [String: RemoteState] {
        guard let first = drafts.first else { return [:] }
        if first.kind == .ledgerItem {
            let items = drafts.map {
                (id: DineroTranslation.ledgerItemID(reference: $0.reference), version: $0.remoteVersion ?? "")
            }
            let versions = try await bookLedgerItems(items)
            var states: [String: RemoteState] = [:]
            // Dinero books ledger items in the background: their status says when they are booked.
            for (draft, item) in zip(drafts, items) {
                states[draft.reference] = .booking(id: item.id, version: versions[item.id] ?? item.version)
            }
            return states
        }
        guard drafts.count == 1, let guid = first.remoteID else {
            throw DineroTranslation.refuse("vouchers are booked one at a time, by their guid")
        }
        let booked = try await bookVoucher(first.kind, guid: guid, timestamp: first.remoteVersion ?? "")
        return [first.reference: Self.state(of: booked)]
    }

    public func lookup(_ documents: [SentDocument]) async throws(TargetError) -> [String: RemoteState] {
        var states: [String: RemoteState] = [:]
        let items = documents.filter { $0.kind == .ledgerItem }
        if !items.isEmpty {
            let ids = items.map { DineroTranslation.ledgerItemID(reference: $0.reference) }
            let remote = try await ledgerItemStatus(ids)
            for (document, id) in zip(items, ids) {
                guard let item = remote[id] else {
                    states[document.reference] = .absent
                    continue
                }
                let number = item.voucherNumber.map(String.init)
                states[document.reference] =
                    item.isBooked
                    ? .booked(id: id, version: item.version, number: number)
                    : item.isDraft ? .draft(id: id, version: item.version) : .booking(id: id, version: item.version)
            }
        }
        var links: [String: String]?
        for document in documents where document.kind != .ledgerItem {
            if let guid = document.remoteID {
                states[document.reference] = Self.state(of: try await voucher(document.kind, guid: guid))
                continue
            }
            // A create whose answer never came. Dinero has no lookup by `ExternalReference`, but
            // a voucher with a receipt is named by the receipt's `Linked`.
            if let fileID = document.attachmentID {
                if links == nil { links = try await fileLinks() }
                if let linked = links?[fileID.lowercased()] {
                    let remote = try await voucher(document.kind, guid: linked)
                    if remote.externalReference == nil || remote.externalReference == document.reference {
                        states[document.reference] = Self.state(of: remote)
                        continue
                    }
                }
            }
            states[document.reference] = .unknown(
                "an earlier create got no answer; Dinero may hold an unbooked draft with ExternalReference \(document.reference) (delete it there)"
            )
        }
        return states
    }

    public func deleteDraft(_ draft: SentDocument) async throws(TargetError) {
        if draft.kind == .ledgerItem {
            let item = IDVersion(
                id: DineroTranslation.ledgerItemID(reference: draft.reference), version: draft.remoteVersion)
            _ = try await send(.DELETE, "\(base)/ledgeritems/delete", body: try json([item]), step: .write)
            return
        }
        guard let guid = draft.remoteID else {
            throw DineroTranslation.refuse("a draft voucher is deleted by its guid")
        }
        _ = try await send(
            .DELETE, "\(base)/vouchers/\(Self.path(draft.kind))/\(guid)",
            body: try json(TimestampBody(timestamp: draft.remoteVersion ?? "")), step: .write)
    }

    /// Dinero names the items it refuses by their place in the batch (`[3].Lines[0].Amount`) or
    /// by their id.
    public nonisolated func culprits(of error: TargetError, in batch: [SentDocument]) -> [String: TargetError] {
        guard case .rejected(let code, let message, let fields) = error else { return [:] }
        var named: [String: [String: String]] = [:]
        for (key, value) in fields {
            if key.hasPrefix("["), let close = key.firstIndex(of: "]"),
                let index = Int(key[key.index(after: key.startIndex)..<close]), batch.indices.contains(index)
            {
                named[batch[index].reference, default: [:]][key] = value
            } else if let document = batch.first(where: {
                DineroTranslation.ledgerItemID(reference: $0.reference) == key.lowercased()
            }) {
                named[document.reference, default: [:]][key] = value
            }
        }
        return named.mapValues { own in
            Self.closedPeriod(code: code, message: message, fields: own)
                ?? TargetError.rejected(code: code, message: message, fields: own)
        }
    }

    static func state(of voucher: RemoteVoucher) -> RemoteState {
        voucher.isBooked
            ? .booked(id: voucher.guid, version: voucher.timestamp, number: voucher.voucherNumber.map(String.init))
            : .draft(id: voucher.guid, version: voucher.timestamp)
    }
}

extension CallPlan {
    /// Dinero's calls for a set of documents.
    public static func dinero(batchSize: Int = 100) -> CallPlan {
        CallPlan(
            system: "Dinero", setupCalls: DineroClient.setupCalls, batchSize: batchSize,
            handling: DineroClient.handling(of:))
    }
}
