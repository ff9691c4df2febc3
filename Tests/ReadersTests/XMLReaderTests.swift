import Foundation
import LedgerModel
import Testing

@testable import Readers

@Suite("XML reader")
struct XMLReaderTests {
    static let transactions = "AuditFile/GeneralLedgerEntries/Journal/Transaction"

    @Test("a namespaced SAF-T journal: records by local-name path, attributes, repeated lines")
    func journal() throws {
        let (reader, records) = try readAll(
            Fixture.path("xml/journal.xml"), ReaderOptions(recordPath: Self.transactions))
        #expect(reader.source.format == .xml)
        #expect(records.count == 2)
        #expect(records[0].value("@id") == "T1")
        #expect(records[0].value("TransactionID") == "T-0001")
        #expect(records[0].value("Description") == "Salg & levering")
        #expect(records[1].value("Description") == "Husleje <marts>")
        #expect(records[0].value("Line/AccountID") == "1000")
        #expect(records[0].value("Line[2]/DebitAmount/Amount") == "1250.00")
        #expect(records[0].value("Line/TaxInformation/TaxCode") == "U25")
        #expect(records[0].line == 13)
        #expect(records[1].location.element == "\(Self.transactions)[2]")
        guard case .tree(let tree) = records[0].fields else { return }
        let lines = tree.nodes(at: try FieldPath("Line", separator: "/"))
        #expect(lines.count == 2)
        let account = try FieldPath("AccountID", separator: "/")
        #expect(lines.map { tree.string(at: account, from: $0) } == ["1000", "5820"])
    }

    @Test("paths can require a namespace, by prefix or by URI")
    func namespaces() throws {
        let ns = ["saft": "urn:StandardAuditFile-Taxation-Financial:DK", "x": "urn:example:extra"]
        let options = ReaderOptions(
            recordPath: "saft:AuditFile/saft:GeneralLedgerEntries/saft:Journal/saft:Transaction", namespaces: ns)
        let (_, records) = try readAll(Fixture.path("xml/journal.xml"), options)
        #expect(records.count == 2)
        let extra = try FieldPath("x:Extra", separator: "/", namespaces: ns)
        #expect(records[0].string(at: extra) == "ignored")
        let wrong = try FieldPath("{urn:other}Extra", separator: "/")
        #expect(records[0].string(at: wrong) == nil)
        let byURI = try FieldPath("{urn:example:extra}Extra", separator: "/")
        #expect(records[0].string(at: byURI) == "ignored")
    }

    @Test("a record path in another namespace matches nothing, with a warning")
    func wrongNamespace() throws {
        let options = ReaderOptions(recordPath: "{urn:other}AuditFile/GeneralLedgerEntries/Journal/Transaction")
        let (reader, records) = try readAll(Fixture.path("xml/journal.xml"), options)
        #expect(records.isEmpty)
        #expect(reader.diagnostics.map(\.code) == [ReaderCode.recordPathNotFound])
    }

    @Test("an unknown prefix in a path is a clear error")
    func unknownPrefix() throws {
        #expect(throws: FieldPath.ParseError.self) { try FieldPath("q:Amount", separator: "/") }
    }

    @Test("the default namespace, `//` paths, attributes and empty records")
    func defaultNamespace() throws {
        let (_, records) = try readAll(Fixture.path("xml/default-namespace.xml"), ReaderOptions(recordPath: "//Ntry"))
        #expect(records.count == 3)
        #expect(records[0].value("Amt") == "100.50")
        #expect(records[0].value("Amt/@Ccy") == "DKK")
        #expect(records[1].value("CdtDbtInd") == "DBIT")
        #expect(records[2].value("Amt") == nil)
        #expect(records[0].source.recordPath == "//Ntry")
    }

    @Test("the record path is detected as the shallowest repeating element")
    func detectedRecordPath() throws {
        let (reader, records) = try readAll(Fixture.path("xml/default-namespace.xml"))
        #expect(reader.source.recordPath == "Document/Stmt/Ntry")
        #expect(records.count == 3)
    }

    @Test("an encoding from the XML declaration")
    func declaredEncoding() throws {
        let (_, records) = try readAll(Fixture.path("xml/windows-1252.xml"), ReaderOptions(recordPath: "rows/row"))
        #expect(records.map { $0.value("navn") } == ["Køkken", "Bad"])
    }

    @Test("entity expansion and external entities are refused", arguments: ["xml/billion-laughs.xml", "xml/xxe.xml"])
    func unsafe(file: String) throws {
        let error = try #require(readError(Fixture.path(file), ReaderOptions(recordPath: "rows/row")))
        #expect(error.diagnostic.code == ReaderCode.unsafeXML)
        #expect(error.diagnostic.message.contains("DOCTYPE"))
        #expect(!error.description.contains("root:"))
    }

    @Test("an undeclared entity is an error, not silently dropped text")
    func undeclaredEntity() throws {
        let error = try #require(
            readError(Fixture.path("xml/undeclared-entity.xml"), ReaderOptions(recordPath: "rows/row")))
        #expect([ReaderCode.unsafeXML, ReaderCode.malformedXML].contains(error.diagnostic.code))
        #expect(error.diagnostic.location?.line == 2)
    }

    @Test(
        "malformed XML stops with the line of the problem",
        arguments: [("xml/malformed.xml", 4), ("xml/truncated.xml", 4)])
    func malformed(file: String, line: Int) throws {
        let error = try #require(readError(Fixture.path(file), ReaderOptions(recordPath: "rows/row")))
        #expect(error.diagnostic.code == ReaderCode.malformedXML)
        #expect(error.diagnostic.location?.line == line)
    }

    /// libxml2 parses ahead in blocks, so records in the block holding the error are not
    /// returned; everything before that block is.
    @Test("in a large file, the records before a malformed one are read")
    func malformedLate() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var text = "<r>\n"
        for i in 0..<10_000 { text += "<t><a>\(i)</a></t>\n" }
        text += "<t><a>bad</b></t>\n</r>\n"
        let path = try directory.write("late.xml", Array(text.utf8))
        let reader = try Readers.open(path, options: ReaderOptions(recordPath: "r/t"))
        var good = 0
        var caught: ReadError?
        do {
            while try reader.next() != nil { good += 1 }
        } catch let error as ReadError {
            caught = error
        }
        #expect(good > 9_000)
        #expect(caught?.diagnostic.code == ReaderCode.malformedXML)
        #expect(caught?.diagnostic.location?.line == 10_002)
    }

    @Test("many records stream with bounded state")
    func streaming() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var text = "<?xml version=\"1.0\"?>\n<r xmlns=\"urn:x\">\n"
        for i in 0..<20_000 { text += "<t n=\"\(i)\"><a>\(i).00</a><l><v>1</v></l><l><v>2</v></l></t>\n" }
        text += "</r>\n"
        let path = try directory.write("many.xml", Array(text.utf8))
        let (_, records) = try readAll(path, ReaderOptions(recordPath: "r/t"))
        #expect(records.count == 20_000)
        #expect(records[19_999].value("@n") == "19999")
        #expect(records[19_999].line == 20_002)
    }
}
