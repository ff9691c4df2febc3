/// Texts looked for anywhere in a field, all in one pass: what a regular expression that is only
/// literal alternatives (`netto|rema|føtex`) asks, answered without the regular-expression
/// engine. glibc's `regexec` cost about 4,000 instructions for a 40-byte bank text (it copies
/// and upper-cases the text for `REG_ICASE`, then runs its automaton); this scan costs a table
/// lookup a byte and a comparison where a text could start.
///
/// Plain memory, no reference counts: reading it from several threads at once is free. Owned
/// by whoever made it (``RegexBox``), which calls ``deallocate()``.
struct LiteralSet: @unchecked Sendable {
    /// For each byte value, a bit for each text that starts with it.
    private let starts: UnsafeMutablePointer<UInt64>
    private let bytes: UnsafeMutablePointer<UInt8>
    /// Where each text ends in `bytes`, after a leading 0.
    private let ends: UnsafeMutablePointer<Int32>
    private let shortest: Int

    /// At most this many texts (one bit each in a word).
    static let maxCount = 64

    /// The texts of `pattern` when it is only literal alternatives, each at least one byte, with
    /// no character that means something in a POSIX extended regular expression: folded as
    /// ``CaseFolding/fold(_:)`` folds when `ignoreCase`. Nil for any other pattern.
    static func alternatives(of pattern: String, ignoreCase: Bool) -> [[UInt8]]? {
        let special = Set(".[]()*+?{}^$\\".utf8)
        var texts: [[UInt8]] = []
        for alternative in Array(pattern.utf8).split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false) {
            guard !alternative.isEmpty, !alternative.contains(where: special.contains) else { return nil }
            texts.append(ignoreCase ? CaseFolding.fold(Array(alternative)) : Array(alternative))
        }
        return texts.count <= maxCount ? texts : nil
    }

    /// `texts`: 1 to ``maxCount``, none empty.
    init(_ texts: [[UInt8]]) {
        precondition(!texts.isEmpty && texts.count <= Self.maxCount && texts.allSatisfy { !$0.isEmpty })
        shortest = texts.map(\.count).min()!
        starts = .allocate(capacity: 256)
        starts.initialize(repeating: 0, count: 256)
        let total = texts.reduce(0) { $0 + $1.count }
        bytes = .allocate(capacity: total)
        ends = .allocate(capacity: texts.count + 1)
        ends[0] = 0
        var at = 0
        for (index, text) in texts.enumerated() {
            starts[Int(text[0])] |= 1 << UInt64(index)
            for byte in text {
                bytes[at] = byte
                at += 1
            }
            ends[index + 1] = Int32(at)
        }
    }

    func deallocate() {
        starts.deallocate()
        bytes.deallocate()
        ends.deallocate()
    }

    /// Whether any of the texts occurs in `haystack`.
    func occurs(in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        guard haystack.count >= shortest, let base = haystack.baseAddress else { return false }
        let last = haystack.count - shortest
        var i = 0
        while i <= last {
            var candidates = starts[Int(base[i])]
            while candidates != 0 {
                let index = candidates.trailingZeroBitCount
                candidates &= candidates - 1
                let start = Int(ends[index])
                let length = Int(ends[index + 1]) - start
                guard length <= haystack.count - i else { continue }
                var j = 1
                while j < length && base[i + j] == bytes[start + j] { j += 1 }
                if j == length { return true }
            }
            i += 1
        }
        return false
    }
}

