/// The text encodings ledgerlift reads. Everything is turned into UTF-8 before parsing.
public enum TextEncoding: String, Sendable, CaseIterable, Codable {
    case utf8 = "utf-8"
    case utf16LE = "utf-16le"
    case utf16BE = "utf-16be"
    case windows1252 = "windows-1252"
    case iso8859Latin1 = "iso-8859-1"

    /// Accepts the common spellings (`UTF8`, `cp1252`, `latin1`, …).
    public init?(name: String) {
        let key = name.lowercased().filter { $0 != "-" && $0 != "_" && $0 != " " }
        switch key {
        case "utf8": self = .utf8
        case "utf16le", "utf16": self = .utf16LE
        case "utf16be": self = .utf16BE
        case "windows1252", "cp1252", "win1252", "ansi": self = .windows1252
        case "iso88591", "latin1", "l1": self = .iso8859Latin1
        default: return nil
        }
    }

    /// Every accepted name, for error messages.
    public static let acceptedNames = "utf-8, utf-16le, utf-16be, windows-1252 (cp1252), iso-8859-1 (latin1)"
}

/// What encoding detection decided, and why.
public struct EncodingDecision: Sendable, Hashable {
    public var encoding: TextEncoding
    /// Length of the byte-order mark at the start of the file (0 if none).
    public var bomLength: Int
    /// Why this encoding, in words (`"UTF-8 byte-order mark"`, `"given with --encoding"`).
    public var reason: String
}

/// Decides a file's encoding from its first bytes. The rule, in order:
///
/// 1. A byte-order mark wins: `EF BB BF` UTF-8, `FF FE` UTF-16LE, `FE FF` UTF-16BE.
/// 2. NUL bytes in the sample at mostly odd (even) positions: UTF-16LE (BE) without a mark.
/// 3. The sample is valid UTF-8 (a sequence cut at the sample's end is allowed): UTF-8.
/// 4. Otherwise Windows-1252, the encoding of Danish Excel and bank exports.
///
/// ISO-8859-1 is only used when asked for; it differs from Windows-1252 in 0x80–0x9F only.
enum EncodingDetector {
    static let sampleSize = 64 * 1024

    static func decide(sample: [UInt8], override: TextEncoding?) -> EncodingDecision {
        let bom = byteOrderMark(sample)
        if let override {
            // A mark that agrees with the override is still skipped.
            let skip = bom.map { $0.encoding == override ? $0.length : 0 } ?? 0
            return EncodingDecision(encoding: override, bomLength: skip, reason: "given as an option")
        }
        if let bom {
            return EncodingDecision(encoding: bom.encoding, bomLength: bom.length, reason: "byte-order mark")
        }
        if let utf16 = utf16WithoutMark(sample) {
            return EncodingDecision(encoding: utf16, bomLength: 0, reason: "NUL bytes in alternate positions")
        }
        if UTF8Validation.firstInvalidOffset(sample, allowTruncatedEnd: true) == nil {
            return EncodingDecision(encoding: .utf8, bomLength: 0, reason: "valid UTF-8")
        }
        return EncodingDecision(
            encoding: .windows1252, bomLength: 0, reason: "not valid UTF-8 and no byte-order mark")
    }

    static func byteOrderMark(_ bytes: [UInt8]) -> (encoding: TextEncoding, length: Int)? {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { return (.utf8, 3) }
        if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xFE { return (.utf16LE, 2) }
        if bytes.count >= 2, bytes[0] == 0xFE, bytes[1] == 0xFF { return (.utf16BE, 2) }
        return nil
    }

    private static func utf16WithoutMark(_ bytes: [UInt8]) -> TextEncoding? {
        let count = min(bytes.count, 4096) & ~1
        guard count >= 4 else { return nil }
        var evenZeros = 0
        var oddZeros = 0
        for i in stride(from: 0, to: count, by: 2) {
            if bytes[i] == 0 { evenZeros += 1 }
            if bytes[i + 1] == 0 { oddZeros += 1 }
        }
        let pairs = count / 2
        if oddZeros * 10 >= pairs * 3 && evenZeros * 10 < pairs { return .utf16LE }
        if evenZeros * 10 >= pairs * 3 && oddZeros * 10 < pairs { return .utf16BE }
        return nil
    }
}

/// UTF-8 validation that says where the first bad byte is.
enum UTF8Validation {
    /// The fast form for contiguous bytes: runs of ASCII are skipped eight bytes at a time.
    static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalidOffset(in: $0) }
    }

    /// The fast form on memory the caller holds.
    static func firstInvalidOffset(in buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = buffer.baseAddress else { return nil }
        let count = buffer.count
        var i = 0
        while true {
            while i + 8 <= count,
                UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                i += 8
            }
            while i < count && base[i] < 0x80 { i += 1 }
            if i == count { return nil }
            // A non-ASCII run: check it with the full rules, from its lead byte.
            let rest = UnsafeBufferPointer(rebasing: buffer[i...])
            var end = 0
            while end < rest.count && rest[end] >= 0x80 { end += 1 }
            if let bad = firstInvalidOffset(UnsafeBufferPointer(rebasing: rest[..<end]), allowTruncatedEnd: false) {
                return i + bad
            }
            i += end
        }
    }

    /// The offset of the first byte that is not valid UTF-8, or nil.
    /// - Parameter allowTruncatedEnd: accept a sequence cut short by the end of the buffer.
    static func firstInvalidOffset(_ bytes: some Collection<UInt8>, allowTruncatedEnd: Bool = false) -> Int? {
        var iterator = bytes.makeIterator()
        var offset = 0
        while let lead = iterator.next() {
            if lead < 0x80 {
                offset += 1
                continue
            }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch lead {
            case 0xC2...0xDF: (length, minimum, scalar) = (2, 0x80, UInt32(lead & 0x1F))
            case 0xE0...0xEF: (length, minimum, scalar) = (3, 0x800, UInt32(lead & 0x0F))
            case 0xF0...0xF4: (length, minimum, scalar) = (4, 0x10000, UInt32(lead & 0x07))
            default: return offset
            }
            for _ in 1..<length {
                guard let next = iterator.next() else { return allowTruncatedEnd ? nil : offset }
                guard next & 0xC0 == 0x80 else { return offset }
                scalar = scalar << 6 | UInt32(next & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return offset }
            offset += length
        }
        return nil
    }
}
