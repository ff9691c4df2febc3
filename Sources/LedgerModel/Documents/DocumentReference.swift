/// A document's external reference, the key that makes booking exactly-once.
///
/// A derived reference (`ll1-` and 26 base-32 characters: the first 130 bits of a SHA-256) is
/// kept as those bits, inline: a million documents then make no reference string on the mapping
/// threads, free none on the thread that consumes them, and are told apart in a registry by
/// their bits rather than by hashing text. Any other reference (one a mapping writes) is kept
/// as its text. The form is canonical: a text that spells a derived reference is kept as its
/// bits, so two references are equal exactly when their texts are.
public struct DocumentReference: Sendable, Hashable, CustomStringConvertible {
    @usableFromInline
    enum Storage: Sendable, Hashable {
        /// Bits 0–63, 64–127, and 128–129 in the byte's top two bits (the rest zero).
        case derived(UInt64, UInt64, UInt8)
        case text(String)
    }

    @usableFromInline var storage: Storage

    /// The reference `text`: its bits when it spells a derived reference, else the text itself.
    public init(_ text: String) {
        storage = Self.parse(text) ?? .text(text)
    }

    /// The derived reference of a digest: its first 130 bits (`digest` has at least 17 bytes).
    @inlinable
    public init(derivedFrom digest: UnsafeRawBufferPointer) {
        precondition(digest.count >= 17)
        storage = .derived(
            UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self)), digest[16] & 0xC0)
    }

    /// Whether it was derived from content (`ll1-…`) rather than written by a mapping.
    public var isDerived: Bool {
        if case .derived = storage { return true }
        return false
    }

    /// The reference as text.
    public var text: String {
        switch storage {
        case .derived(let high, let low, let last): Self.format(high, low, last)
        case .text(let text): text
        }
    }

    public var description: String { text }

    /// The length of ``text`` in UTF-8 bytes, without making it.
    public var utf8Count: Int {
        switch storage {
        case .derived: Self.derivedLength
        case .text(let text): text.utf8.count
        }
    }

    /// A 64-bit hash of the reference, never 0, for tables that keep references by hash: a
    /// derived reference's first 64 bits (already uniform), or the text's ``ByteHash``.
    @inlinable
    public var key: UInt64 {
        let key: UInt64
        switch storage {
        case .derived(let high, _, _): key = high
        case .text(var text): key = text.withUTF8 { ByteHash.hash(UnsafeRawBufferPointer($0)) }
        }
        return key == 0 ? 1 : key
    }

    static let derivedLength = 30
    /// Crockford's base-32 digits, lower case: 0–9, then the letters without i, l, o and u.
    private static let digits: StaticString = "0123456789abcdefghjkmnpqrstvwxyz"

    /// `ll1-` and the 130 bits in base 32, most significant first: character k is bits 5k to
    /// 5k + 4. Every character is taken with a fixed shift.
    private static func format(_ high: UInt64, _ low: UInt64, _ last: UInt8) -> String {
        String(unsafeUninitializedCapacity: derivedLength) { out in
            let out = out.baseAddress!
            out[0] = 0x6C  // l
            out[1] = 0x6C  // l
            out[2] = 0x31  // 1
            out[3] = 0x2D  // -
            let digits = Self.digits.utf8Start
            @inline(__always) func put(_ index: Int, _ value: UInt64) {
                out[4 + index] = digits[Int(truncatingIfNeeded: value & 31)]
            }
            for k in 0..<12 { put(k, high >> (59 - 5 * UInt64(k))) }  // bits 0–59
            put(12, (high & 0xF) << 1 | low >> 63)  // bits 60–64
            for k in 13..<25 { put(k, low >> (123 - 5 * UInt64(k))) }  // bits 65–124
            put(25, (low & 7) << 2 | UInt64(last) >> 6)  // bits 125–129
            return derivedLength
        }
    }

    /// The bits of a text that spells a derived reference exactly (lower-case digits), or nil.
    private static func parse(_ text: String) -> Storage? {
        var text = text
        return text.withUTF8 { bytes -> Storage? in
            guard bytes.count == derivedLength, bytes[0] == 0x6C, bytes[1] == 0x6C, bytes[2] == 0x31, bytes[3] == 0x2D
            else { return nil }
            var high: UInt64 = 0
            var low: UInt64 = 0
            var last: UInt8 = 0
            for k in 0..<26 {
                guard let value = value(of: bytes[4 + k]) else { return nil }
                for bit in 0..<5 where value >> (4 - bit) & 1 == 1 {
                    let position = 5 * k + bit  // from the most significant
                    switch position {
                    case 0..<64: high |= 1 << (63 - UInt64(position))
                    case 64..<128: low |= 1 << (127 - UInt64(position))
                    default: last |= 1 << (135 - UInt8(position))
                    }
                }
            }
            return .derived(high, low, last)
        }
    }

    private static func value(of digit: UInt8) -> UInt8? {
        let digits = Self.digits.utf8Start
        for value in 0..<32 where digits[value] == digit { return UInt8(value) }
        return nil
    }
}
