import Foundation
import LedgerModel
import Testing

@testable import Readers

@Suite("Encodings")
struct EncodingTests {
    @Test(
        "byte-order marks and UTF-16 are decoded",
        arguments: [
            ("csv/utf8-bom.csv", TextEncoding.utf8), ("csv/utf16le-bom.csv", .utf16LE),
            ("csv/utf16be-bom.csv", .utf16BE),
        ])
    func byteOrderMarks(file: String, encoding: TextEncoding) throws {
        let (reader, records) = try readAll(Fixture.path(file))
        #expect(reader.source.encoding == encoding)
        #expect(reader.source.decisions["encoding"] == "byte-order mark")
        #expect(reader.source.columns == ["navn", "beløb"])
        #expect(records[0].values == ["Æble", "1,00"])
    }

    @Test("a single-byte sample decodes every byte to its character (Windows-1252 and ISO-8859-1)")
    func sampleBytes() {
        let bytes = (0...255).map(UInt8.init) + Array("Løn æble".utf8.filter { $0 < 0x80 })
        for encoding in [TextEncoding.windows1252, .iso8859Latin1] {
            var expected = ""
            for byte in bytes {
                let scalar =
                    encoding == .windows1252 && (0x80...0x9F).contains(byte)
                    ? Windows1252.highHalf[Int(byte) - 0x80] : UInt16(byte)
                expected.unicodeScalars.append(Unicode.Scalar(scalar)!)
            }
            #expect(TranscodingInput.decodeSample(bytes[...], encoding: encoding) == Array(expected.utf8))
        }
        // The euro sign and the curly quotes, spelled out.
        #expect(
            String(
                decoding: TranscodingInput.decodeSample([0x80, 0x93, 0x94, 0xE6][...], encoding: .windows1252),
                as: UTF8.self)
                == "€“”æ")
    }

    @Test("UTF-16 surrogate pairs become one character")
    func surrogatePairs() throws {
        let (_, records) = try readAll(Fixture.path("csv/utf16le-bom.csv"))
        #expect(records[1].values == ["Pære 🍐", "2,00"])
    }

    @Test("UTF-16 without a byte-order mark is recognised by its NUL bytes")
    func utf16WithoutMark() throws {
        let (reader, records) = try readAll(Fixture.path("csv/utf16le-nobom.csv"))
        #expect(reader.source.encoding == .utf16LE)
        #expect(reader.source.delimiter == 0x09)
        #expect(records[0].values == ["Æble", "1,00"])
    }

    @Test("ISO-8859-1 when asked for")
    func latin1() throws {
        let (reader, records) = try readAll(Fixture.path("csv/latin1.csv"), ReaderOptions(encoding: .iso8859Latin1))
        #expect(reader.source.encoding == .iso8859Latin1)
        #expect(reader.source.columns == ["navn", "beløb"])
        #expect(records[0].values == ["Køkken", "1.000,00"])
    }

    @Test("invalid UTF-8 at the start means Windows-1252")
    func windows1252Fallback() throws {
        let (reader, records) = try readAll(Fixture.path("csv/invalid-utf8-start.csv"))
        #expect(reader.source.encoding == .windows1252)
        #expect(records[0].values == ["1", "ÿþú"])
    }

    @Test("invalid UTF-8 after a valid sample is an error with line, column and the fix")
    func invalidUTF8Later() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var bytes = Array("a;b\n".utf8)
        for i in 0..<5000 { bytes += Array("\(i);ascii only text\n".utf8) }
        bytes += Array("x;K".utf8) + [0xF8] + Array("kken\n".utf8)
        let path = try directory.write("mixed.csv", bytes)
        let error = try #require(readError(path))
        #expect(error.diagnostic.code == ReaderCode.invalidBytes)
        #expect(error.diagnostic.location?.line == 5002)
        #expect(error.diagnostic.location?.field == "b")
        #expect(error.diagnostic.message.contains("byte 0xF8 in field b"))
        #expect(error.diagnostic.hint?.contains("--encoding windows-1252") == true)
        // With the encoding given, the same file reads.
        let (_, records) = try readAll(path, ReaderOptions(encoding: .windows1252))
        #expect(records.last?.values == ["x", "Køkken"])
    }

    @Test(
        "Windows-1252 and Latin-1: every byte value, in ASCII runs of every length, across chunk edges",
        arguments: [(TextEncoding.windows1252, 37), (.windows1252, 4096), (.iso8859Latin1, 53)])
    func singleByteTranscoding(encoding: TextEncoding, chunkSize: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        // One column; each value is an ASCII run of 0 to 20 bytes around one high byte, so the
        // 8-byte ASCII path meets high bytes at every offset.
        var bytes = Array("value\n".utf8)
        var values: [[UInt8]] = []
        var random: UInt64 = 42
        for high in 0x80...0xFF {
            for run in [0, 1, 7, 8, 9, 15, 16, 20] {
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let letters = (0..<run).map { i in UInt8(0x61 + (Int(random >> 33) + i) % 26) }
                let value = Array(letters.prefix(run / 2)) + [UInt8(high)] + Array(letters.dropFirst(run / 2))
                values.append(value)
                bytes += value + [0x0A]
            }
        }
        let path = try directory.write("single-byte.csv", bytes)
        var options = ReaderOptions(encoding: encoding)
        options.chunkSize = chunkSize
        let (_, records) = try readAll(path, options)
        #expect(records.count == values.count)
        var wrong = 0
        for (record, value) in zip(records, values) {
            let expected = String(
                decoding: TranscodingInput.decodeSample(value[...], encoding: encoding), as: UTF8.self)
            if record.string(column: 0) != expected { wrong += 1 }
        }
        #expect(wrong == 0)
    }

    @Test("an odd trailing byte in UTF-16 is an error")
    func truncatedUTF16() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = try directory.write(
            "cut.csv", [0xFF, 0xFE] + Array("a\n1\n".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0x41])
        let error = try #require(readError(path))
        #expect(error.diagnostic.code == ReaderCode.invalidBytes)
        #expect(error.diagnostic.message.contains("middle of a UTF-16 character"))
    }

    @Test("a lone UTF-16 surrogate is an error naming the line")
    func loneSurrogate() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let units: [UInt16] = Array("a\n1\n".utf16) + [0xDC00, 0x0A]
        let path = try directory.write(
            "lone.csv", [0xFF, 0xFE] + units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let error = try #require(readError(path))
        #expect(error.diagnostic.code == ReaderCode.invalidBytes)
        #expect(error.diagnostic.location?.line == 3)
    }

    @Test(
        "encoding names",
        arguments: [
            ("UTF8", TextEncoding.utf8), ("cp1252", .windows1252), ("Windows-1252", .windows1252),
            ("latin1", .iso8859Latin1),
            ("utf-16be", .utf16BE),
        ])
    func names(name: String, encoding: TextEncoding) {
        #expect(TextEncoding(name: name) == encoding)
    }

    @Test(
        "UTF-8 validation finds the first bad byte",
        arguments: [
            ([0x61, 0xC3, 0xA6], nil), ([0x61, 0xC3], 1), ([0xC0, 0x80], 0), ([0xED, 0xA0, 0x80], 0),
            ([0x61, 0x62, 0xF8], 2), ([0xF0, 0x9F, 0x8D, 0x90], nil),
        ] as [([UInt8], Int?)])
    func utf8Validation(bytes: [UInt8], expected: Int?) {
        #expect(UTF8Validation.firstInvalidOffset(bytes) == expected)
    }
}
