import Foundation
import LedgerModel
import Testing

@testable import Readers

@Suite("Inspection")
struct InspectionTests {
    @Test("counts records, keeps a sample, lists columns and row problems")
    func csv() throws {
        let inspection = try Inspection.inspect(Fixture.path("csv/field-count.csv"), sampleSize: 2)
        #expect(inspection.recordCount == 4)
        #expect(inspection.recordsWithErrors == 2)
        #expect(inspection.fields == ["a", "b", "c"])
        #expect(inspection.delimiter == ";")
        #expect(inspection.sample.count == 2)
        #expect(inspection.sample[1].fields.map(\.value) == ["4", "5"])
        #expect(inspection.diagnostics.map(\.location?.line) == [3, 4])
        #expect(inspection.stoppedBy == nil)
    }

    @Test("tree formats list field paths without indexes")
    func paths() throws {
        let inspection = try Inspection.inspect(Fixture.path("json/nested.json"))
        #expect(inspection.fields == ["id", "customer.name", "customer.country", "lines[].sku", "lines[].amount"])
        #expect(inspection.sample[0].fields.map(\.name).contains("lines[1].amount"))
    }

    @Test("an error that stops reading keeps what was read before it")
    func stopped() throws {
        let inspection = try Inspection.inspect(Fixture.path("csv/unterminated.csv"))
        #expect(inspection.recordCount == 0)
        #expect(inspection.stoppedBy?.code == ReaderCode.unterminatedQuote)
        let json = try Inspection.inspect(Fixture.path("json/malformed.json"))
        #expect(json.recordCount == 1)
        #expect(json.stoppedBy?.code == ReaderCode.malformedJSON)
    }

    @Test(
        "the delimiter detector's rule",
        arguments: [
            ("a;b;c\n1,5;2;3\n4;5,5;6\n", UInt8(ascii: ";")),
            ("a,b\n\"x;y\",1\n\"z;w\",2\n", UInt8(ascii: ",")),
            ("single\n1\n2\n", UInt8(ascii: ",")),
            ("a|b|c\n1|2|3\n", UInt8(ascii: "|")),
        ])
    func delimiterRule(text: String, expected: UInt8) {
        #expect(DelimiterDetector.detect(Array(text.utf8), skipLines: 0).delimiter == expected)
    }
}
