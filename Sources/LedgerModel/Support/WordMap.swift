/// A map for the lookups made on every row by short names (account numbers, VAT codes): the
/// name's bytes packed in a word (``pack(_:)``) and a 32-bit tag (a currency, say) are the key,
/// found by open addressing with a multiplicative hash, so a lookup neither builds nor hashes a
/// `String`. Names that do not pack are the caller's to keep elsewhere.
public struct WordMap<Value> {
    private var words: [UInt64]
    private var tags: [UInt32]
    private var values: [Value?]
    public private(set) var count = 0

    public init() {
        words = [UInt64](repeating: 0, count: 16)
        tags = [UInt32](repeating: 0, count: 16)
        values = [Value?](repeating: nil, count: 16)
    }

    /// The name's UTF-8 bytes in one word, when it has 1 to 8 bytes, all ASCII and none zero, so
    /// equal words are equal names (and canonically equal spellings cannot differ in bytes).
    @inline(__always)
    public static func pack(_ name: String) -> UInt64? {
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

    /// The value for a packed name (never 0) and tag.
    public subscript(word: UInt64, tag: UInt32 = 0) -> Value? {
        let found = slot(word, tag)
        return words[found] == 0 ? nil : values[found]
    }

    /// Sets the value for a packed name (never 0) and tag.
    public mutating func set(_ value: Value, word: UInt64, tag: UInt32 = 0) {
        precondition(word != 0, "a packed name is never 0")
        let found = slot(word, tag)
        if words[found] == 0 {
            words[found] = word
            tags[found] = tag
            count += 1
        }
        values[found] = value
        if count * 2 > words.count { grow() }
    }

    @inline(__always)
    private func slot(_ word: UInt64, _ tag: UInt32) -> Int {
        let mask = words.count - 1
        var i = Int(truncatingIfNeeded: ((word ^ UInt64(tag) << 29) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while words[i] != 0 && (words[i] != word || tags[i] != tag) { i = (i + 1) & mask }
        return i
    }

    private mutating func grow() {
        let (oldWords, oldTags, oldValues) = (words, tags, values)
        words = [UInt64](repeating: 0, count: oldWords.count * 2)
        tags = [UInt32](repeating: 0, count: oldWords.count * 2)
        values = [Value?](repeating: nil, count: oldWords.count * 2)
        for i in oldWords.indices where oldWords[i] != 0 {
            let found = slot(oldWords[i], oldTags[i])
            words[found] = oldWords[i]
            tags[found] = oldTags[i]
            values[found] = oldValues[i]
        }
    }
}

extension WordMap: Sendable where Value: Sendable {}
