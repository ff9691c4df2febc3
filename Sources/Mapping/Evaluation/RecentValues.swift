import Foundation
import LedgerModel

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