/// The texts an `in:` test compares a whole field with, as folded bytes in a hash table: a field
/// of ASCII and Latin-1 letters is looked up from its bytes, folded and hashed in one pass, with
/// no `String` made and no Unicode hashing (about 3,700 instructions for a bank text with
/// `String.lowercased()` or the Latin-1 lowering and `Set<String>.contains`).
///
/// Any other field (another script, white space to trim at either end) is left to the test's
/// `Set<String>`: ``contains(_:)`` says nil.
///
/// Plain memory, no reference counts; owned by whoever made it, which calls ``deallocate()``.
struct ExactSet: @unchecked Sendable {
    /// Member indices + 1 (0: empty), open addressing; a power of two long.
    private let slots: UnsafeMutablePointer<Int32>
    private let mask: Int
    private let bytes: UnsafeMutablePointer<UInt8>
    /// Where each member ends in `bytes`, after a leading 0.
    private let ends: UnsafeMutablePointer<Int32>
    private let folds: Bool
    /// A bit for each member length under 64, and the top bit for any longer: a field of no
    /// member's length is only checked, not folded and hashed.
    private let lengths: UInt64

    /// A set of `members` compared case-folded when `ignoreCase` (they are lower case then), or
    /// nil when a member holds something other than ASCII and Latin-1 letters: such a member
    /// could equal a field written another way (`é` as `e` and an accent), which only Unicode
    /// comparison sees. Two texts of ASCII and U+00C0–U+00FF are the same Unicode text exactly
    /// when their bytes are the same.
    init?(_ members: some Collection<String>, ignoreCase: Bool) {
        let texts = members.map { Array($0.utf8) }
        guard texts.allSatisfy({ $0.withUnsafeBufferPointer(CaseFolding.isLatin1) }) else { return nil }
        folds = ignoreCase
        lengths = texts.reduce(0) { $0 | Self.lengthBit($1.count) }
        var size = 8
        while size < texts.count * 2 { size *= 2 }
        mask = size - 1
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        bytes = .allocate(capacity: max(1, texts.reduce(0) { $0 + $1.count }))
        ends = .allocate(capacity: texts.count + 1)
        ends[0] = 0
        var at = 0
        for (index, text) in texts.enumerated() {
            for byte in text {
                bytes[at] = byte
                at += 1
            }
            ends[index + 1] = Int32(at)
            var slot = Int(truncatingIfNeeded: Self.hash(text)) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index + 1)
        }
    }

    func deallocate() {
        slots.deallocate()
        bytes.deallocate()
        ends.deallocate()
    }

    /// Whether the field is one of the members; nil when the field must be compared as Unicode
    /// text (it is not ASCII and Latin-1 letters, or has white space to trim at either end).
    func contains(_ field: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard let first = field.first, let last = field.last, first > 0x20, first != 0x7F, last > 0x20, last != 0x7F
        else { return nil }
        guard lengths & Self.lengthBit(field.count) != 0 else {
            return CaseFolding.isLatin1(field) ? false : nil
        }
        // Check, fold and hash in one pass.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var previous: UInt8 = 0
        for i in 0..<field.count {
            let byte = field[i]
            if previous == 0xC3 {
                guard byte >= 0x80 && byte <= 0xBF else { return nil }
            } else {
                guard byte < 0x80 || byte == 0xC3 else { return nil }
            }
            hash = (hash ^ UInt64(folds ? CaseFolding.folded(byte, after: previous) : byte)) &* 0x100_0000_01B3
            previous = byte
        }
        guard previous != 0xC3 else { return nil }
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let member = Int(slots[slot] - 1)
            let start = Int(ends[member])
            if Int(ends[member + 1]) - start == field.count {
                var i = 0
                var before: UInt8 = 0
                while i < field.count
                    && (folds ? CaseFolding.folded(field[i], after: before) : field[i]) == bytes[start + i]
                {
                    before = field[i]
                    i += 1
                }
                if i == field.count { return true }
            }
            slot = (slot + 1) & mask
        }
        return false
    }

    @inline(__always)
    private static func lengthBit(_ count: Int) -> UInt64 {
        count < 63 ? 1 << UInt64(count) : 1 << 63
    }

    /// FNV-1a of bytes already folded, as ``contains(_:)`` hashes a field.
    private static func hash(_ text: [UInt8]) -> UInt64 {
        text.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }
}
