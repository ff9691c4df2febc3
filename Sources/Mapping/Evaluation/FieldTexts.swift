import Foundation
import LedgerModel

/// Strings made from field bytes, found again by their bytes: a bank file's texts repeat (the
/// rent, the wages, the same shops), and making a string again costs more than finding it (its
/// bytes validated and copied, an allocation, and a free when its document goes).
///
/// One per evaluator, so one per worker: the documents holding these strings are freed on the
/// worker that made them (see ``DocumentBuilder/withNext(_:)``), so their reference counts stay
/// on its core. (Shared with the consumer, the counts cost more than the strings did.)
///
/// Direct-mapped: each of 2,048 slots holds the last text that hashed there. A text of up to 15
/// bytes is not remembered: Swift keeps it inline, with nothing to allocate or free.
struct FieldTexts {
    private var hashes = [UInt64](repeating: 0, count: Self.slotCount)
    private var texts = [String](repeating: "", count: Self.slotCount)
    private static let slotCount = 2048
    /// Texts shorter than this are made each time.
    private static let shortest = 16

    /// The text of `bytes` (UTF-8; invalid bytes become U+FFFD, as `String(decoding:as:)` does).
    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count >= Self.shortest else { return String(decoding: bytes, as: UTF8.self) }
        let hash = ByteHash.hash(UnsafeRawBufferPointer(bytes)) | 1
        let slot = Int(truncatingIfNeeded: hash >> 53) & (Self.slotCount - 1)
        if hashes[slot] == hash {
            let same = texts.withUnsafeBufferPointer { texts in
                texts[slot].utf8.withContiguousStorageIfAvailable { kept in
                    kept.count == bytes.count && memcmp(kept.baseAddress!, bytes.baseAddress!, bytes.count) == 0
                }
            }
            if same == true { return texts[slot] }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        hashes[slot] = hash
        texts[slot] = text
        return text
    }
}
