import Foundation
import LedgerModel
import Readers
import Testing

@testable import Mapping

@Suite("Documents: lines, grouping, references")
struct DocumentTests {
    @Test("one row → one line per non-zero payment column, plus the fee")
    func splitting() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let yaml = try String(contentsOf: root.appendingPathComponent("mappings/daily-sales.yaml"), encoding: .utf8)
        let csv =
            "Dato;Z-rapport;Omsætning;Heraf moms;Kontant;Kort;MobilePay;Kortgebyr\n"
            + "01-03-2026;7;\"1.000,00\";200,00;0,00;\"750,00\";250,00;9,38\n"
            + "02-03-2026;8;0,00;0,00;0,00;0,00;0,00;0,00\n"
        let events = try harness.run(yaml, data: csv)
        let document = try #require(events.documents.first)
        #expect(document.lines.map(\.account) == ["5810", "5830", "4000"])
        #expect(document.lines.map(\.amount.amountText) == ["750.00", "250.00", "9.38"])
        #expect(document.lines.map { $0.balancingVat?.description } == ["U25", "U25", "none"])
        #expect(document.lines[0].description == "Kort, Z-rapport 7")
        #expect(events.skips.count == 1)
        #expect(events.skips.first?.reason.contains("nothing to book") == true)
    }

    @Test("lines with `when:` are emitted only when it holds")
    func lineConditions() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let yaml = """
            version: 1
            source: { format: csv, delimiter: ";" }
            document:
              kind: manual_voucher
              date: "{d}"
              lines:
                - { account: 1, balancing_account: 2, amount: "{a}", vat: none, balancing_vat: none, when: { t: in } }
                - { account: 3, balancing_account: 2, amount: "{a}", vat: none, balancing_vat: none, when: { t: out } }
            """
        let events = try harness.run(yaml, data: "d;t;a\n2026-03-01;in;5\n2026-03-01;out;6\n")
        #expect(events.documents.map { $0.lines.map(\.account) } == [["1"], ["3"]])
    }

    static func grouped(order: String = "sorted", buffer: String = "") -> String {
        """
        version: 1
        source: { format: csv, delimiter: ";" }
        document:
          kind: manual_voucher
          date: "{date}"
          description: "Bilag {voucher}"
          group_by: { key: "{voucher}", order: \(order) \(buffer) }
          lines:
            - { account: "{account}", amount: "{amount}", vat: none }
        """
    }

    @Test("many rows → one document, grouped by a key, streaming when sorted")
    func groupingSorted() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let csv =
            "voucher;date;account;amount\n1;2026-03-01;1000;-100\n1;2026-03-01;5500;100\n2;2026-03-02;2000;50\n2;2026-03-02;5500;-50\n3;2026-03-03;9;1\n"
        let events = try harness.run(Self.grouped(), data: csv)
        #expect(events.documents.count == 3)
        #expect(events.documents[0].lines.map(\.account) == ["1000", "5500"])
        #expect(events.documents[0].provenance.rows.map(\.line) == [2, 3])
        #expect(events.documents[0].description == "Bilag 1")
        #expect(events.documents[1].total.isZero)
        // A grouped document's reference is the digest of all its rows; pinned, as it is the
        // exactly-once key of documents already booked.
        #expect(
            events.documents.prefix(2).map(\.reference) == [
                "ll1-16g61m3jnpqxh2f1pwpc7yjky5", "ll1-83h62fkea8c7ebtc61e7d4hfh8",
            ])
    }

    @Test("accounts and VAT codes from the row stay right when more distinct values cycle than are remembered")
    func recentValues() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let yaml = """
            version: 1
            source: { format: csv, delimiter: ";" }
            document:
              kind: ledger_item
              date: "{d}"
              lines:
                - { account: "{acc}", balancing_account: 5500, amount: "{a}", vat: "{v}", balancing_vat: none }
            """
        var csv = "d;acc;v;a\n"
        var expected: [(String, String)] = []
        let codes = ["I25", "U25", "none", "REP", "Y25", "HREP", "I0", "U0", "EU25", "ABR", "INV"]
        for i in 0..<200 {
            // Every other row one of 3 frequent values, in between one of 20 (11) rare ones: the
            // frequent ones are found again, and pushed out now and then, and come back.
            let account = String(i % 2 == 0 ? 1000 + (i / 2) % 3 : 2000 + (i / 2) % 20)
            let vat = i % 2 == 0 ? codes[(i / 2) % 3] : codes[3 + (i / 2) % 8] + (i % 4 == 1 ? "" : "X")
            csv += "2026-03-01;\(account);\(vat);\(i + 1)\n"
            expected.append((account, vat))
        }
        let events = try harness.run(yaml, data: csv)
        #expect(events.documents.count == 200)
        let accounts = events.documents.map { $0.lines[0].account?.rawValue ?? "" }
        let vats = events.documents.map { document -> String in
            switch document.lines[0].vat {
            case .code(let code)?: code
            case .none?: "none"
            default: "?"
            }
        }
        #expect(accounts == expected.map(\.0))
        #expect(vats == expected.map(\.1))
    }

    @Test("a grouped document that fails on a later row is rejected whole, pointing at that row")
    func groupingFailsOnLaterRow() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let csv =
            "voucher;date;account;amount\n1;2026-03-01;1000;-100\n1;2026-03-01;5500;1x0\n1;2026-03-01;5510;5\n2;2026-03-02;2000;50\n"
        let events = try harness.run(Self.grouped(), data: csv)
        #expect(events.documents.map(\.description) == ["Bilag 2"])
        let rejection = try #require(events.rejections.first)
        #expect(rejection.rows.map(\.line) == [2, 3, 4])
        let diagnostic = try #require(rejection.diagnostics.first)
        #expect(diagnostic.location?.line == 3)
        #expect(diagnostic.location?.field == "amount")
    }

    @Test("sorted grouping rejects a row whose voucher was already closed, naming the fix")
    func groupingOutOfOrder() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let csv = "voucher;date;account;amount\n1;2026-03-01;1000;-100\n2;2026-03-02;2000;50\n1;2026-03-01;5500;100\n"
        let events = try harness.run(Self.grouped(), data: csv)
        #expect(events.documents.count == 2)
        let rejection = try #require(events.rejections.first)
        #expect(rejection.rows.map(\.line) == [4])
        #expect(rejection.diagnostics.first?.code == MappingCode.groupNotTogether)
        #expect(rejection.diagnostics.first?.hint?.contains("group_by.order: any") == true)
    }

    @Test("`order: any` groups unsorted rows, keeping first-seen order")
    func groupingAny() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let csv =
            "voucher;date;account;amount\n1;2026-03-01;1000;-100\n2;2026-03-02;2000;50\n1;2026-03-01;5500;100\n2;2026-03-02;5500;-50\n"
        let events = try harness.run(Self.grouped(order: "any"), data: csv)
        #expect(events.documents.map(\.description) == ["Bilag 1", "Bilag 2"])
        #expect(events.documents[0].provenance.rows.map(\.line) == [2, 4])
    }

    @Test("the group buffer is bounded and the error names the option to raise")
    func groupBuffer() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        var csv = "voucher;date;account;amount\n"
        for i in 0..<10 { csv += "\(i);2026-03-01;1;1\n" }
        do {
            _ = try harness.run(Self.grouped(order: "any", buffer: ", buffer_rows: 5"), data: csv)
            Issue.record("expected the buffer to overflow")
        } catch let error as MappingError {
            #expect(error.diagnostics.first?.code == MappingCode.groupBufferFull)
            #expect(error.diagnostics.first?.hint?.contains("group_by.buffer_rows") == true)
        }
    }

    @Test("references: the same file gives the same references; identical rows get different ones")
    func referencesStable() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let csv = "date;text;amount\n01-03-2026;Kaffe;45,00\n01-03-2026;Kaffe;45,00\n02-03-2026;Kage;30,00\n"
        let first = try harness.run(lineMapping(), data: csv).documents.map(\.reference)
        let second = try harness.run(lineMapping(), data: csv).documents.map(\.reference)
        #expect(first == second)
        #expect(Set(first).count == 3)
        #expect(first.allSatisfy { $0.hasPrefix("ll1-") && $0.count == 30 })
        // Pinned, the second coffee's (a repeated content's) included: exactly-once keys.
        #expect(
            first == [
                "ll1-reh6f0rzjtw9yvg9q5xwetbgjs", "ll1-5j2b7h7drvzcsrrypmck8b6hb8", "ll1-sbz4mg3w8br8wnthhetz9pwkzt",
            ])
    }

    @Test("references survive an overlapping re-export and a re-dropped fixed file")
    func referencesOverlap() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let header = "date;text;amount\n"
        let march = "01-03-2026;Kaffe;45,00\n02-03-2026;Husleje;-8000,00\n"
        let april = "01-04-2026;Kaffe;45,00\n"
        let one = try harness.run(lineMapping(), data: header + march, file: "a.csv").documents.map(\.reference)
        let overlapping = try harness.run(
            lineMapping(), data: header + "28-02-2026;Gebyr;-10,00\n" + march + april, file: "b.csv"
        )
        .documents.map(\.reference)
        #expect(overlapping[1] == one[0])
        #expect(overlapping[2] == one[1])
        #expect(!one.contains(overlapping[0]) && !one.contains(overlapping[3]))
    }

    @Test("references can be scoped to the file, or written by the mapping")
    func referenceScopes() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let csv = "date;text;amount\n01-03-2026;Kaffe;45,00\n"
        let scoped = lineMapping(document: "  reference: { scope: file }")
        let a = try harness.run(scoped, data: csv, file: "a.csv").documents.map(\.reference)
        let b = try harness.run(scoped, data: csv + "02-03-2026;x;1\n", file: "b.csv").documents.map(\.reference)
        let content = try harness.run(lineMapping(), data: csv).documents.map(\.reference)
        #expect(a[0] != b[0])
        #expect(a[0] != content[0])
        let written = try harness.run(lineMapping(document: "  reference: \"bank-{date}-{text}\""), data: csv).documents
        #expect(written.first?.reference == "bank-01-03-2026-Kaffe")
        let empty = try harness.run(
            lineMapping(document: "  reference: \"{other}\""), data: "date;text;amount;other\n01-03-2026;K;1;\n")
        #expect(empty.rejections.first?.diagnostics.first?.code == MappingCode.missingValue)
    }

    @Test("a row the reader found broken is rejected with the reader's reason")
    func readerErrors() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let events = try harness.run(lineMapping(), data: "date;text;amount\n01-03-2026;a;1\n02-03-2026;b\n")
        #expect(events.documents.count == 1)
        #expect(events.rejections.first?.diagnostics.first?.code == ReaderCode.fieldCount)
    }

    @Test("for_each over repeated XML elements: the item's fields, the record's only when asked for (^)")
    func forEachXML() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let xml = """
            <r><t><d>2026-03-01</d><text>T</text><l><a>1000</a><amt>5.00</amt></l><l><a>2000</a><amt>-5.00</amt><text>own</text></l></t></r>
            """
        let yaml = """
            version: 1
            source: { format: xml, records: r/t }
            document:
              kind: ledger_item
              date: "{d}"
              lines:
                - { for_each: l, account: "{a}", amount: "{amt}", description: "{text}", vat: none }
            """
        let events = try harness.run(yaml, data: xml, file: "x.xml")
        let document = try #require(events.documents.first)
        #expect(document.lines.map(\.account) == ["1000", "2000"])
        #expect(document.lines.map(\.description) == ["", "own"])
        let fallback = try harness.run(
            yaml.replacingOccurrences(
                of: "description: \"{text}\"", with: "description: { first_of: [\"{text}\", \"{^text}\"] }"),
            data: xml, file: "y.xml")
        #expect(fallback.documents.first?.lines.map(\.description) == ["T", "own"])
    }

    @Test("binding: an unknown column names the mapping line, suggests and lists the columns")
    func unknownColumn() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let (mapping, _) = try harness.compile(lineMapping(amount: "\"{amuont}\""))
        let path = try harness.write("in.csv", "date;text;amount\n01-03-2026;x;1\n")
        let reader = try Readers.open(path, options: try #require(mapping).readerOptions)
        let (bound, diagnostics) = BoundMapping.bind(try #require(mapping), to: reader.source)
        #expect(bound == nil)
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostic.code == MappingCode.unknownColumn)
        #expect(diagnostic.message.hasPrefix("no column \"amuont\" in"))
        #expect(diagnostic.hint?.hasPrefix("did you mean \"amount\"?") == true)
        #expect(diagnostic.hint?.contains("\"date\", \"text\", \"amount\"") == true)
        #expect(diagnostic.location?.file.hasSuffix("mapping.yaml") == true)
        #expect(diagnostic.location?.line == 13)
    }
}

