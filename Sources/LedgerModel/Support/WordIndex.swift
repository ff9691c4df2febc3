/// An index from names (account numbers, VAT codes) and a 32-bit tag (a currency, say) to
/// positions in the caller's own array, for lookups made on every row. A name of up to 8 ASCII
/// bytes, nearly every one, is packed in a word (``pack(_:)``) and found by open addressing with a
/// multiplicative hash, so the lookup neither builds nor hashes a `String`; other names go to a
/// dictionary. Not generic, so calls from other modules need no type metadata.
public struct WordIndex: Sendable {
    private var words: [UInt64]
    private var tags: [UInt32]
    private var positions: [Int32]
    /// Packed names in use.
    private var used = 0
    /// Names that do not pack.
    private var others: [Other: Int] = [:]

    private struct Other: Hashable {
        var name: String
        var tag: UInt32
    }

    /// How many (name, tag) keys the index has.
    public var count: Int { used + others.count }

    public init() {
        words = [UInt64](repeating: 0, count: 16)
        tags = [UInt32](repeating: 0, count: 16)
        positions = [Int32](repeating: 0, count: 16)
    }

    /// The name's UTF-8 bytes in one word, when it has 1 to 8 bytes, all ASCII and none zero, so
    /// equal words are equal names (and canonically equal spellings cannot differ in bytes).
    static func pack(_ name: String) -> UInt64? {
        var name = name
        return name.withUTF8 { bytes -> UInt64? in
            guard (1...8).contains(bytes.count) else { return nil }
            var word: UInt64 = 0
            for (i, byte) in bytes.enumerated() {
                guard byte != 0, byte < 0x80 else { return nil }
                word |= UInt64(byte) << (i * 8)
            }
            return word
        }
    }

    /// The position for a name and tag.
    public subscript(name: String, tag: UInt32 = 0) -> Int? {
        guard let word = Self.pack(name) else { return others[Other(name: name, tag: tag)] }
        return self[word, tag]
    }

    /// Sets the position (0 to `Int32.max`) for a name and tag.
    public mutating func set(_ position: Int, name: String, tag: UInt32 = 0) {
        guard let word = Self.pack(name) else { return others[Other(name: name, tag: tag)] = position }
        set(position, word: word, tag: tag)
    }

    /// The position for a packed name (never 0) and tag.
    subscript(word: UInt64, tag: UInt32 = 0) -> Int? {
        let found = slot(word, tag)
        return words[found] == 0 ? nil : Int(positions[found])
    }

    /// Sets the position for a packed name (never 0) and tag.
    mutating func set(_ position: Int, word: UInt64, tag: UInt32 = 0) {
        precondition(word != 0, "a packed name is never 0")
        let found = slot(word, tag)
        if words[found] == 0 {
            words[found] = word
            tags[found] = tag
            used += 1
        }
        positions[found] = Int32(position)
        if used * 2 > words.count { grow() }
    }

    private func slot(_ word: UInt64, _ tag: UInt32) -> Int {
        let mask = words.count - 1
        var i = Int(truncatingIfNeeded: ((word ^ UInt64(tag) << 29) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while words[i] != 0 && (words[i] != word || tags[i] != tag) { i = (i + 1) & mask }
        return i
    }

    private mutating func grow() {
        let (oldWords, oldTags, oldPositions) = (words, tags, positions)
        words = [UInt64](repeating: 0, count: oldWords.count * 2)
        tags = [UInt32](repeating: 0, count: oldWords.count * 2)
        positions = [Int32](repeating: 0, count: oldWords.count * 2)
        for i in oldWords.indices where oldWords[i] != 0 {
            let found = slot(oldWords[i], oldTags[i])
            words[found] = oldWords[i]
            tags[found] = oldTags[i]
            positions[found] = oldPositions[i]
        }
    }
}

/// The last few keys looked up and what each gave, compared in turn before a costlier lookup:
/// a line field's texts come back row after row (the rules cycle through a handful of
/// counter-accounts), and so do the accounts and VAT codes plan totals are posted to. Once full,
/// new keys overwrite the oldest.
///
/// A key of at most 32 bytes (a `String`, or a `String` and a currency) is first looked for by its bits: a text a rule
/// set is the same value row after row, and comparing two words finds it without calling `==`
/// on every key before it (which cost about 25 instructions a key). Keys whose bits are equal
/// are the same value, so this never finds a wrong entry; a key it misses is compared with `==`.
public struct RecentValues<Key: Equatable, Value> {
    @usableFromInline var keys: [Key] = []
    @usableFromInline var bits: [SIMD4<UInt64>] = []
    @usableFromInline var values: [Value] = []
    @usableFromInline var next = 0
    @inlinable static var capacity: Int { 16 }

    public init() {}

    @inlinable
    public func value(for key: Key) -> Value? {
        if let wanted = Self.bits(of: key) {
            for i in bits.indices where bits[i] == wanted { return values[i] }
        }
        for i in keys.indices where keys[i] == key { return values[i] }
        return nil
    }

    @inlinable
    public mutating func remember(_ key: Key, _ value: Value) {
        let keyBits = Self.bits(of: key) ?? SIMD4()
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

    /// The key's bytes, when it has at most 32; nil otherwise (decided when compiled).
    @inlinable @inline(__always)
    static func bits(of key: Key) -> SIMD4<UInt64>? {
        guard MemoryLayout<Key>.size <= MemoryLayout<SIMD4<UInt64>>.size else { return nil }
        var out = SIMD4<UInt64>()
        withUnsafeBytes(of: key) { key in withUnsafeMutableBytes(of: &out) { $0.copyMemory(from: key) } }
        return out
    }
}

extension RecentValues: Sendable where Key: Sendable, Value: Sendable {}
