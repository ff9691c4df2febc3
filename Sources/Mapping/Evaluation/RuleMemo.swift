import Foundation
import LedgerModel

/// Remembers which of a list of conditions (the skip rules, or the rules) first held for a row's
/// field values. The conditions depend only on the fields they read, and bank texts repeat (the
/// same shops, rent, wages), so evaluating a dozen conditions again for a text seen before is
/// wasted work. Exact: an entry keeps the field bytes it was made from and is used only when they
/// are equal. Bounded: cleared when full. Each list has its own memo, keyed by its own fields, so
/// a skip rule on the amount does not spoil the rules' memo on the text.
///
/// Not used when a condition reads a variable, whose value could come from elsewhere.
struct RuleMemo {
    /// The index of the first condition that held, or none.
    typealias Outcome = Int?

    private let refs: [FieldRef]
    /// The current row's key: the fields' bytes, each followed by a marker.
    private var key = ReusableBytes()
    /// The remembered keys, one 64-byte entry each, in the order they came (see ``Entry``), in
    /// storage aligned to 64 bytes from ``entryBase(_:)``.
    private var entries: [UInt8]
    /// How many entries `entries` has room for (it holds one more for the alignment).
    private var entryCapacity: Int { entries.count / Entry.size - 1 }
    /// Keys longer than an entry holds, end to end.
    private var arena: [UInt8] = []
    /// Open addressing over `entries`: 0 for an empty slot, else the key's tag (the high 16 bits
    /// of its hash) and its entry's number + 1. A power of two long, at most three quarters full;
    /// it starts small and doubles as keys come.
    ///
    /// Four bytes a slot keep the table small (128 KB for the 20,000 texts of the 1M-row bank
    /// file, a quarter of what 16-byte slots took), and the key sits in its entry, so a lookup of
    /// a key that comes back rarely (a card payment's text, with its shop and date) no longer
    /// waits for the key's bytes after its slot. With 16-byte slots and the keys in a separate
    /// arena, the memo took about 9 % of the CPU samples of mapping that file; now about 6.7 %,
    /// most of it still waiting for the slot's line and then the entry's.
    private var slots: [UInt32]
    private var used = 0
    /// Where the last `lookup` stopped: the free slot its key would go into.
    private var lastSlot = 0
    private var lastHash: UInt32 = 0
    private var lookups = 0
    private var hits = 0
    /// Set when remembering does not pay: fewer than half the first lookups were hits.
    private(set) var retired = false

    /// At most this many keys, and this many bytes of long keys, are remembered; then the memo
    /// starts over. About 4.3 MB at most, whatever the file's size.
    static let limit = 32_768
    static let arenaLimit = 2 << 20

    /// An entry: the key's hash (4 bytes), its length (2), the outcome (2: the condition's index,
    /// -1 for none), then the key itself when it is at most ``Entry/inlineBytes`` long, else
    /// where it starts in the arena (4).
    enum Entry {
        static let size = 64
        static let inlineBytes = 56

        /// Whether a key of this length is kept in its entry, not in the arena.
        static func holdsKey(_ length: Int) -> Bool { length <= inlineBytes }
    }

    /// nil when the conditions cannot be remembered (they read variables, or nothing, or are too
    /// many for an entry's outcome).
    init?(_ conditions: ConditionProgram) {
        let refs = conditions.fieldsRead
        let readsVariables = refs.contains {
            if case .variable = $0 { return true }
            return false
        }
        guard !readsVariables, !refs.isEmpty, conditions.count < Int(Int16.max) else { return nil }
        self.refs = refs
        slots = [UInt32](repeating: 0, count: 1024)
        entries = Self.entryStorage(512)
    }

    /// The remembered outcome for this row's fields, or nil when there is none yet.
    mutating func lookup(_ row: RowState, _ evaluator: Evaluator) throws(EvalFailure) -> Outcome? {
        if retired { return nil }
        lookups += 1
        if lookups == 8192 && hits < lookups / 2 {
            // Values hardly repeat (amounts, references): stop paying for the table.
            retired = true
            slots = []
            entries = []
            arena = []
            return nil
        }
        key.truncate(to: 0)
        for ref in refs {
            let present = try evaluator.withField(ref, row) { (bytes) throws(EvalFailure) -> Bool in
                key.append(contentsOf: bytes)
                return true
            }
            key.append(present == nil ? 0x1E : 0x1F)
        }
        let (found, hash, slot) = key.withUnsafeBufferPointer { key in
            entries.withUnsafeBytes { entries in
                arena.withUnsafeBufferPointer { arena in
                    slots.withUnsafeBufferPointer { slots in
                        Self.find(key, Self.entryBase(entries), arena, slots)
                    }
                }
            }
        }
        guard let found else {
            (lastHash, lastSlot) = (hash, slot)
            return nil
        }
        hits += 1
        return .some(found < 0 ? nil : Int(found))
    }

