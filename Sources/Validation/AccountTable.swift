import LedgerModel

/// The chart of accounts as validation looks it up: twice a line, so for every row of a file.
///
/// Accounts of at most 8 ASCII bytes (nearly all: `5500`, `1000-01`) are found by their bytes in
/// a ``WordIndex``, without hashing a `String`; others go through a dictionary
/// keyed like ``ReferenceData/accounts``. A hit is a shared ``Entry``, so a lookup copies no
/// strings.
struct AccountTable {
    /// One account of the chart, shared by every line that names it.
    final class Entry: Sendable {
        let account: ReferenceData.Account
        init(_ account: ReferenceData.Account) { self.account = account }

        var name: String { account.name }
        var kind: ReferenceData.AccountKind? { account.kind }
        var vat: String? { account.vat }
        var hidden: Bool? { account.hidden }
    }

    private var packed = WordIndex()
    private var entries: [Entry] = []
    private var others: [AccountNumber: Entry] = [:]

    /// The accounts and then the deposit accounts, as ``ReferenceData/account(_:)`` finds them.
    init(_ reference: ReferenceData) {
        let all =
            Array(reference.accounts.values)
            + reference.depositAccounts.values.filter {
                reference.accounts[$0.number] == nil
            }
        for account in all {
            let entry = Entry(account)
            if let word = WordIndex.pack(account.number.rawValue) {
                packed.set(entries.count, word: word)
                entries.append(entry)
            } else {
                others[account.number] = entry
            }
        }
    }

    func find(_ number: AccountNumber) -> Entry? {
        guard let word = WordIndex.pack(number.rawValue) else { return others[number] }
        return packed[word].map { entries[$0] }
    }
}
