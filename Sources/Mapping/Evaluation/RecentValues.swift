/// The last few keys looked up and what each gave, compared in turn before a costlier lookup:
/// a line field's texts come back row after row (the rules cycle through a handful of
/// counter-accounts), and so do the accounts and VAT codes plan totals are posted to. Once full,
/// new keys overwrite the oldest.
///
/// A key of at most 16 bytes (a `String`, say) is first looked for by its bits: a text a rule
/// set is the same value row after row, and comparing two words finds it without calling `==`
/// on every key before it (which cost about 25 instructions a key). Keys whose bits are equal
/// are the same value, so this never finds a wrong entry; a key it misses is compared with `==`.
struct RecentValues<Key: Equatable, Value> {
    private var keys: [Key] = []
    private var bits: [SIMD2<UInt64>] = []
    private var values: [Value] = []
    private var next = 0
    static var capacity: Int { 16 }

    func value(for key: Key) -> Value? {
        if let wanted = Self.bits(of: key) {
            for i in bits.indices where bits[i] == wanted { return values[i] }
        }
        for i in keys.indices where keys[i] == key { return values[i] }
        return nil
    }

    mutating func remember(_ key: Key, _ value: Value) {
        let keyBits = Self.bits(of: key) ?? SIMD2()
        if keys.count < Self.capacity {
            keys.append(key)
            bits.append(keyBits)
            values.append(value)
        } else {
            keys[next] = key
            bits[next] = keyBits
            values[next] = value
            next = (next + 1) % Self.capacity
        }
    }

    /// The key's bytes, when it has at most 16; nil otherwise (decided when compiled).
    @inline(__always)
    private static func bits(of key: Key) -> SIMD2<UInt64>? {
        guard MemoryLayout<Key>.size <= MemoryLayout<SIMD2<UInt64>>.size else { return nil }
        var out = SIMD2<UInt64>()
        withUnsafeBytes(of: key) { key in withUnsafeMutableBytes(of: &out) { $0.copyMemory(from: key) } }
        return out
    }
}

extension RecentValues: Sendable where Key: Sendable, Value: Sendable {}
