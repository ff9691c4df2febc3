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
}
