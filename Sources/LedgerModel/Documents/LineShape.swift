/// A line's accounts and VAT codes as their raw bits, with a context word of the caller's: the
/// key of a ``LineShapeMemo``.
///
/// Plan totals and validation do the same work for every line that names the same accounts and
/// codes, and a file's lines name a handful (a rule sets the same counter-account and code on row
/// after row). Comparing nine words costs a few instructions; comparing or hashing the values
/// would read their texts.
public struct LineShape: Sendable {
    /// `account`, `balancingAccount`, `vat` and `balancingVat`, two words each.
    fileprivate var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    /// The caller's context in bits 16 to 47, the two optional VAT codes' tag bytes below it, and
    /// bit 63 set (an empty memo slot is all zeros).
    fileprivate var tags: UInt64

    fileprivate static let wordCount = 9

    /// Where the four fields lie in a line (each 16 bytes on 64-bit, and a VAT code's optional
    /// one more, its tag byte).
    private struct Layout {
        var account: Int
        var balancingAccount: Int
        var vat: Int
        var balancingVat: Int
        var vatTagged: Bool
    }

    /// nil on a platform whose layout differs: there are no shapes there. (Computed: the
    /// optimizer folds the offsets of stored properties to constants.)
    @inline(__always)
    private static var layout: Layout? {
        let accountSize = MemoryLayout<AccountNumber?>.size
        let vatSize = MemoryLayout<VatSpec?>.size
        guard accountSize == 16, vatSize == 16 || vatSize == 17,
            let account = MemoryLayout<DocumentLine>.offset(of: \.account),
            let balancingAccount = MemoryLayout<DocumentLine>.offset(of: \.balancingAccount),
            let vat = MemoryLayout<DocumentLine>.offset(of: \.vat),
            let balancingVat = MemoryLayout<DocumentLine>.offset(of: \.balancingVat)
        else { return nil }
        return Layout(
            account: account, balancingAccount: balancingAccount, vat: vat, balancingVat: balancingVat,
            vatTagged: vatSize == 17)
    }

    /// The shape of `line` in `context` (what else the caller's answer depends on: a currency, a
    /// document kind); nil where the layout is not the expected one.
    public init?(_ line: UnsafePointer<DocumentLine>, context: UInt32) {
        guard let layout = Self.layout else { return nil }
        let raw = UnsafeRawPointer(line)
        func word(_ offset: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        words = (
            word(layout.account), word(layout.account + 8), word(layout.balancingAccount),
            word(layout.balancingAccount + 8), word(layout.vat), word(layout.vat + 8), word(layout.balancingVat),
            word(layout.balancingVat + 8)
        )
        var tagBytes: UInt64 = 0
        if layout.vatTagged {
            tagBytes =
                UInt64(raw.load(fromByteOffset: layout.vat + 16, as: UInt8.self)) << 8
                | UInt64(raw.load(fromByteOffset: layout.balancingVat + 16, as: UInt8.self))
        }
        tags = 1 << 63 | UInt64(context) << 16 | tagBytes
    }

    /// The nine words, in order.
    fileprivate func word(_ w: Int) -> UInt64 {
        switch w {
        case 0: words.0
        case 1: words.1
        case 2: words.2
        case 3: words.3
        case 4: words.4
        case 5: words.5
        case 6: words.6
        case 7: words.7
        default: tags
        }
    }
}

/// A memo from line shapes to values: 32 sets of two, each holding the last two shapes that
/// hashed to it (a file's dozen shapes rarely crowd one set; when they do, the set's older entry
/// gives way).
///
/// Equal bits are equal values only while the values they were read from are alive: a text's
/// storage, once freed, could be reused for another text at the same address. So an entry keeps
/// the four fields of the line it was made from. Bits that differ may still be equal values (one
/// text in two storages); that is only a miss.
public struct LineShapeMemo<Value: Sendable>: Sendable {
    private var table = ShapeTable()
    private var values: [Value?]
    /// The fields each shape's bits were read from, kept alive.
    private var kept: [KeptFields?]

    private struct KeptFields: Sendable {
        var account: AccountNumber?
        var balancingAccount: AccountNumber?
        var vat: VatSpec?
        var balancingVat: VatSpec?
    }

    public init() {
        values = [Value?](repeating: nil, count: ShapeTable.entryCount)
        kept = [KeptFields?](repeating: nil, count: ShapeTable.entryCount)
    }

    /// The value remembered for `shape`, if it is there.
    public func value(for shape: LineShape) -> Value? {
        guard let entry = table.find(shape) else { return nil }
        return values[entry]
    }

    /// Remembers `value` for `shape` (not remembered yet), which was read from `line`: the memo
    /// keeps the line's four fields.
    public mutating func remember(_ value: Value, for shape: LineShape, readFrom line: borrowing DocumentLine) {
        let entry = table.insert(shape)
        values[entry] = value
        kept[entry] = KeptFields(
            account: line.account, balancingAccount: line.balancingAccount, vat: line.vat,
            balancingVat: line.balancingVat)
    }
}

/// The bits of a ``LineShapeMemo``'s shapes: 32 sets of two entries (not generic, so nothing in
/// it goes through type metadata).
private struct ShapeTable: Sendable {
    static let setCount = 32
    static let entryCount = 2 * setCount
    /// Per entry, the shape's nine words; all zeros when empty.
    private var bits = [UInt64](repeating: 0, count: entryCount * LineShape.wordCount)
    /// Per set, the way the next new shape goes into.
    private var nextWay = [UInt8](repeating: 0, count: setCount)

    func find(_ shape: LineShape) -> Int? {
        let set = Self.set(of: shape)
        return bits.withUnsafeBufferPointer { bits -> Int? in
            var entry = 2 * set
            while entry < 2 * set + 2 {
                let base = entry * LineShape.wordCount
                var difference: UInt64 = 0
                for w in 0..<LineShape.wordCount { difference |= bits[base + w] ^ shape.word(w) }
                if difference == 0 { return entry }
                entry += 1
            }
            return nil
        }
    }

    /// The entry `shape` now has: the older of its set's two.
    mutating func insert(_ shape: LineShape) -> Int {
        let set = Self.set(of: shape)
        let entry = 2 * set + Int(nextWay[set])
        nextWay[set] ^= 1
        let base = entry * LineShape.wordCount
        for w in 0..<LineShape.wordCount { bits[base + w] = shape.word(w) }
        return entry
    }

    @inline(__always)
    private static func set(of shape: LineShape) -> Int {
        var hash: UInt64 = 0
        for w in 0..<LineShape.wordCount { hash = (hash ^ shape.word(w)) &* 0x9E37_79B9_7F4A_7C15 }
        return Int(truncatingIfNeeded: hash >> 59)
    }
}
