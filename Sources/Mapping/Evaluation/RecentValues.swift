/// The last few keys looked up and what each gave, compared in turn before a costlier lookup:
/// a line field's texts come back row after row (the rules cycle through a handful of
/// counter-accounts), and so do the accounts and VAT codes plan totals are posted to. Equal small
/// strings compare in a word or two. Once full, new keys overwrite the oldest.
struct RecentValues<Key: Equatable, Value> {
    private var keys: [Key] = []
    private var values: [Value] = []
    private var next = 0
    static var capacity: Int { 8 }

    func value(for key: Key) -> Value? {
        for i in keys.indices where keys[i] == key { return values[i] }
        return nil
    }

    mutating func remember(_ key: Key, _ value: Value) {
        if keys.count < Self.capacity {
            keys.append(key)
            values.append(value)
        } else {
            keys[next] = key
            values[next] = value
            next = (next + 1) % Self.capacity
        }
    }
}

extension RecentValues: Sendable where Key: Sendable, Value: Sendable {}
