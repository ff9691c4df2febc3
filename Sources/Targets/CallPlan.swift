public import LedgerModel

/// The fewest calls a target's contract allows for a set of documents: what `plan` shows and
/// what `import` makes on a clean run (status polls may add calls while a target books).
public struct CallPlan: Sendable, Encodable {
    /// The target's name, for people.
    public var system: String
    /// Calls to read the organization before anything is sent.
    public var setupCalls: Int
    public var batchSize: Int
    /// Documents per kind: three counters, not a table, since `plan` adds every document.
    private var manualVouchers = 0
    private var purchaseVouchers = 0
    private var ledgerItemCount = 0
    public var attachments = 0
    /// Documents name suppliers: the organization's contacts are read first (a call a page).
    public private(set) var readsContacts = false
    /// Suppliers the job would create (`contacts: create`): one call each.
    private var newContacts = NewContacts()
    /// How the target takes each kind.
    private let manualHandling: DocumentHandling
    private let purchaseHandling: DocumentHandling
    private let ledgerHandling: DocumentHandling

    public init(system: String, setupCalls: Int, batchSize: Int = 100, handling: (DocumentKind) -> DocumentHandling) {
        self.system = system
        self.setupCalls = setupCalls
        self.batchSize = batchSize
        manualHandling = handling(.manualVoucher)
        purchaseHandling = handling(.purchaseVoucher)
        ledgerHandling = handling(.ledgerItem)
    }

    /// Documents of a kind.
    public func count(_ kind: DocumentKind) -> Int {
        switch kind {
        case .manualVoucher: manualVouchers
        case .purchaseVoucher: purchaseVouchers
        case .ledgerItem: ledgerItemCount
        }
    }

    private func handling(_ kind: DocumentKind) -> DocumentHandling {
        switch kind {
        case .manualVoucher: manualHandling
        case .purchaseVoucher: purchaseHandling
        case .ledgerItem: ledgerHandling
        }
    }

    public mutating func add(_ document: Document) {
        let takesReceipts: Bool
        switch document.kind {
        case .manualVoucher:
            manualVouchers += 1
            takesReceipts = manualHandling.attachments
        case .purchaseVoucher:
            purchaseVouchers += 1
            takesReceipts = purchaseHandling.attachments
        case .ledgerItem:
            ledgerItemCount += 1
            takesReceipts = ledgerHandling.attachments
        }
        if takesReceipts, document.attachment != nil { attachments += 1 }
        if document.kind == .purchaseVoucher, let contact = document.purchase?.contact {
            readsContacts = true
            if contact.create { _ = newContacts.contact(for: contact, id: { $0 }) }
        }
    }

    public var contactsToCreate: Int { newContacts.count }

    /// Batches of a kind: as many as `batchSize` (within the target's limit) documents each.
    public func batches(_ kind: DocumentKind) -> Int {
        let handling = handling(kind)
        guard handling.callsPerBatch > 0 else { return 0 }
        let size = max(1, min(batchSize, handling.batchLimit))
        return (count(kind) + size - 1) / size
    }

    public var calls: Int {
        var documents = attachments + contactsToCreate
        for kind in DocumentKind.allCases {
            let handling = handling(kind)
            documents += batches(kind) * handling.callsPerBatch + count(kind) * handling.callsPerDocument
        }
        return documents == 0 ? 0 : setupCalls + (readsContacts ? 1 : 0) + documents
    }

    /// "310 calls at least: 5 to read the organization; 1 create, 1 book and 1+ status for 8 ledger items; …"
    public var description: String {
        var parts = ["\(setupCalls) to read the organization (1 while its chart is cached)"]
        if readsContacts { parts.append("1+ to read its contacts (1 a thousand)") }
        if contactsToCreate > 0 { parts.append("\(contactsToCreate) to create suppliers") }
        if ledgerItems > 0 {
            let batches = batches(.ledgerItem)
            parts.append(
                "\(batches) create, \(batches) book and \(batches)+ status for \(ledgerItems) ledger items in batches of \(batchSize)"
            )
        }
        if vouchers > 0 {
            parts.append(
                "\(vouchers) create and \(vouchers) book for \(vouchers) vouchers"
                    + (attachments > 0 ? ", \(attachments) receipt uploads" : ""))
        }
        return "\(calls) calls at least: " + parts.joined(separator: "; ")
    }

    public var ledgerItems: Int { count(.ledgerItem) }
    public var vouchers: Int { count(.manualVoucher) + count(.purchaseVoucher) }

    private enum CodingKeys: String, CodingKey {
        case system, calls, batchSize, ledgerItems, vouchers, attachments, contactsToCreate
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(system, forKey: .system)
        try container.encode(calls, forKey: .calls)
        try container.encode(batchSize, forKey: .batchSize)
        try container.encode(ledgerItems, forKey: .ledgerItems)
        try container.encode(vouchers, forKey: .vouchers)
        try container.encode(attachments, forKey: .attachments)
        try container.encode(contactsToCreate, forKey: .contactsToCreate)
    }
}
