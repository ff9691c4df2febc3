import Foundation
import LedgerModel
import Testing

@testable import Readers

@Suite("JSON reader")
struct JSONReaderTests {
    @Test("a top-level array of objects; numbers keep their exact text")
    func topLevelArray() throws {
        let (reader, records) = try readAll(Fixture.path("json/array.json"))
        #expect(reader.source.format == .json)
        #expect(reader.source.recordPath == "")
        #expect(records.count == 2)
        #expect(records[0].value("amount") == "1.234,56")
        #expect(records[1].value("amount") == "99.95")
        #expect(records[1].value("paid") == "true")
        #expect(records[1].value("note") == nil)
        #expect(records.map(\.line) == [2, 3])
        #expect(records[1].location.element == "[1]")
    }

    @Test("records at a dotted path, nested values and repeated groups")
    func nestedPath() throws {
        let (reader, records) = try readAll(
            Fixture.path("json/nested.json"), ReaderOptions(recordPath: "data.transactions"))
        #expect(reader.source.recordPath == "data.transactions")
        #expect(records.count == 2)
        #expect(records[0].value("customer.name") == "Jens")
        #expect(records[1].value("customer.name") == "Åse")
        #expect(records[0].value("lines.amount") == "10.00")
        #expect(records[0].value("lines[1].amount") == "2.50")
        guard case .tree(let tree) = records[0].fields else {
            Issue.record("expected a tree")
            return
        }
        let lines = tree.nodes(at: try FieldPath("lines", separator: "."))
        #expect(lines.count == 2)
        let amount = try FieldPath("amount", separator: ".")
        #expect(lines.map { tree.string(at: amount, from: $0) } == ["10.00", "2.50"])
        guard case .tree(let second) = records[1].fields else { return }
        #expect(second.nodes(at: try FieldPath("lines", separator: ".")).isEmpty)
        #expect(records[0].location.element == "data.transactions[0]")
        #expect(records[0].line == 5)
    }

    @Test("the records' array is found when no path is given")
    func discoveredPath() throws {
        let (reader, records) = try readAll(Fixture.path("json/nested.json"))
        #expect(reader.source.recordPath == "data.transactions")
        #expect(records.count == 2)
    }

    @Test("a path that does not exist names the missing key")
    func missingPath() throws {
        let error = try #require(readError(Fixture.path("json/nested.json"), ReaderOptions(recordPath: "data.orders")))
        #expect(error.diagnostic.code == ReaderCode.recordPathNotFound)
        #expect(error.diagnostic.message == "no key `orders` in the object at `data`")
    }

    @Test("a path to something that is not an array")
    func pathNotArray() throws {
        let error = try #require(readError(Fixture.path("json/nested.json"), ReaderOptions(recordPath: "data.total")))
        #expect(error.diagnostic.message == "`data.total` is not an array")
    }

    @Test("a single object is one record")
    func singleObject() throws {
        let (_, records) = try readAll(Fixture.path("json/single-object.json"))
        #expect(records.count == 1)
        #expect(records[0].value("voucher") == "V1")
        #expect(records[0].value("amount") == "100")
    }

    @Test("JSON Lines: a bad line gets an error on its record and the others still read")
    func jsonLines() throws {
        let (reader, records) = try readAll(Fixture.path("json/lines.jsonl"))
        #expect(reader.source.format == .jsonLines)
        #expect(records.count == 5)
        #expect(records.map(\.line) == [1, 3, 4, 5, 6])
        #expect(records.map(\.hasErrors) == [false, true, false, true, false])
        #expect(records[1].diagnostics.first?.code == ReaderCode.malformedJSON)
        #expect(records[1].diagnostics.first?.location?.line == 3)
        #expect(records[2].value("id") == "3")
        #expect(records[3].diagnostics.first?.code == ReaderCode.recordNotObject)
        #expect(records[4].value("amount") == "ø🍐")
    }

    @Test("elements that are not objects are records with an error")
    func notObjects() throws {
        let (_, records) = try readAll(Fixture.path("json/not-objects.json"))
        #expect(records.count == 4)
        #expect(records.map(\.hasErrors) == [false, true, true, false])
        #expect(records[3].value("id") == "4")
    }

    @Test(
        "malformed JSON stops with line and column",
        arguments: [
            ("json/malformed.json", 3, 12, "expected `,` or `}` after an object member"),
            ("json/truncated.json", 3, 21, "a string starts here and is never closed"),
            ("json/trailing.json", 1, 13, "unexpected content after the end of the JSON document"),
        ])
    func malformed(file: String, line: Int, column: Int, message: String) throws {
        let error = try #require(readError(Fixture.path(file)))
        #expect(error.diagnostic.code == ReaderCode.malformedJSON)
        #expect(error.diagnostic.location?.line == line)
        #expect(error.diagnostic.location?.column == column)
        #expect(error.diagnostic.message.contains(message))
    }

    @Test("nesting deeper than the limit is refused, not a stack overflow")
    func tooDeep() throws {
        let error = try #require(readError(Fixture.path("json/deep.json")))
        #expect(error.diagnostic.code == ReaderCode.tooDeep)
    }

    @Test("many records stream through small chunks")
    func streaming() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var text = "{\"data\": {\"rows\": [\n"
        for i in 0..<5000 { text += (i > 0 ? ",\n" : "") + "{\"i\": \(i), \"s\": \"r\\u00e6kke \(i)\"}" }
        text += "\n]}}\n"
        let path = try directory.write("rows.json", Array(text.utf8))
        let (_, records) = try readAll(path, ReaderOptions(recordPath: "data.rows", chunkSize: 4096))
        #expect(records.count == 5000)
        #expect(records[4999].value("s") == "række 4999")
        #expect(records[4999].line == 5001)
    }
}
