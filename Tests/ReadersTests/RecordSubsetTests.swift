import Foundation
import LedgerModel
import Testing

@testable import Readers

/// Copying chosen records out of a file in its own format (an inbox's rejected rows).
@Suite("Record subsets")
struct RecordSubsetTests {
    static func temporary(_ name: String, _ bytes: [UInt8]) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("subset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func copy(_ path: String, keep: Set<Int>, options: ReaderOptions = ReaderOptions()) throws -> [UInt8] {
        let output = path + ".subset" + (path as NSString).pathExtension
        let written = try RecordSubset.write(from: path, options: options, keep: keep, to: output)
        #expect(written == keep.count)
        return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    @Test("CSV: preamble and header, then the chosen records' lines as they were, encoding and quotes kept")
    func csv() throws {
        // Windows-1252 (ø = 0xF8), CRLF, a quoted field spanning two lines, a preamble line.
        let text: [UInt8] =
            Array("Kontoudtog\r\nDato;Tekst;Bel".utf8) + [0xF8] + Array("b\r\n01-03-2026;a;\"1,00\"\r\n".utf8)
            + Array("02-03-2026;\"two\r\nlines\";\"2,00\"\r\n03-03-2026;c;\"3,00\"\r\n04-03-2026;d;\"4,00\"".utf8)
        let path = try Self.temporary("bank.csv", text)
        let options = ReaderOptions(encoding: .windows1252, headerLine: 2)
        let copied = try Self.copy(path, keep: [2, 4], options: options)
        let expected: [UInt8] =
            Array("Kontoudtog\r\nDato;Tekst;Bel".utf8) + [0xF8]
            + Array("b\r\n02-03-2026;\"two\r\nlines\";\"2,00\"\r\n04-03-2026;d;\"4,00\"".utf8)
        #expect(copied == expected)
        // Read back: the same records, in the same columns.
        let reader = try Readers.open(path + ".subsetcsv", options: options)
        #expect(reader.source.columns == ["Dato", "Tekst", "Beløb"])
        var texts: [String] = []
        while let record = try reader.next() { texts.append(record.string(column: 1) ?? "") }
        #expect(texts == ["two\r\nlines", "d"])
    }

    @Test("JSON Lines: the chosen lines")
    func jsonLines() throws {
        let path = try Self.temporary("e.jsonl", Array("{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n".utf8))
        #expect(try Self.copy(path, keep: [1, 3]) == Array("{\"a\":1}\n{\"a\":3}\n".utf8))
    }

    @Test("JSON: the records' array keeps only the chosen elements; the rest of the document stays")
    func json() throws {
        let text = """
            {
              "payroll": {"period": "2026-03", "note": "a ] and a [ in \\"text\\""},
              "employees": [
                {"id": "E01", "gross": 100},
                {"id": "E02", "tags": ["x", {"y": "}"}]},
                {"id": "E03", "gross": 300}
              ]
            }
            """
        let path = try Self.temporary("payroll.json", Array(text.utf8))
        let copied = String(decoding: try Self.copy(path, keep: [2, 3]), as: UTF8.self)
        #expect(
            copied == """
                {
                  "payroll": {"period": "2026-03", "note": "a ] and a [ in \\"text\\""},
                  "employees": [
                    {"id": "E02", "tags": ["x", {"y": "}"}]},
                    {"id": "E03", "gross": 300}
                  ]
                }
                """)
        #expect(
            String(decoding: try Self.copy(path, keep: [1]), as: UTF8.self).contains(
                "[\n    {\"id\": \"E01\", \"gross\": 100}\n  ]"))
    }

    @Test("XML: the other record elements are taken out; header, namespaces and parents stay")
    func xml() throws {
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <n1:AuditFile xmlns:n1="urn:x">
              <n1:Header><n1:Name>Café <![CDATA[<Ø>]]></n1:Name></n1:Header>
              <!-- <n1:Transaction> in a comment is not one -->
              <n1:Journal>
                <n1:Transaction id="1"><n1:Amount>1</n1:Amount></n1:Transaction>
                <n1:Transaction id="2" note='a > b'><n1:Amount>2</n1:Amount></n1:Transaction>
              </n1:Journal>
              <n1:Journal>
                <n1:Transaction id="3"/>
                <n1:Transaction id="4"><n1:Amount>4</n1:Amount></n1:Transaction>
              </n1:Journal>
            </n1:AuditFile>
            """
        let path = try Self.temporary("journal.xml", Array(text.utf8))
        let options = ReaderOptions(recordPath: "AuditFile/Journal/Transaction")
        let copied = String(decoding: try Self.copy(path, keep: [2, 3], options: options), as: UTF8.self)
        #expect(
            copied == """
                <?xml version="1.0" encoding="UTF-8"?>
                <n1:AuditFile xmlns:n1="urn:x">
                  <n1:Header><n1:Name>Café <![CDATA[<Ø>]]></n1:Name></n1:Header>
                  <!-- <n1:Transaction> in a comment is not one -->
                  <n1:Journal>
                    <n1:Transaction id="2" note='a > b'><n1:Amount>2</n1:Amount></n1:Transaction>
                  </n1:Journal>
                  <n1:Journal>
                    <n1:Transaction id="3"/>
                  </n1:Journal>
                </n1:AuditFile>
                """)
    }

    @Test("UTF-16 files are refused with R050, and nothing is left behind")
    func utf16() throws {
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in "a;b\n1;2\n".utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let path = try Self.temporary("u.csv", bytes)
        #expect {
            try RecordSubset.write(from: path, options: ReaderOptions(), keep: [1], to: path + ".out")
        } throws: { error in
            (error as? ReadError)?.diagnostic.code == ReaderCode.subsetNotCopied
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".out"))
    }
}
