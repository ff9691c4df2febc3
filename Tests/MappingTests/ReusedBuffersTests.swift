import Foundation
import Testing

@testable import Mapping

@Suite("Buffers reused from row to row")
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

    @Test("recent texts give back the text of the bytes asked for, shared while they repeat")
    func recentTexts() {
        var texts = RecentTexts()
        func text(_ value: String) -> String {
            Array(value.utf8).withUnsafeBufferPointer { texts.text($0) }
        }
        // Texts of one length that differ only in their middle meet in one slot; short ones,
        // Danish letters and texts one byte apart all come back as themselves.
        var values = (0..<40).map { "Dankort-køb \($0 % 10)\($0 / 10) Netto Østerbro 26.07" }
        values += ["Renter", "Rente", "R", "ø", "Løn marts", "Løn martS", String(repeating: "x", count: 300)]
        for round in 0..<3 {
            for value in round == 1 ? values.reversed() : values {
                #expect(text(value) == value)
            }
        }
        // A text asked for again before anything else takes its slot is the same string, not a
        // copy: its storage is shared.
        let first = text("Gebyr kontoførelse, kvartal")
        let again = text("Gebyr kontoførelse, kvartal")
        #expect(first == again)
        #expect(
            first.utf8.withContiguousStorageIfAvailable { $0.baseAddress }
                == again.utf8.withContiguousStorageIfAvailable { $0.baseAddress })
    }
}
