import Foundation
import Testing

@testable import Mapping

@Suite("Buffers and texts reused from row to row")
struct ReusedBuffersTests {
    @Test("reusable bytes hold what was appended since the last truncation, across growth")
    func reusableBytes() {
        var buffer = ReusableBytes(capacity: 4)
        var expected: [UInt8] = []
        for round in 0..<50 {
            let keep = min(round % 7, expected.count)
            buffer.truncate(to: keep)
            expected.removeSubrange(keep...)
            let chunk = (0..<(round * 13 % 97)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ round) }
            chunk.withUnsafeBufferPointer { buffer.append(contentsOf: $0) }
            buffer.append(UInt8(round))
            buffer.append(contentsOf: "ø\(round)")
            expected += chunk + [UInt8(round)] + Array("ø\(round)".utf8)
            #expect(buffer.count == expected.count)
            #expect(buffer.withUnsafeBufferPointer { Array($0) } == expected)
        }
        buffer.truncate(to: 1_000_000)
        #expect(buffer.count == expected.count)
    }

    @Test("a field's text is the text of its bytes, remembered or not, valid UTF-8 or not")
    func fieldTexts() {
        var texts = FieldTexts()
        let samples: [[UInt8]] = [
            Array("Dankort-køb Netto Østerbro 4521 03.01".utf8),
            Array("Renter".utf8),
            Array("Husleje marts Ejendomsselskabet Øresund".utf8),
            [0x41, 0x42, 0xFF, 0xFE] + Array(repeating: 0x43, count: 20),  // not UTF-8: repaired
            Array("Dankort-køb Netto Østerbro 4521 03.02".utf8),  // differs in its last byte only
            Array(repeating: 0x61, count: 300),
        ]
        for round in 0..<3 {
            for sample in samples {
                let text = sample.withUnsafeBufferPointer { texts.text($0) }
                #expect(text == String(decoding: sample, as: UTF8.self), "round \(round)")
            }
        }
        // Many distinct texts: the slots are overwritten, every answer stays right.
        for i in 0..<10_000 {
            let sample = Array("Dankort-køb Butik nummer \(i % 3_000)".utf8)
            #expect(sample.withUnsafeBufferPointer { texts.text($0) } == String(decoding: sample, as: UTF8.self))
        }
    }
}
