import LedgerModel

/// The chart of accounts as validation looks it up: twice a line, so for every row of a file.
///
/// Accounts are found through a ``WordIndex``: by their bytes, without hashing a `String`, for
/// the numbers of up to 8 ASCII bytes (nearly all: `5500`, `1000-01`). A hit is a shared
/// ``Entry``, so a lookup copies no strings.
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

    private var index = WordIndex()
    private var entries: [Entry] = []

    /// The accounts and then the deposit accounts, as ``ReferenceData/account(_:)`` finds them.
    init(_ reference: ReferenceData) {
        let all =
            Array(reference.accounts.values)
            + reference.depositAccounts.values.filter {
                reference.accounts[$0.number] == nil
            }
        for account in all {
            index.set(entries.count, name: account.number.rawValue)
            entries.append(Entry(account))
        }
    }

    func find(_ number: AccountNumber) -> Entry? { index[number.rawValue].map { entries[$0] } }
}
