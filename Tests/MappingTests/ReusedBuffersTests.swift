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
}