    /// The first 64-byte boundary in `storage` (which has a spare entry's room for it).
    @inline(__always)
    private static func entryBase(_ storage: UnsafeRawBufferPointer) -> UnsafeRawPointer {
        let address = UInt(bitPattern: storage.baseAddress!)
        let aligned = (address + UInt(Entry.size - 1)) & ~UInt(Entry.size - 1)
        return storage.baseAddress! + Int(aligned - address)
    }

    /// The key's outcome if it is there; its hash, and the slot where probing stopped.
    private static func find(
        _ key: UnsafeBufferPointer<UInt8>, _ entries: UnsafeRawPointer, _ arena: UnsafeBufferPointer<UInt8>,
        _ slots: UnsafeBufferPointer<UInt32>
    ) -> (Int16?, UInt32, Int) {
        let hash = Self.hash(key)
        let tag = hash >> 16
        let mask = slots.count - 1
        var i = Int(hash) & mask
        while true {
            let slot = slots[i]
            if slot == 0 { return (nil, hash, i) }
            if slot >> 16 == tag {
                let entry = entries + Int(slot & 0xFFFF - 1) * Entry.size
                if entry.load(as: UInt32.self) == hash, Int(entry.load(fromByteOffset: 4, as: UInt16.self)) == key.count
                {
                    let bytes =
                        Entry.holdsKey(key.count)
                        ? entry + 8
                        : UnsafeRawPointer(arena.baseAddress! + Int(entry.load(fromByteOffset: 8, as: UInt32.self)))
                    if memcmp(bytes, key.baseAddress!, key.count) == 0 {
                        return (entry.load(fromByteOffset: 6, as: Int16.self), hash, i)
                    }
                }
            }
            i = (i + 1) & mask
        }
    }

    /// Remembers the outcome for the fields of the last `lookup`.
    mutating func store(_ outcome: Outcome) {
        if retired || key.count > Int(UInt16.max) { return }
        let long = !Entry.holdsKey(key.count)
        if used >= Self.limit || (long && arena.count + key.count > Self.arenaLimit) {
            // Start over; the key goes where its probe now starts.
            for i in slots.indices { slots[i] = 0 }
            arena.removeAll(keepingCapacity: true)
            used = 0
            lastSlot = Int(lastHash) & (slots.count - 1)
        } else if (used + 1) * 4 > slots.count * 3 {
            grow()
        }
        if used == entryCapacity { growEntries() }
        let start = arena.count
        if long { key.withUnsafeBufferPointer { arena.append(contentsOf: $0) } }
        let (hash, length, used) = (lastHash, key.count, used)
        key.withUnsafeBufferPointer { key in
            entries.withUnsafeMutableBytes { storage in
                let entry =
                    UnsafeMutableRawPointer(mutating: Self.entryBase(UnsafeRawBufferPointer(storage)))
                    + used * Entry.size
                entry.storeBytes(of: hash, as: UInt32.self)
                entry.storeBytes(of: UInt16(length), toByteOffset: 4, as: UInt16.self)
                entry.storeBytes(of: Int16(outcome ?? -1), toByteOffset: 6, as: Int16.self)
                if long {
                    entry.storeBytes(of: UInt32(start), toByteOffset: 8, as: UInt32.self)
                } else if let bytes = key.baseAddress {
                    (entry + 8).copyMemory(from: bytes, byteCount: length)
                }
            }
        }
        slots[lastSlot] = (hash >> 16) << 16 | UInt32(used + 1)
        self.used += 1
    }

    /// Doubles the table; the new key's slot is found again.
    private mutating func grow() {
        var larger = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = larger.count - 1
        for slot in slots where slot != 0 {
            let hash = entries.withUnsafeBytes { storage in
                (Self.entryBase(storage) + Int(slot & 0xFFFF - 1) * Entry.size).load(as: UInt32.self)
            }
            var i = Int(hash) & mask
            while larger[i] != 0 { i = (i + 1) & mask }
            larger[i] = slot
        }
        slots = larger
        lastSlot = Int(lastHash) & mask
        while slots[lastSlot] != 0 { lastSlot = (lastSlot + 1) & mask }
    }

    /// Room for `capacity` entries and the alignment, left as it comes: only entries below
    /// `used` are ever read, and pages not written stay out of the process's memory (filled
    /// with zeros, the room for the 1M-row file's 20,000 texts took 0.8 MB more a worker).
    private static func entryStorage(_ capacity: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: capacity * Entry.size + Entry.size) { _, count in
            count = capacity * Entry.size + Entry.size
        }
    }

    /// Doubles the room for entries (the new storage may align differently).
    private mutating func growEntries() {
        let capacity = min(entryCapacity * 2, Self.limit)
        var larger = Self.entryStorage(capacity)
        let count = used * Entry.size
        entries.withUnsafeBytes { old in
            larger.withUnsafeMutableBytes { new in
                UnsafeMutableRawPointer(mutating: Self.entryBase(UnsafeRawBufferPointer(new))).copyMemory(
                    from: Self.entryBase(old), byteCount: count)
            }
        }
        entries = larger
    }

    /// The hash a key is filed under: a single field's key is its bytes and 0x1F.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        UInt32(truncatingIfNeeded: ByteHash.hash(UnsafeRawBufferPointer(bytes)))
    }
}
