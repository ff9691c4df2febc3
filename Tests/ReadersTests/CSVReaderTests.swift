import Foundation
import LedgerModel
import Testing

@testable import Readers

@Suite("CSV reader")
struct CSVReaderTests {
    @Test("a Danish bank export: Windows-1252, semicolons, quoted Danish amounts, CRLF")
    func danishBankExport() throws {
        let (reader, records) = try readAll(Fixture.path("csv/danish-bank.csv"))
        #expect(reader.source.encoding == .windows1252)
        #expect(reader.source.delimiter == UInt8(ascii: ";"))
        #expect(reader.source.columns == ["Dato", "Tekst", "Beløb", "Saldo", "Valuta"])
        #expect(reader.source.columnIndex(named: "beløb") == 2)
        #expect(records.count == 4)
        #expect(records[0].values == ["01-03-2026", "Dankort-køb Netto Østerbro", "-1.234,56", "48.765,44", "DKK"])
        #expect(records[1].values[1] == "MobilePay \"Kaffe & kage\"")
        #expect(records[2].values[1] == "Overførsel fra Jørgen; husleje")
        #expect(records[3].values[1] == "Gebyr € kort")
        #expect(records.map(\.line) == [2, 3, 4, 5])
        #expect(records.map(\.number) == [1, 2, 3, 4])
        #expect(records.allSatisfy { $0.diagnostics.isEmpty })
    }

