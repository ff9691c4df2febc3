import LedgerModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The texts made lately from a field's bytes, to hand out again when the same bytes come
/// back: a bank statement's descriptions ("Renter", "Gebyr kontoførelse", "Løn marts") repeat
/// row after row, and making each one anew validated its UTF-8 (the slow way, past the first
/// `ø`), allocated its storage, and freed it with the document: about 600 instructions a row.
///
/// Direct-mapped: a text's hash picks one of 256 slots, and a new text replaces whatever was
/// there, so the table stays a few kilobytes, in the fastest cache, whatever the file. One per
/// evaluator, so the strings it hands out are counted on their own worker's core.
struct RecentTexts {
    private var slots = [String](repeating: "", count: Self.count)
    private static let count = 256

    /// The text of `bytes` (not empty): the one made before when they are the bytes of a text in
    /// the table, else a new one, which takes its slot.
    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let slot = Self.slot(UnsafeRawBufferPointer(bytes))
        return slots.withUnsafeMutableBufferPointer { slots in
            let known = slots[slot].utf8.withContiguousStorageIfAvailable { stored in
                stored.count == bytes.count && memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0
            }
            if known == true { return slots[slot] }
            let made = String(decoding: bytes, as: UTF8.self)
            slots[slot] = made
            return made
        }
    }

    /// A slot from the text's length and its first and last eight bytes: texts that differ
    /// only in their middle share a slot, which costs a text made anew now and then, where a
    /// hash of every byte cost about 80 instructions a row.
    @inline(__always)
    private static func slot(_ bytes: UnsafeRawBufferPointer) -> Int {
        let count = bytes.count
        var mixed = UInt64(count)
        if count >= 8 {
            mixed ^= bytes.loadUnaligned(as: UInt64.self)
            mixed ^= bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) &* 0xFF51_AFD7_ED55_8CCD
        } else {
            for i in 0..<count { mixed ^= UInt64(bytes[i]) << (8 * i + 8) }
        }
        return Int(truncatingIfNeeded: (mixed &* 0x9E37_79B9_7F4A_7C15) >> 56)
    }
}
