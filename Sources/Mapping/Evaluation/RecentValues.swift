import Foundation
import LedgerModel

/// The last few keys looked up and what each gave, compared in turn before a costlier lookup:
/// a line field's texts come back row after row (the rules cycle through a handful of
/// counter-accounts), and so do the accounts and VAT codes plan totals are posted to. Once full,
/// new keys overwrite the oldest.
///
/// A key of at most 32 bytes (a `String`, or a `String` and a currency) is first looked for by its bits: a text a rule
/// set is the same value row after row, and comparing two words finds it without calling `==`
/// on every key before it (which cost about 25 instructions a key). Keys whose bits are equal
/// are the same value, so this never finds a wrong entry; a key it misses is compared with `==`.
struct RecentValues<Key: Equatable, Value> {
    private var keys: [Key] = []
    private var bits: [SIMD4<UInt64>] = []
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
    @inline(__always)
    private static func bits(of key: Key) -> SIMD4<UInt64>? {
        guard MemoryLayout<Key>.size <= MemoryLayout<SIMD4<UInt64>>.size else { return nil }
        var out = SIMD4<UInt64>()
        withUnsafeBytes(of: key) { key in withUnsafeMutableBytes(of: &out) { $0.copyMemory(from: key) } }
        return out
    }
}

extension RecentValues: Sendable where Key: Sendable, Value: Sendable {}

/// The `String`s last made from field bytes, one per slot chosen by the bytes' hash. A field's
/// text longer than 15 bytes needs storage of its own, which costs an allocation, a copy and a
/// UTF-8 check (about 530 instructions for a bank text), and is freed on the thread that takes
/// the document; a bank statement's few common texts (a handful make most rows) are made once
/// and shared. Exact: a slot is used only when its text's bytes equal the field's.
struct TextCache {
    private var hashes: [UInt64]
    private var texts: [String]
    static let slots = 512

    init() {
        hashes = [UInt64](repeating: 0, count: Self.slots)
        texts = [String](repeating: "", count: Self.slots)
    }

    /// The text of `bytes` (invalid UTF-8 repaired, as `String(decoding:as:)` does).
    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        // Small strings are kept inline and cost nothing to make.
        guard bytes.count > 15 else { return String(decoding: bytes, as: UTF8.self) }
        let hash = ByteHash.hash(UnsafeRawBufferPointer(bytes)) | 1
        let slot = Int(truncatingIfNeeded: hash >> 55)
        if hashes[slot] == hash, Self.equal(texts[slot], bytes) { return texts[slot] }
        let text = String(decoding: bytes, as: UTF8.self)
        hashes[slot] = hash
        texts[slot] = text
        return text
    }

    @inline(__always)
    private static func equal(_ text: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.count == bytes.count && memcmp(utf8.baseAddress!, bytes.baseAddress!, bytes.count) == 0
        }
    }
}