    @Test("RFC 4180: quoted delimiters, doubled quotes, line breaks inside quotes")
    func rfc4180() throws {
        let (_, records) = try readAll(Fixture.path("csv/rfc4180.csv"))
        #expect(
            records.map { $0.values[1] } == [
                "quoted, with comma", "doubled \"quotes\" inside", "line one\nline two", "plain",
            ])
        // The record with a line break starts on line 4; the next one on line 6.
        #expect(records.map(\.line) == [2, 3, 4, 6])
    }

    @Test("old Mac CR line endings")
    func carriageReturnOnly() throws {
        let (reader, records) = try readAll(Fixture.path("csv/cr-only.csv"))
        #expect(reader.source.columns == ["a", "b"])
        #expect(records.map(\.values) == [["1", "2"], ["3", "4"]])
        #expect(records.map(\.line) == [2, 3])
    }

    @Test("every chunk size gives the same records", arguments: [4096, 4097, 5000, 65536])
    func chunkBoundaries(chunkSize: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var text = "id;text;amount\r\n"
        for i in 0..<3000 {
            text += "\(i);\"quoted \"\"\(i)\"\"\r\nsecond line\";\"\(i),5\"\r\n"
        }
        let path = try directory.write("big.csv", Array(text.utf8))
        let (_, records) = try readAll(path, ReaderOptions(chunkSize: chunkSize))
        #expect(records.count == 3000)
        #expect(records[2999].values == ["2999", "quoted \"2999\"\r\nsecond line", "2999,5"])
        #expect(records[1].line == 4)
        #expect(records[2999].line == 2 + 2 * 2999)
    }

    @Test("every row shape reads the same whichever chunk boundary it meets (fast path or byte by byte)")
    func rowShapesAcrossChunks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        // Each shape with the fields it must give: plain, quoted, empty quoted, doubled quotes,
        // a quote inside an unquoted field, text after a closing quote, a line break in quotes,
        // and LF, CRLF and lone CR endings.
        let shapes: [(String, [String])] = [
            ("a;b;c\n", ["a", "b", "c"]),
            ("\"1.234,56\";x;\"\"\r\n", ["1.234,56", "x", ""]),
            ("\"say \"\"hi\"\"\";y;z\r", ["say \"hi\"", "y", "z"]),
            ("5\" disk;\"q\"tail;w\n", ["5\" disk", "qtail", "w"]),
            ("\"two\nlines\";;end\r\n", ["two\nlines", "", "end"]),
            ("Løn;æøå;\"Overførsel\"\n", ["Løn", "æøå", "Overførsel"]),
        ]
        var text = "h1;h2;h3\n"
        var expected: [[String]] = []
        for i in 0..<2500 {
            let (row, fields) = shapes[i % shapes.count]
            text += row
            expected.append(fields)
        }
        text += "last;row;no newline"
        expected.append(["last", "row", "no newline"])
        let path = try directory.write("shapes.csv", Array(text.utf8))
        for chunkSize in [4096, 4097, 4099, 4103, 5000, 1 << 18] {
            let (_, records) = try readAll(path, ReaderOptions(delimiter: UInt8(ascii: ";"), chunkSize: chunkSize))
            #expect(records.map(\.values) == expected, "chunk size \(chunkSize)")
            // Lines: each shape is one line but the one with a line break in quotes.
            #expect(records[4].line == 6 && records[5].line == 8, "chunk size \(chunkSize)")
            #expect(records[2500].line == 2 + 2500 + 2500 / 6, "chunk size \(chunkSize)")
        }
    }

    /// `length` characters from `offset` in a cycle of bytes next to the ones that end a field
    /// (":" and "<" beside ";", "!" and "#" beside the quote, control bytes beside CR and LF) and
    /// UTF-8 bytes with the high bit set.
    static func nearStops(_ length: Int, from offset: Int) -> String {
        let filler = Array("!#:<\u{0B}\u{0C}\u{0E}æø\u{09}å".unicodeScalars)
        var text = String.UnicodeScalarView()
        for i in 0..<length { text.append(filler[(offset + i) % filler.count]) }
        return String(text)
    }

    /// Reads the `;`-separated file in chunks of each size and expects exactly these rows.
    static func expectRows(_ path: String, _ expected: [[String]], chunkSizes: [Int]) throws {
        for chunkSize in chunkSizes {
            let (_, records) = try readAll(path, ReaderOptions(delimiter: UInt8(ascii: ";"), chunkSize: chunkSize))
            #expect(records.count == expected.count, "chunk size \(chunkSize)")
            let wrong = zip(records, expected).enumerated().first { $0.element.0.values != $0.element.1 }
            #expect(
                wrong == nil,
                "chunk size \(chunkSize): row \(wrong?.offset ?? -1): \(wrong.map { $0.element.0.values } ?? [])")
        }
    }

    @Test("fields of every length end at the right byte, next to bytes one off from the ones that end them")
    func fieldLengths() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var csv = "a;b;c;d\n"
        var expected: [[String]] = []
        for length in 0...24 {
            for offset in 0..<3 {
                let plain = Self.nearStops(length, from: offset)
                let quoted = Self.nearStops(length, from: offset + 1)
                // A doubled quote somewhere inside the quoted field, and a line break in quotes.
                let cut = length / 2
                let inQuotes =
                    String(quoted.unicodeScalars.prefix(cut)) + "\"\"" + String(quoted.unicodeScalars.dropFirst(cut))
                let ending = ["\n", "\r\n", "\r"][(length + offset) % 3]
                csv += "\(plain);\"\(inQuotes)\";\"x\ny\(plain)\";\(Self.nearStops(length + 3, from: offset))\(ending)"
                expected.append([
                    plain,
                    String(quoted.unicodeScalars.prefix(cut)) + "\"" + String(quoted.unicodeScalars.dropFirst(cut)),
                    "x\ny" + plain, Self.nearStops(length + 3, from: offset),
                ])
            }
        }
        let path = try directory.write("lengths.csv", Array(csv.utf8))
        try Self.expectRows(path, expected, chunkSizes: [4096, 4101, 1 << 16])
    }

    @Test("fields read 16 bytes at a time end at the right byte, whatever their length and wherever the chunk ends")
    func vectorFieldLengths() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        // Rows the fast path reads (quoted fields without quotes or line breaks inside), with
        // fields of 0 to 40 bytes: shorter than a vector, one, and more than two.
        var csv = "a;b;c\n"
        var expected: [[String]] = []
        for round in 0..<6 {
            for length in 0...40 {
                let fields = [
                    Self.nearStops(length, from: round), Self.nearStops(40 - length, from: round + 1),
                    Self.nearStops(length, from: round + 2),
                ]
                let ending = ["\n", "\r\n", "\r"][(length + round) % 3]
                csv += "\(fields[0]);\"\(fields[1])\";\(fields[2])\(ending)"
                expected.append(fields)
            }
        }
        let path = try directory.write("vectors.csv", Array(csv.utf8))
        // Chunk ends at every offset within a vector.
        try Self.expectRows(path, expected, chunkSizes: Array(4096...4112))
    }

    @Test("rows longer and wider than the scanner's first buffers are read whole, and so are the rows after them")
    func rowsOutgrowBuffers() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        // 100 fields (the scanner starts with room for 64), one of them 5,000 bytes long and
        // quoted with doubled quotes and a line break (it starts with 1,024 bytes), then a short row.
        let long = String(repeating: "æøå \"\"x\"\" ", count: 400) + "\r\nend"
        let wide = (0..<100).map { $0 == 50 ? "\"\(long)\"" : "f\($0)" }.joined(separator: ",")
        let text =
            (0..<100).map { "c\($0)" }.joined(separator: ",") + "\n" + "short,row\n" + wide + "\n"
            + "short,again\n" + wide + "\n"
        let path = try directory.write("wide.csv", Array(text.utf8))
        let expectedWide = (0..<100).map { $0 == 50 ? long.replacingOccurrences(of: "\"\"", with: "\"") : "f\($0)" }

        let (_, records) = try readAll(path)
        #expect(records.count == 4)
        #expect(records[0].values == ["short", "row"])
        #expect(records[1].values == expectedWide)
        #expect(records[2].values == ["short", "again"])
        #expect(records[3].values == expectedWide)
        #expect(records[3].line == 6)

        // The pipeline's path copies each row into a record's buffers.
        let reader = try Readers.open(path)
        var record = records[0].detached()
        var values: [[String]] = []
        while try reader.next(into: &record, source: nil) { values.append(record.values) }
        #expect(values == records.map(\.values))
    }

    @Test(
        "delimiter detection",
        arguments: [
            ("csv/danish-bank.csv", UInt8(ascii: ";")), ("csv/rfc4180.csv", UInt8(ascii: ",")),
            ("csv/tabs.tsv", UInt8(0x09)), ("csv/pipes.txt", UInt8(ascii: "|")),
        ])
    func delimiterDetection(file: String, expected: UInt8) throws {
        let reader = try Readers.open(Fixture.path(file))
        #expect(reader.source.delimiter == expected)
    }

    @Test("detach(into:) gives what detached() gives, reusing the target's storage and never a shared one")
    func detachInto() throws {
        let reader = try Readers.open(Fixture.path("csv/danish-bank.csv"))
        let source = reader.source.copy()
        var kept: [Record] = []
        var target: Record?
        var previous: Record?
        while let record = try reader.next() {
            let expected = record.detached(source: source)
            if var reused = target {
                target = nil  // the array holds no other reference
                record.detach(into: &reused, source: source)
                target = reused
            } else {
                target = record.detached(source: source)
            }
            #expect(target!.values == expected.values)
            #expect(target!.line == expected.line && target!.number == expected.number)
            #expect(target!.source === source)
            // A copy kept from the last row (as a document might keep one) must not change.
            if let previous { kept.append(previous) }
            previous = target
        }
        let (_, again) = try readAll(Fixture.path("csv/danish-bank.csv"))
        #expect(kept.map(\.values) == again.dropLast().map(\.values))
        #expect(kept.count >= 3)

        // Nothing kept: the storage is the target's alone and is refilled in place.
        let second = try Readers.open(Fixture.path("csv/danish-bank.csv"))
        var only = Record(source: source, number: 0, line: 0, fields: .columns(ColumnFields(bytes: [], ends: [])))
        var index = 0
        while let record = try second.next() {
            record.detach(into: &only, source: source)
            #expect(only.values == again[index].values)
            index += 1
        }
        #expect(index == again.count)
    }

    @Test(
        "next(into:) gives what next() gives, diagnostics included, and never changes a copy kept from an earlier row",
        arguments: [
            "csv/danish-bank.csv", "csv/field-count.csv", "csv/rfc4180.csv", "csv/latin1.csv", "csv/blank-lines.csv",
            "csv/utf16le-bom.csv",
        ])
    func nextInto(file: String) throws {
        let (_, expected) = try readAll(Fixture.path(file))
        let reader = try Readers.open(Fixture.path(file))
        let source = reader.source.copy()
        // Two records refilled in turn, as a pipeline's batches are; every other row's copy is kept.
        var records = [expected[0].detached(), expected[0].detached()]
        var kept: [(Int, Record)] = []
        var index = 0
        while try reader.next(into: &records[index % 2], source: index % 3 == 0 ? source : nil) {
            let record = records[index % 2]
            #expect(record.values == expected[index].values, "row \(index)")
            #expect(record.line == expected[index].line && record.number == expected[index].number)
            #expect(record.diagnostics.map(\.message) == expected[index].diagnostics.map(\.message))
            #expect(index % 3 == 0 ? record.source === source : record.source === reader.source)
            if index % 2 == 0 { kept.append((index, record)) }
            index += 1
        }
        #expect(index == expected.count)
        for (at, record) in kept { #expect(record.values == expected[at].values, "kept row \(at)") }
        if file == "csv/field-count.csv" { #expect(expected.contains { !$0.diagnostics.isEmpty }) }
    }

    @Test("next(into:) on JSON and XML readers (the general path) gives what next() gives")
    func nextIntoTrees() throws {
        let files = [
            ("json/array.json", ReaderOptions()),
            ("xml/journal.xml", ReaderOptions(recordPath: "AuditFile/GeneralLedgerEntries/Journal/Transaction")),
        ]
        for (file, options) in files {
            let (_, expected) = try readAll(Fixture.path(file), options)
            let reader = try Readers.open(Fixture.path(file), options: options)
            var record = expected[0].detached()
            var index = 0
            while try reader.next(into: &record, source: nil) {
                #expect(record.flattened().map(\.value) == expected[index].flattened().map(\.value), "\(file) \(index)")
                index += 1
            }
            #expect(index == expected.count && index > 1)
        }
    }

    @Test("a given delimiter overrides detection")
    func delimiterOverride() throws {
        let (reader, records) = try readAll(Fixture.path("csv/tabs.tsv"), ReaderOptions(delimiter: UInt8(ascii: ",")))
        #expect(reader.source.delimiter == UInt8(ascii: ","))
        #expect(records[0].values == ["2026-01-01\ta", " b; c\t1.00"])
        #expect(records[0].diagnostics.map(\.code) == [ReaderCode.fieldCount])
    }

    @Test("a header at line 3 skips the preamble, even with an unbalanced quote in it")
    func headerLine() throws {
        let (reader, records) = try readAll(Fixture.path("csv/preamble.csv"), ReaderOptions(headerLine: 3))
        #expect(reader.source.columns == ["Dato", "Tekst", "Beløb"])
        #expect(reader.source.headerLine == 3)
        #expect(reader.source.delimiter == UInt8(ascii: ";"))
        #expect(records.map(\.values) == [["01-03-2026", "Løn", "25.000,00"]])
        #expect(records[0].line == 4)
    }

    @Test("no header: columns are numbered and skipped lines are honoured")
    func noHeader() throws {
        let (reader, records) = try readAll(
            Fixture.path("csv/no-header.csv"), ReaderOptions(headerLine: 0, skipLines: 1))
        #expect(reader.source.columns.isEmpty)
        #expect(reader.source.headerLine == nil)
        #expect(records.map(\.values) == [["01-01-2026", "100"], ["02-01-2026", "200"]])
        #expect(records.allSatisfy { $0.diagnostics.isEmpty })
        #expect(records[0].flattened().map(\.name) == ["column 1", "column 2"])
    }

    @Test("a row with the wrong field count is kept, with an error naming line and counts")
    func fieldCount() throws {
        let (_, records) = try readAll(Fixture.path("csv/field-count.csv"))
        #expect(records.count == 4)
        #expect(records.map(\.hasErrors) == [false, true, true, false])
        let tooFew = try #require(records[1].diagnostics.first)
        #expect(tooFew.code == ReaderCode.fieldCount)
        #expect(tooFew.location?.line == 3)
        #expect(tooFew.message == "row has 2 fields, the header has 3")
        let tooMany = try #require(records[2].diagnostics.first)
        #expect(tooMany.message == "row has 4 fields, the header has 3")
        #expect(tooMany.hint?.contains("quote it") == true)
        #expect(records[2].values == ["6", "7", "8", "9"])
    }

    @Test("blank lines and rows of empty fields are skipped")
    func blankLines() throws {
        let (_, records) = try readAll(Fixture.path("csv/blank-lines.csv"), ReaderOptions(delimiter: UInt8(ascii: ",")))
        #expect(records.map(\.values) == [["1", "2"], ["3", "4"]])
        #expect(records.map(\.line) == [3, 7])
    }

    @Test("an unterminated quote names where the quote opened")
    func unterminatedQuote() throws {
        let error = try #require(readError(Fixture.path("csv/unterminated.csv")))
        #expect(error.diagnostic.code == ReaderCode.unterminatedQuote)
        #expect(error.diagnostic.location?.line == 2)
        #expect(error.diagnostic.location?.column == 3)
        #expect(error.description.contains("unterminated.csv:2:3: error: [R020]"))
    }

    @Test("a record over the size cap stops with an error naming the option")
    func recordTooLarge() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = try directory.write(
            "huge.csv", Array("a,b\n1,\"".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 3_000_000))
        let error = try #require(readError(path, ReaderOptions(maxRecordBytes: 1 << 20)))
        #expect(error.diagnostic.code == ReaderCode.recordTooLarge)
        #expect(error.diagnostic.location?.line == 2)
        #expect(error.diagnostic.message.contains("line 2, column 3"))
        #expect(error.diagnostic.hint?.contains("--max-record-bytes") == true)
    }

    @Test("one enormous unquoted line is capped too")
    func enormousLine() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = try directory.write(
            "line.csv", Array("a\n".utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: 2_500_000))
        let error = try #require(readError(path, ReaderOptions(maxRecordBytes: 1 << 20)))
        #expect(error.diagnostic.code == ReaderCode.recordTooLarge)
    }

    @Test("duplicate and empty header names are warned about")
    func duplicateHeader() throws {
        let (reader, records) = try readAll(Fixture.path("csv/duplicate-header.csv"))
        #expect(reader.diagnostics.map(\.code) == [ReaderCode.headerName, ReaderCode.headerName])
        #expect(reader.diagnostics[0].message.contains("column 3 is named \"Tekst\" like column 2"))
        #expect(reader.diagnostics[1].message.contains("column 4 has no name"))
        #expect(reader.source.columnIndex(named: "Tekst") == 1)
        #expect(records[0].values == ["1", "2", "3", "4"])
    }

    @Test("a file with only a header has no records")
    func headerOnly() throws {
        let (reader, records) = try readAll(Fixture.path("csv/header-only.csv"))
        #expect(reader.source.columns == ["a", "b", "c"])
        #expect(records.isEmpty)
    }

    @Test("a header line past the end of the file is an error")
    func headerPastEnd() throws {
        let error = try #require(readError(Fixture.path("csv/header-only.csv"), ReaderOptions(headerLine: 5)))
        #expect(error.diagnostic.code == ReaderCode.noHeader)
    }

    @Test("field bytes can be read without making strings")
    func withUTF8() throws {
        let (_, records) = try readAll(Fixture.path("csv/rfc4180.csv"))
        guard case .columns(let columns) = records[0].fields else {
            Issue.record("expected columns")
            return
        }
        #expect(columns.withUTF8(at: 2) { Array($0) } == Array("10.00".utf8))
        #expect(columns.withUTF8(at: 3) { _ in 1 } == nil)
    }
}
