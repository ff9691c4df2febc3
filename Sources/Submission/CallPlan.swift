public import LedgerModel

/// The fewest calls Dinero's contract allows for a set of documents: what `plan` shows and what
/// `import` makes on a clean run (ledger item status polls may add calls while Dinero books).
public struct CallPlan: Sendable, Hashable, Codable {
    /// Reading the organization: organizations, accounts (entry and deposit), VAT types, years.
    public static let setupCalls = 5

    public var batchSize: Int
    public var ledgerItems = 0
    public var vouchers = 0
    public var attachments = 0

    public init(batchSize: Int = 100) { self.batchSize = batchSize }

    public mutating func add(_ document: Document) {
        if document.kind == .ledgerItem {
            ledgerItems += 1
        } else {
            vouchers += 1
            if document.attachment != nil { attachments += 1 }
        }
    }

    /// Create, book and at least one status call per batch of ledger items.
    public var ledgerBatches: Int { (ledgerItems + batchSize - 1) / batchSize }

    public var calls: Int {
        let documents = ledgerBatches * 3 + vouchers * 2 + attachments
        return documents == 0 ? 0 : Self.setupCalls + documents
    }

    /// "9 calls: 5 to read the organization; 1 create, 1 book, 1+ status for 8 ledger items; …"
    public var description: String {
        var parts = ["\(Self.setupCalls) to read the organization (1 while its chart is cached)"]
        if ledgerItems > 0 {
            parts.append(
                "\(ledgerBatches) create, \(ledgerBatches) book and \(ledgerBatches)+ status for \(ledgerItems) ledger items in batches of \(batchSize)"
            )
        }
        if vouchers > 0 {
            parts.append(
                "\(vouchers) create and \(vouchers) book for \(vouchers) vouchers"
                    + (attachments > 0 ? ", \(attachments) receipt uploads" : ""))
        }
        return "\(calls) calls at least: " + parts.joined(separator: "; ")
    }
}
