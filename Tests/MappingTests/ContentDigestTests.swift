import CSHA256
import Crypto
import Foundation
import LedgerModel
import Testing

@testable import Mapping

/// `ll_sha256` (the hash of every document's content) against swift-crypto's SHA-256.
@Suite("Content digests: SHA-256 without a context object")
struct ContentDigestTests {
    /// Deterministic bytes that are not a pattern SHA-256 could be lucky on.
    private static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined()
    }

    private static func llSHA256(_ message: [UInt8], portable: Bool) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        message.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { out in
                if portable {
                    ll_sha256_portable(input.baseAddress, input.count, out.baseAddress!)
                } else {
                    ll_sha256(input.baseAddress, input.count, out.baseAddress!)
                }
            }
        }
        return digest
    }

    @Test("every length from 0 to 1,100 bytes, on every path, equals swift-crypto's digest")
    func everyLength() {
        for length in 0...1_100 {
            let message = Self.bytes(length, seed: UInt64(length) + 1)
            let expected = Array(SHA256.hash(data: message))
            #expect(Self.llSHA256(message, portable: false) == expected, "length \(length), chosen path")
            #expect(Self.llSHA256(message, portable: true) == expected, "length \(length), portable path")
            #expect(message.withUnsafeBytes { ContentDigest(of: $0).withUnsafeBytes { Array($0) } } == expected)
            // The path taken where the processor has no SHA extensions ll_sha256 uses.
            #expect(
                message.withUnsafeBytes { ContentDigest(of: $0, oneCall: false).withUnsafeBytes { Array($0) } }
                    == expected)
        }
    }

    @Test("FIPS 180-4's examples, and a million a's")
    func knownAnswers() {
        let cases: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                String(repeating: "a", count: 1_000_000),
                "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
            ),
        ]
        for (message, digest) in cases {
            #expect(Self.hex(Self.llSHA256(Array(message.utf8), portable: false)) == digest)
            #expect(Self.hex(Self.llSHA256(Array(message.utf8), portable: true)) == digest)
        }
    }

    @Test("this machine's processor takes the accelerated path when it has SHA extensions")
    func acceleratedWhereAvailable() throws {
        #if arch(x86_64)
            let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
            let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }.map { $0.split(separator: " ") }
            try #require(flags != nil, "no /proc/cpuinfo flags to compare with")
            #expect((ll_sha256_accelerated() == 1) == flags!.contains("sha_ni"))
        #else
            #expect(ll_sha256_accelerated() == 0)
        #endif
    }

    @Test("a repeated content's reference is the SHA-256 of the first digest, '#' and the occurrence")
    func repeatedReference() {
        let content = Self.bytes(170, seed: 7)
        let digest = content.withUnsafeBytes { ContentDigest(of: $0) }
        let expected = SHA256.hash(data: Array(SHA256.hash(data: content)) + Array("#2".utf8))
        #expect(
            ReferenceHasher.reference(digest, occurrence: 2).text
                == expected.withUnsafeBytes { DocumentReference(derivedFrom: $0) }.text)
        #expect(digest.prefix == Array(SHA256.hash(data: content)).withUnsafeBytes { $0.load(as: UInt64.self) })
    }
}

@Suite("Reference format")
struct ReferenceFormatTests {
    @Test("ll1- and the first 130 bits in Crockford base 32, as read bit by bit, for 500 digests")
    func bitByBit() {
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let digest = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var expected = "ll1-"
            for character in 0..<26 {
                var value = 0
                for bit in character * 5..<character * 5 + 5 {
                    value = value << 1 | Int(digest[bit / 8] >> (7 - bit % 8) & 1)
                }
                expected.append(alphabet[value])
            }
            let reference = digest.withUnsafeBytes { DocumentReference(derivedFrom: $0) }
            #expect(reference.text == expected)
            #expect(reference.isDerived)
            #expect(reference.utf8Count == expected.utf8.count)
            // Read back from its text, it is the same reference, kept as the same bits.
            let read = DocumentReference(expected)
            #expect(read == reference)
            #expect(read.isDerived)
            #expect(read.key == reference.key)
            #expect(read.text == expected)
        }
    }

    @Test("a text that does not spell a derived reference is kept as text, and equal only to itself")
    func writtenReferences() {
        let derived = "ll1-0123456789abcdefghjkmnpqrs"
        #expect(DocumentReference(derived).isDerived)
        #expect(DocumentReference(derived).text == derived)
        for text in [
            "", "INV-1001", "ll1-", "ll1-0123456789abcdefghjkmnpqr",  // one short
            "ll1-0123456789abcdefghjkmnpqrst",  // one long
            "ll1-0123456789ABCDEFGHJKMNPQRS",  // upper case is another text
            "ll1-0123456789abcdefghjkmnpqri",  // i is not a digit
            "ll2-0123456789abcdefghjkmnpqrs", "ll1_0123456789abcdefghjkmnpqrs", "ll1-0123456789abcdefghjkmnpqrø",
        ] {
            let reference = DocumentReference(text)
            #expect(!reference.isDerived, "\(text)")
            #expect(reference.text == text)
            #expect(reference.utf8Count == text.utf8.count)
            #expect(reference != DocumentReference(derived))
            #expect(reference.key != 0)
        }
        #expect(DocumentReference("INV-1001") == DocumentReference("INV-1001"))
        #expect(DocumentReference("INV-1001").key == DocumentReference("INV-1001").key)
        #expect(DocumentReference("INV-1001").key != DocumentReference("INV-1002").key)
        // A document keeps its reference as written, through JSON as well.
        var document = ReferenceFormatTests.document
        document.reference = derived
        #expect(document.referenceValue.isDerived)
        #expect(document.reference == derived)
        document.reference = "INV-1001"
        #expect(document.reference == "INV-1001")
        let decoded = try? JSONDecoder().decode(Document.self, from: JSONEncoder().encode(document))
        #expect(decoded == document)
    }

    static let document = Document(
        kind: .ledgerItem, reference: "x", date: LocalDate(year: 2026, month: 3, day: 1)!, currency: .dkk,
        lines: [], provenance: Provenance(file: "a.csv", rows: [SourceRow(record: 1, line: 2)]))
}
