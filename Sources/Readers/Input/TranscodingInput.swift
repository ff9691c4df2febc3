import CInline
import LedgerModel

/// Turns Windows-1252, ISO-8859-1 or UTF-16 bytes into UTF-8, chunk by chunk.
///
/// UTF-8 input does not pass through here: parsers read it directly and validate only what
/// holds non-ASCII bytes.
final class TranscodingInput: ByteInput {
    private let base: any ByteInput
    private let encoding: TextEncoding
    private let path: String
    private var raw: [UInt8]
    private var carry: [UInt8] = []
    private var pendingHighSurrogate: UInt32?
    private var line = 1

    init(base: any ByteInput, encoding: TextEncoding, path: String) {
        precondition(encoding != .utf8)
        self.base = base
        self.encoding = encoding
        self.path = path
        self.raw = []
        highHalf = (0x80...0xFF).map { (byte: Int) -> UInt32 in
            var bytes: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
            let length = withUnsafeMutableBytes(of: &bytes) {
                Self.encodeUTF8(Self.scalar(UInt8(byte), in: encoding), into: $0, at: 0)
            }
            return UInt32(bytes.0) | UInt32(bytes.1) << 8 | UInt32(bytes.2) << 16 | UInt32(length) << 24
        }
    }

    /// For a single-byte encoding, the UTF-8 of bytes 0x80–0xFF: the bytes in the low three
    /// bytes of each entry, in order, and their count (2 or 3) in the top one.
    private let highHalf: [UInt32]

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        // Worst case growth: one input byte → 3 UTF-8 bytes (single-byte encodings),
        // two input bytes → 3 UTF-8 bytes (UTF-16).
        let inputCapacity: Int
        switch encoding {
        case .utf16LE, .utf16BE: inputCapacity = max(2, (buffer.count / 3) * 2)
        default: inputCapacity = max(1, buffer.count / 3)
        }
        if raw.count < inputCapacity { raw = [UInt8](repeating: 0, count: inputCapacity) }
        var produced = 0
        while produced == 0 {
            let carried = carry.count
            raw.replaceSubrange(0..<carried, with: carry)
            carry.removeAll(keepingCapacity: true)
            let n = try raw.withUnsafeMutableBytes { bytes in
                try base.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[carried..<inputCapacity]))
            }
            let available = carried + n
            if n == 0 {
                if carried > 0 || pendingHighSurrogate != nil {
                    throw ReadError(
                        ReaderCode.invalidBytes, "the file ends in the middle of a UTF-16 character",
                        hint: "the file is cut short; export it again",
                        at: SourceLocation(file: path, line: line))
                }
                return 0
            }
            produced = try transcode(count: available, into: buffer)
        }
        return produced
    }

    private func transcode(count: Int, into out: UnsafeMutableRawBufferPointer) throws -> Int {
        var o = 0
        switch encoding {
        case .windows1252, .iso8859Latin1:
            raw.withUnsafeBytes { raw in
                highHalf.withUnsafeBufferPointer { high in
                    let input = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    let output = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    var i = 0
                    while i < count {
                        // Runs of ASCII, which is most of any file, are checked and copied 16
                        // bytes at a time (8 at a time, and a table lookup per other byte through
                        // an optional, was about 320 instructions a row of the bank benchmark).
                        if i + 16 <= count {
                            let high = ll_high_bits16(input + i)
                            ll_copy16(output + o, input + i)
                            if high == 0 {
                                i += 16
                                o += 16
                                continue
                            }
                            let ascii = high.trailingZeroBitCount
                            i += ascii
                            o += ascii
                        }
                        let byte = input[i]
                        i += 1
                        if byte < 0x80 {
                            output[o] = byte
                            o += 1
                            continue
                        }
                        // Two or three UTF-8 bytes, in the low bytes of the entry; the length on top.
                        let utf8 = high[Int(byte) - 0x80]
                        output[o] = UInt8(truncatingIfNeeded: utf8)
                        output[o + 1] = UInt8(truncatingIfNeeded: utf8 >> 8)
                        if utf8 >> 24 == 3 { output[o + 2] = UInt8(truncatingIfNeeded: utf8 >> 16) }
                        o += Int(utf8 >> 24)
                    }
                }
            }
        case .utf16LE, .utf16BE:
            let little = encoding == .utf16LE
            var i = 0
            while i + 1 < count {
                let unit =
                    little ? UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 : UInt32(raw[i]) << 8 | UInt32(raw[i + 1])
                i += 2
                if let high = pendingHighSurrogate {
                    guard (0xDC00...0xDFFF).contains(unit) else { throw invalidSurrogate() }
                    pendingHighSurrogate = nil
                    o += Self.encodeUTF8(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00), into: out, at: o)
                } else if (0xD800...0xDBFF).contains(unit) {
                    pendingHighSurrogate = unit
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw invalidSurrogate()
                } else {
                    if unit == 0x0A { line += 1 }
                    o += Self.encodeUTF8(unit, into: out, at: o)
                }
            }
            if i < count { carry.append(raw[i]) }
        case .utf8:
            preconditionFailure("UTF-8 is not transcoded")
        }
        return o
    }

    private func invalidSurrogate() -> ReadError {
        ReadError(
            ReaderCode.invalidBytes, "invalid UTF-16: a surrogate half without its pair",
            hint: "the file is damaged or not UTF-16; pass --encoding to read it as another encoding",
            at: SourceLocation(file: path, line: line))
    }

    @inline(__always)
    private static func encodeUTF8(_ scalar: UInt32, into out: UnsafeMutableRawBufferPointer, at o: Int) -> Int {
        switch scalar {
        case 0..<0x80:
            out[o] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            out[o] = UInt8(0xC0 | scalar >> 6)
            out[o + 1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            out[o] = UInt8(0xE0 | scalar >> 12)
            out[o + 1] = UInt8(0x80 | (scalar >> 6) & 0x3F)
            out[o + 2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            out[o] = UInt8(0xF0 | scalar >> 18)
            out[o + 1] = UInt8(0x80 | (scalar >> 12) & 0x3F)
            out[o + 2] = UInt8(0x80 | (scalar >> 6) & 0x3F)
            out[o + 3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }

    /// The character a byte of Windows-1252 or ISO-8859-1 stands for.
    private static func scalar(_ byte: UInt8, in encoding: TextEncoding) -> UInt32 {
        byte < 0x80 || encoding == .iso8859Latin1 ? UInt32(byte) : UInt32(Windows1252.highHalf[Int(byte) - 0x80])
    }

    /// Transcodes a whole (small) sample, for detection; invalid input is replaced, not thrown.
    static func decodeSample(_ bytes: ArraySlice<UInt8>, encoding: TextEncoding) -> [UInt8] {
        switch encoding {
        case .utf8:
            return Array(bytes)
        case .windows1252, .iso8859Latin1:
            // Each byte is one character of at most three UTF-8 bytes, written straight into the
            // array (appending scalars to a String cost about 480 instructions a byte: 12 ms
            // for the 64 KiB sample).
            return [UInt8](unsafeUninitializedCapacity: bytes.count * 3) { out, count in
                let raw = UnsafeMutableRawBufferPointer(out)
                var o = 0
                for byte in bytes { o += encodeUTF8(scalar(byte, in: encoding), into: raw, at: o) }
                count = o
            }
        case .utf16LE, .utf16BE:
            let units = stride(from: bytes.startIndex, to: bytes.endIndex - 1, by: 2).map { i -> UInt16 in
                encoding == .utf16LE
                    ? UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 : UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
            }
            return Array(String(decoding: units, as: UTF16.self).utf8)
        }
    }
}

/// Windows-1252's 0x80–0x9F, as the WHATWG encoding standard decodes them: the five bytes the
/// code page leaves undefined map to the C1 controls of the same value.
enum Windows1252 {
    static let highHalf: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
        0x00A0, 0x00A1, 0x00A2, 0x00A3, 0x00A4, 0x00A5, 0x00A6, 0x00A7,
        0x00A8, 0x00A9, 0x00AA, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x00AF,
        0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x00B6, 0x00B7,
        0x00B8, 0x00B9, 0x00BA, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0x00BF,
        0x00C0, 0x00C1, 0x00C2, 0x00C3, 0x00C4, 0x00C5, 0x00C6, 0x00C7,
        0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x00CC, 0x00CD, 0x00CE, 0x00CF,
        0x00D0, 0x00D1, 0x00D2, 0x00D3, 0x00D4, 0x00D5, 0x00D6, 0x00D7,
        0x00D8, 0x00D9, 0x00DA, 0x00DB, 0x00DC, 0x00DD, 0x00DE, 0x00DF,
        0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x00E4, 0x00E5, 0x00E6, 0x00E7,
        0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x00EC, 0x00ED, 0x00EE, 0x00EF,
        0x00F0, 0x00F1, 0x00F2, 0x00F3, 0x00F4, 0x00F5, 0x00F6, 0x00F7,
        0x00F8, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x00FD, 0x00FE, 0x00FF,
    ]
}
