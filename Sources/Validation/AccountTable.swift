import LedgerModel

/// The chart of accounts as validation looks it up: twice a line, so for every row of a file.
///
/// Accounts of at most 8 ASCII bytes (nearly all: `5500`, `1000-01`) are found by their bytes in
/// a small open-addressing table, without hashing a `String`; others go through a dictionary
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

    /// Packed account bytes per slot; 0 is empty.
    private var keys: [UInt64]
    private var entries: [Entry?]
    private var others: [AccountNumber: Entry] = [:]

    /// The accounts and then the deposit accounts, as ``ReferenceData/account(_:)`` finds them.
    init(_ reference: ReferenceData) {
        let all =
            Array(reference.accounts.values)
            + reference.depositAccounts.values.filter {
                reference.accounts[$0.number] == nil
            }
        var capacity = 16
        while capacity < all.count * 2 { capacity *= 2 }
        keys = [UInt64](repeating: 0, count: capacity)
        entries = [Entry?](repeating: nil, count: capacity)
        for account in all {
            let entry = Entry(account)
            guard let key = Self.key(account.number) else {
                others[account.number] = entry
                continue
            }
            var i = Self.slot(key, keys.count - 1)
            while keys[i] != 0 { i = (i + 1) & (keys.count - 1) }
            keys[i] = key
            entries[i] = entry
        }
    }

    func find(_ number: AccountNumber) -> Entry? {
        guard let key = Self.key(number) else { return others[number] }
        let mask = keys.count - 1
        var i = Self.slot(key, mask)
        while true {
            let slot = keys[i]
            if slot == key { return entries[i] }
            if slot == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    /// The number's bytes in one word, when it has 1 to 8 bytes, all ASCII and none zero (so
    /// equal words are equal numbers, and canonically equal spellings cannot differ in bytes).
    @inline(__always)
    private static func key(_ number: AccountNumber) -> UInt64? {
        var text = number.rawValue
        return text.withUTF8 { bytes -> UInt64? in
            guard (1...8).contains(bytes.count) else { return nil }
            var key: UInt64 = 0
            for (i, byte) in bytes.enumerated() {
                guard byte != 0, byte < 0x80 else { return nil }
                key |= UInt64(byte) << (i * 8)
            }
            return key
        }
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }
}
