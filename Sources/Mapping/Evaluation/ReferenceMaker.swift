import CSHA256
import Crypto
import LedgerModel
import Readers

/// A SHA-256 digest, held inline: a document's content, as ``ReferenceHasher`` digests it.
///
/// Hashed by `ll_sha256` (the `CSHA256` target) where the processor has SHA extensions it uses
/// (x86-64): swift-crypto allocates and clears a context object for every hash, which cost more
/// than hashing a document's 170 bytes. Elsewhere (ARM) by swift-crypto, whose BoringSSL or
/// CryptoKit uses that processor's extensions. The tests check both give the same digests.
struct ContentDigest: Sendable, Equatable {
    /// The digest's 32 bytes, in order.
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    private static let accelerated = ll_sha256_accelerated() == 1

    /// The SHA-256 of `bytes`.
    init(of bytes: UnsafeRawBufferPointer) {
        self.init(of: bytes, oneCall: Self.accelerated)
    }

    /// The SHA-256 of `bytes`, through `ll_sha256` when `oneCall`, else through swift-crypto.
    init(of bytes: UnsafeRawBufferPointer, oneCall: Bool) {
        guard oneCall else {
            let digest = SHA256.hash(data: bytes)
            withUnsafeMutableBytes(of: &words) { out in digest.withUnsafeBytes { out.copyMemory(from: $0) } }
            return
        }
        withUnsafeMutableBytes(of: &words) { out in
            ll_sha256(bytes.baseAddress, bytes.count, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The digest's first 8 bytes, as they lie in memory.
    var prefix: UInt64 { words.0 }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    static func == (lhs: ContentDigest, rhs: ContentDigest) -> Bool {
        lhs.words == rhs.words
    }
}

/// Derives each document's external reference: the key that makes booking exactly-once, so it
/// must be the same on every run and different for every document.
///
/// The reference is a SHA-256 of the mapping's name, the document kind and the content of the
/// rows that made the document, plus how many times that same content came before in the file
/// (two identical coffees on one day are two documents). It does not depend on the file's name,
/// size or other rows, so a re-exported statement that overlaps an earlier one, or a file dropped
/// in again after one row was fixed, gives the rows already booked their old references.
/// With `reference: { scope: file }` the file's own SHA-256 is mixed in as well.
///
/// Format: `ll1-` and 26 base-32 characters (130 bits); the `1` versions the scheme, which must
/// never change for existing mappings.
///
/// Work is split in two so the content can be hashed on any thread: ``ReferenceHasher`` digests
/// a document's rows and takes the reference it has when the content is new (kept as bits, see
/// ``DocumentReference``);
/// ``ReferenceCounter`` sees every digest in file order and says how often it came before.
struct ReferenceHasher {
    static let maxLength = 128
    private let prefixLength: Int
    /// The content being hashed: the prefix, then the rows; reused from document to document.
    private var content = ReusableBytes(capacity: 1024)

    init(name: String, kind: DocumentKind, fileDigest: [UInt8]?) {
        var prefix = Array("ledgerlift-reference-v1".utf8) + [0x1F]
        prefix += Array(name.utf8) + [0x1F] + Array(kind.rawValue.utf8) + [0x1F]
        if let fileDigest { prefix += fileDigest + [0x1F] }
        prefixLength = prefix.count
        prefix.withUnsafeBufferPointer { content.append(contentsOf: $0) }
    }

    /// The digest of the rows' content, and the reference for its first occurrence.
    mutating func digest(of first: RowState, _ more: ArraySlice<RowState>) -> (ContentDigest, DocumentReference) {
        content.truncate(to: prefixLength)
        Self.append(first, to: &content)
        for row in more { Self.append(row, to: &content) }
        let digest = content.withUnsafeBufferPointer { ContentDigest(of: UnsafeRawBufferPointer($0)) }
        return (digest, digest.withUnsafeBytes { DocumentReference(derivedFrom: $0) })
    }

    /// The reference of a content's `occurrence`th appearance (2 and up): from the SHA-256 of
    /// the content's digest followed by `#` and the occurrence.
    static func reference(_ digest: ContentDigest, occurrence: UInt32) -> DocumentReference {
        var message = digest.withUnsafeBytes { Array($0) }
        message += "#\(occurrence)".utf8
        return message.withUnsafeBytes { ContentDigest(of: $0) }.withUnsafeBytes { DocumentReference(derivedFrom: $0) }
    }

    /// A row's content, then a separator: through the row's column view when it has one.
    private static func append(_ row: RowState, to out: inout ReusableBytes) {
        if let view = row.columns {
            append(view, to: &out)
        } else {
            append(row.record, to: &out)
        }
        out.append(0x1E)
    }

    /// A CSV row's content: the fields' bytes end to end, then where each ends (32-bit
    /// little-endian).
    private static func append(_ view: ColumnView, to out: inout ReusableBytes) {
        out.append(contentsOf: view.bytes)
        out.append(0x1F)
        #if _endian(little)
            out.append(contentsOf: UnsafeRawBufferPointer(view.ends))
        #else
            for end in view.ends { withUnsafeBytes(of: end.littleEndian) { out.append(contentsOf: $0) } }
        #endif
    }

    /// A record's content. CSV: as for a column view. Trees: each node's name, kind, parent and
    /// value.
    private static func append(_ record: Record, to out: inout ReusableBytes) {
        switch record.fields {
        case .columns(let columns):
            columns.withStorage { bytes, ends in append(ColumnView(bytes: bytes, ends: ends), to: &out) }
        case .tree(let tree):
            for (id, node) in tree.nodes.enumerated() {
                out.append(contentsOf: node.name)
                out.append(0x1D)
                out.append(node.kind.rawValue)
                withUnsafeBytes(of: node.parent.littleEndian) { out.append(contentsOf: $0) }
                tree.withValueBytes(of: id) { out.append(contentsOf: $0) }
                out.append(0x1F)
            }
        }
    }
}

/// Counts how often each document content came before, in file order, and gives repeated
/// content its own reference.
///
/// Memory: 8 bytes per distinct document content seen in the file in a table at most 85 % full,
/// about 10.5 MB per million documents.
struct ReferenceCounter {
    private var occurrences = OccurrenceTable()
    /// What `touch` read, kept so the reads are not optimized away.
    private var touched: UInt64 = 0

    /// Makes room for about `count` distinct contents in all.
    mutating func reserve(_ count: Int) {
        occurrences.reserve(count)
    }

    /// Reads the table where `digest` will be counted, to bring it into the cache before
    /// ``count(_:_:)``.
    mutating func touch(_ digest: ContentDigest) {
        touched &+= occurrences.peek(digest.prefix)
    }

    /// Fixes the reference of a document whose content came before.
    mutating func count(_ digest: ContentDigest, _ event: inout MappingEvent) {
        let occurrence = occurrences.increment(digest.prefix)
        guard occurrence > 1, case .document(var document) = event else { return }
        document.referenceValue = ReferenceHasher.reference(digest, occurrence: occurrence)
        event = .document(document)
    }
}

/// Counts per 64-bit key in flat open-addressing arrays: the key's top 56 bits and an 8-bit
/// count share a word (0 is empty). Counts past 255 continue in a small dictionary.
///
/// The table is split into 256 shards by the key's low byte, each growing on its own, so
/// growing never holds an old and a new copy of the whole table at once. A shard may be up to
/// 85 % full and grows by a quarter, so it is 76 % full on average: about 10.5 bytes a key.
/// (Nearly every key is new, and a new key costs one cache miss and then a few more words on
/// the same or the next cache line, however full the shard is.) Growing a quarter at a time
/// moves each key about four times, so a caller that can estimate how many keys will come
/// (``DocumentBuilder``, from the file's size once 4 MB are read) reserves room for them at
/// once: 80 % full at the estimate, about 10 bytes a key.
struct OccurrenceTable {
    private var shards = [[UInt64]](repeating: [UInt64](repeating: 0, count: 16), count: 256)
    private var used = [Int32](repeating: 0, count: 256)
    private var overflow: [UInt64: UInt32] = [:]

    /// Counts one more occurrence of `key` and returns the new count (1 the first time).
    mutating func increment(_ key: UInt64) -> UInt32 {
        let (tag, shard) = Self.split(key)
        switch shards[shard].withUnsafeMutableBufferPointer({ Self.bump(tag, in: $0) }) {
        case .inserted:
            used[shard] += 1
            if Int(used[shard]) * 20 > shards[shard].count * 17 { grow(shard) }
            return 1
        case .counted(let count):
            return count
        case .saturated:
            let more = (overflow[tag | UInt64(shard)] ?? 255) + 1
            overflow[tag | UInt64(shard)] = more
            return more
        }
    }

    /// Grows each shard to hold its share of `count` keys (at most 80 % full), at once.
    mutating func reserve(_ count: Int) {
        let perShard = count / shards.count + 1
        let wanted = perShard * 5 / 4 + 1
        for shard in shards.indices where shards[shard].count < wanted {
            rehash(shard, into: wanted)
        }
    }

    /// The word where probing for `key` starts.
    func peek(_ key: UInt64) -> UInt64 {
        let (tag, shard) = Self.split(key)
        return shards[shard].withUnsafeBufferPointer { $0[Self.start(tag, $0.count)] }
    }

    /// The key's tag (its top 56 bits, never 0, the low byte left for the count) and shard
    /// (its low byte).
    @inline(__always)
    private static func split(_ key: UInt64) -> (tag: UInt64, shard: Int) {
        ((key | 0x100) & ~0xFF, Int(truncatingIfNeeded: key & 0xFF))
    }

    private enum Bump {
        case inserted
        case counted(UInt32)
        case saturated
    }

    @inline(__always)
    private static func bump(_ tag: UInt64, in slots: UnsafeMutableBufferPointer<UInt64>) -> Bump {
        var i = start(tag, slots.count)
        while true {
            let slot = slots[i]
            if slot == 0 {
                slots[i] = tag | 1
                return .inserted
            }
            if slot & ~0xFF == tag {
                let count = slot & 0xFF
                guard count < 255 else { return .saturated }
                slots[i] = tag | (count + 1)
                return .counted(UInt32(count + 1))
            }
            i += 1
            if i == slots.count { i = 0 }
        }
    }

    private mutating func grow(_ shard: Int) {
        rehash(shard, into: shards[shard].count + shards[shard].count / 4)
    }

    private mutating func rehash(_ shard: Int, into count: Int) {
        let old = shards[shard]
        var slots = [UInt64](repeating: 0, count: count)
        for slot in old where slot != 0 {
            var i = Self.start(slot & ~0xFF, slots.count)
            while slots[i] != 0 {
                i += 1
                if i == slots.count { i = 0 }
            }
            slots[i] = slot
        }
        shards[shard] = slots
    }

    /// Where probing for `tag` starts in `count` slots (the same on insert and on growth): the
    /// high bits of a mixed hash scaled to the count, which need not be a power of two.
    @inline(__always)
    private static func start(_ tag: UInt64, _ count: Int) -> Int {
        let mixed = ((tag ^ (tag >> 29)) &* 0x9E37_79B9_7F4A_7C15) >> 32
        return Int(truncatingIfNeeded: (mixed &* UInt64(count)) >> 32)
    }
}
