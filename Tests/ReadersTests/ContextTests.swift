import Foundation
import LedgerModel
import Testing

@testable import Readers

/// Fields outside the record, kept while streaming: ancestors' values and paths from the root.
@Suite("Context outside the record")
struct ContextTests {
    static func context(_ record: Record) -> [String?] {
        guard case .tree(let tree) = record.fields else { return [] }
        return tree.context
    }

    static let saft = """
        <?xml version="1.0" encoding="UTF-8"?>
        <n1:AuditFile xmlns:n1="urn:StandardAuditFile-Taxation-Financial:DK">
          <n1:Header><n1:DefaultCurrencyCode>DKK</n1:DefaultCurrencyCode></n1:Header>
          <n1:GeneralLedgerEntries>
            <n1:TotalDebit>300.00</n1:TotalDebit>
            <n1:Journal type="sales">
              <n1:JournalID>SALG</n1:JournalID>
              <n1:Transaction><n1:TransactionID>1</n1:TransactionID></n1:Transaction>
              <n1:Transaction><n1:TransactionID>2</n1:TransactionID></n1:Transaction>
            </n1:Journal>
            <n1:Journal>
              <n1:Transaction><n1:TransactionID>1</n1:TransactionID></n1:Transaction>
              <n1:JournalID>LATE</n1:JournalID>
            </n1:Journal>
          </n1:GeneralLedgerEntries>
        </n1:AuditFile>
        """

    @Test(
        "XML: an ancestor's value and attribute, and a header value, beside each record; a journal's scope starts again"
    )
    func xml() throws {
        let folder = try TemporaryDirectory()
        defer { folder.cleanup() }
        let path = try folder.write("saft.xml", Array(Self.saft.utf8))
        var options = ReaderOptions(recordPath: "AuditFile/GeneralLedgerEntries/Journal/Transaction")
        options.contextPaths = [
            "../JournalID", "../@type", "/AuditFile/Header/DefaultCurrencyCode", "../../TotalDebit", "/Nowhere/x",
        ]
        let (_, records) = try readAll(path, options)
        #expect(records.count == 3)
        #expect(Self.context(records[0]) == ["SALG", "sales", "DKK", "300.00", nil])
        #expect(Self.context(records[1]) == ["SALG", "sales", "DKK", "300.00", nil])
        // The second journal's id comes after its transaction, and its type is not set: neither
        // the first journal's values nor the later one are taken.
        #expect(Self.context(records[2]) == [nil, nil, "DKK", "300.00", nil])
        #expect(records[0].value("TransactionID") == "1")
    }

    @Test("XML: `../` cannot climb from records matched at any depth, nor past the root")
    func resolve() {
        let steps = [FieldPath.Step(name: "A"), FieldPath.Step(name: "B")]
        #expect(throws: ContextPath.ResolveError.self) {
            try ContextPath.resolve("../x", recordSteps: nil, separator: "/")
        }
        #expect(throws: ContextPath.ResolveError.self) {
            try ContextPath.resolve("../../x", recordSteps: steps, separator: "/")
        }
        #expect((try? ContextPath.resolve("../x", recordSteps: steps, separator: "/"))?.map(\.name) == ["A", "x"])
        #expect(
            (try? ContextPath.resolve("/A/y/@z", recordSteps: nil, separator: "/"))?.map(\.name) == ["A", "y", "@z"])
        // A JSON record's outermost ancestor is the document itself.
        #expect(
            (try? ContextPath.resolve("../x", recordSteps: [FieldPath.Step(name: "items")], separator: "."))?.map(
                \.name)
                == ["x"])
    }

    @Test("JSON: members before the records array, beside the records and nested in objects")
    func json() throws {
        let folder = try TemporaryDirectory()
        defer { folder.cleanup() }
        let text = """
            {"meta": {"currency": "EUR", "count": 2, "skip": [1, {"a": 2}]}, "period": "2026-03",
             "data": {"account": "DK5000400440116243", "closed": false, "items": [{"amount": "1.00"}, {"amount": "2.00"}]},
             "after": "not seen"}
            """
        let path = try folder.write("in.json", Array(text.utf8))
        var options = ReaderOptions(recordPath: "data.items")
        options.contextPaths = ["/meta.currency", "/meta.count", "../account", "../closed", "/period", "/after"]
        let (_, records) = try readAll(path, options)
        #expect(records.count == 2)
        #expect(Self.context(records[1]) == ["EUR", "2", "DK5000400440116243", "false", "2026-03", nil])
        #expect(records[1].value("amount") == "2.00")
    }

    static let camt = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
          <BkToCstmrStmt>
            <Stmt>
              <Acct><Id><IBAN>DK1</IBAN></Id></Acct>
              <Bal><Tp>OPBD</Tp><Amt Ccy="DKK">100.00</Amt></Bal>
              <Bal><Tp>CLBD</Tp><Amt Ccy="DKK">90.00</Amt></Bal>
              <Ntry><Amt Ccy="DKK">-10.00</Amt></Ntry>
            </Stmt>
            <Stmt>
              <Acct><Id><IBAN>DK2</IBAN></Id></Acct>
              <Ntry><Amt Ccy="EUR">1.00</Amt></Ntry>
              <Ntry><Amt Ccy="EUR">2.00</Amt></Ntry>
            </Stmt>
          </BkToCstmrStmt>
        </Document>
        """

    @Test("an index in a records path picks that element: one statement of two, one entry of its")
    func indexedRecordPath() throws {
        let folder = try TemporaryDirectory()
        defer { folder.cleanup() }
        let path = try folder.write("camt.xml", Array(Self.camt.utf8))
        var options = ReaderOptions(recordPath: "Document/BkToCstmrStmt/Stmt[2]/Ntry")
        options.contextPaths = ["../Acct/Id/IBAN"]
        let (_, second) = try readAll(path, options)
        #expect(second.map { $0.value("Amt") } == ["1.00", "2.00"])
        #expect(second.map { Self.context($0) } == [["DK2"], ["DK2"]])
        let (_, one) = try readAll(path, ReaderOptions(recordPath: "Document/BkToCstmrStmt/Stmt[2]/Ntry[2]"))
        #expect(one.map { $0.value("Amt") } == ["2.00"])
        let (_, all) = try readAll(path, ReaderOptions(recordPath: "Document/BkToCstmrStmt/Stmt/Ntry"))
        #expect(all.count == 3)
        let (_, none) = try readAll(path, ReaderOptions(recordPath: "Document/BkToCstmrStmt/Stmt[3]/Ntry"))
        #expect(none.isEmpty)
    }

    @Test("a camt.053 statement's entries are detected as its records, not its balances")
    func camtDetected() throws {
        let folder = try TemporaryDirectory()
        defer { folder.cleanup() }
        let path = try folder.write("camt.xml", Array(Self.camt.utf8))
        let (reader, records) = try readAll(path)
        #expect(reader.source.recordPath == "Document/BkToCstmrStmt/Stmt/Ntry")
        #expect(records.count == 3)
    }
}
