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
    /// Every remembered key's bytes, end to end.
    private var arena: [UInt8] = []
    /// Open addressing over `arena`; a power of two long, at most three quarters full (a hit,
    /// nearly every lookup, probes about 2.5 slots). It starts small and doubles as keys come.
    private var slots: [Slot]
    private var used = 0
    /// Where the last `lookup` stopped: the free slot its key would go into.
    private var lastSlot = 0
    private var lastHash: UInt32 = 0
    private var lookups = 0
    private var hits = 0
    /// Set when remembering does not pay: fewer than half the first lookups were hits.
    private(set) var retired = false

    /// At most this many keys, and this many bytes of them, are remembered; then the memo
    /// starts over. About 3 MB at most, whatever the file's size.
    static let limit = 32_768
    static let arenaLimit = 2 << 20

    private struct Slot {
        static let empty = Slot(hash: 0, start: 0, length: 0, outcome: .min)
        var hash: UInt32
        var start: UInt32
        var length: UInt32
        /// The condition's index, -1 for none, `.min` for an empty slot.
        var outcome: Int32
    }

    /// nil when the conditions cannot be remembered (they read variables, or nothing).
    init?(_ conditions: ConditionProgram) {
        let refs = conditions.fieldsRead
        let readsVariables = refs.contains {
            if case .variable = $0 { return true }
            return false
        }
        guard !readsVariables, !refs.isEmpty else { return nil }
        self.refs = refs
        slots = [Slot](repeating: .empty, count: 1024)
    }

    /// The remembered outcome for this row's fields, or nil when there is none yet.
    mutating func lookup(_ row: RowState, _ evaluator: Evaluator) throws(EvalFailure) -> Outcome? {
        if retired { return nil }
        lookups += 1
        if lookups == 8192 && hits < lookups / 2 {
            // Values hardly repeat (amounts, references): stop paying for the table.
            retired = true
            slots = []
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
            arena.withUnsafeBufferPointer { arena in
                slots.withUnsafeBufferPointer { slots in Self.find(key, arena, slots) }
            }
        }
        guard let found else {
            (lastHash, lastSlot) = (hash, slot)
            return nil
        }
        hits += 1
        return .some(found < 0 ? nil : Int(found))
    }

    /// The key's outcome if it is there; its hash, and the slot where probing stopped.
    private static func find(
        _ key: UnsafeBufferPointer<UInt8>, _ arena: UnsafeBufferPointer<UInt8>, _ slots: UnsafeBufferPointer<Slot>
    ) -> (Int32?, UInt32, Int) {
        let hash = Self.hash(key)
        let mask = slots.count - 1
        var i = Int(hash) & mask
        while true {
            let slot = slots[i]
            if slot.outcome == .min { return (nil, hash, i) }
            if slot.hash == hash, Int(slot.length) == key.count,
                memcmp(arena.baseAddress! + Int(slot.start), key.baseAddress!, key.count) == 0
            {
                return (slot.outcome, hash, i)
            }
            i = (i + 1) & mask
        }
    }

    /// Remembers the outcome for the fields of the last `lookup`.
    mutating func store(_ outcome: Outcome) {
        if retired { return }
        if used >= Self.limit || arena.count + key.count > Self.arenaLimit {
            // Start over; the key goes where its probe now starts.
            for i in slots.indices { slots[i] = .empty }
            arena.removeAll(keepingCapacity: true)
            used = 0
            lastSlot = Int(lastHash) & (slots.count - 1)
        } else if (used + 1) * 4 > slots.count * 3 {
            grow()
        }
        slots[lastSlot] = Slot(
            hash: lastHash, start: UInt32(arena.count), length: UInt32(key.count), outcome: Int32(outcome ?? -1))
        key.withUnsafeBufferPointer { arena.append(contentsOf: $0) }
        used += 1
    }

    /// Doubles the table; the new key's slot is found again.
    private mutating func grow() {
        var larger = [Slot](repeating: .empty, count: slots.count * 2)
        let mask = larger.count - 1
        for slot in slots where slot.outcome != .min {
            var i = Int(slot.hash) & mask
            while larger[i].outcome != .min { i = (i + 1) & mask }
            larger[i] = slot
        }
        slots = larger
        lastSlot = Int(lastHash) & mask
        while slots[lastSlot].outcome != .min { lastSlot = (lastSlot + 1) & mask }
    }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        UInt32(truncatingIfNeeded: ByteHash.hash(UnsafeRawBufferPointer(bytes)))
    }
}