@Suite("Occurrence table")
struct OccurrenceTableTests {
    @Test("counts stay right across growth and past 255")
    func counts() {
        var table = OccurrenceTable()
        var random = UInt64(12345)
        var keys: [UInt64] = []
        for _ in 0..<20_000 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            keys.append(random)
        }
        #expect(keys.allSatisfy { table.increment($0) == 1 })
        #expect(keys.allSatisfy { table.increment($0) == 2 })
        for n in 3...300 { #expect(table.increment(keys[7]) == UInt32(n)) }
        #expect(table.increment(keys[8]) == 3)
    }

    @Test("counts match a dictionary's when repeats come at every distance, through growth")
    func countsAgainstDictionary() {
        var table = OccurrenceTable()
        var expected: [UInt64: UInt32] = [:]
        var random = UInt64(987)
        var seen: [UInt64] = []
        var mismatches = 0
        for i in 0..<300_000 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Mostly new keys; now and then one from just before, from long ago, or one that
            // differs from a seen key only in bit 8 (which the table sets on every key).
            var key = random
            if i % 97 == 0, let last = seen.last { key = last }
            if i % 1009 == 0, !seen.isEmpty { key = seen[Int(random >> 40) % seen.count] }
            if i % 5003 == 0, let last = seen.last { key = last ^ 0x100 }
            seen.append(key)
            let normalized = key | 0x100
            expected[normalized, default: 0] += 1
            if table.increment(key) != expected[normalized]! { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(expected.values.contains { $0 > 1 })
    }

    @Test("room reserved part way, too little or too much, changes no count")
    func reserve() {
        var random = UInt64(4242)
        var keys: [UInt64] = []
        for i in 0..<60_000 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            keys.append(i % 3 == 0 && i > 0 ? keys[Int(random >> 33) % i] : random)
        }
        func counts(reserving: Int?, after: Int) -> [UInt32] {
            var table = OccurrenceTable()
            return keys.enumerated().map { i, key in
                if i == after, let reserving { table.reserve(reserving) }
                return table.increment(key)
            }
        }
        let plain = counts(reserving: nil, after: 0)
        #expect(plain.contains { $0 > 1 })
        for (reserving, after) in [(50_000, 0), (45_000, 5_000), (10_000, 30_000), (1_000_000, 59_000)] {
            #expect(counts(reserving: reserving, after: after) == plain, "reserve \(reserving) after \(after)")
        }
    }
}

@Suite("Read progress")
struct ReadProgressTests {
    @Test("records are estimated from the share of the file read, once enough is read")
    func estimate() {
        let progress = ReadProgress(bytesRead: 4 << 20, fileSize: 100 << 20)
        #expect(progress.estimatedRecords(after: 40_000, minimumBytes: 4 << 20) == 1_000_000)
        #expect(progress.estimatedRecords(after: 40_000, minimumBytes: 5 << 20) == nil)
        #expect(progress.estimatedRecords(after: 0, minimumBytes: 0) == nil)
        #expect(ReadProgress(bytesRead: 0, fileSize: 10).estimatedRecords(after: 5, minimumBytes: 0) == nil)
    }

    @Test("a file's reader reports the bytes read, up to its size at the end")
    func fromReader() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("progress-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = "a;b\n" + (1...5_000).map { "\($0);x\n" }.joined()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try Readers.open(path)
        var last = reader.progress
        #expect(last?.fileSize == Int64(text.utf8.count))
        while try reader.next() != nil {
            let now = reader.progress
            #expect(now!.bytesRead >= last!.bytesRead && now!.bytesRead <= now!.fileSize)
            last = now
        }
        #expect(last?.bytesRead == Int64(text.utf8.count))
    }
}
