import Foundation
import LedgerModel
import Readers
import Testing

@testable import Mapping

/// Rows mapped on several threads must come out exactly as on one: same events, same order,
/// same references (repeated content counted in file order), same counts, same check results,
/// and a read error after the same rows.
@Suite("Mapping on several threads")
struct PipelineTests {
    /// What came out of a builder, comparable as a whole.
    enum Seen: Hashable {
        case document(Document, [Diagnostic]?)
        case rejected(RowOutcome)
        case skipped(RowOutcome)
    }

    struct Run {
        var seen: [Seen] = []
        var stats = MappingStats()
        var error: Diagnostic?

        /// Where this run first differs from `other` (nil when it does not); a short failure message.
        func firstDifference(from other: Run) -> String? {
            if let index = zip(seen, other.seen).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                return "event \(index + 1): \(seen[index]) against \(other.seen[index])"
            }
            return seen.count == other.seen.count ? nil : "\(seen.count) events against \(other.seen.count)"
        }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A check that flags money going out, as validation would flag something.
    static func makeCheck() -> DocumentBuilder.Check {
        { document in
            document.description = document.description.map { $0 + " (checked)" }
            return document.lines.filter { $0.amount.minorUnits < -50_000 }.map { line in
                .warning(
                    "T001", "large payment", at: SourceLocation(file: document.provenance.file, line: line.row.line))
            }
        }
    }

    /// `lending`: take the events with `withNext` (lent in place) rather than `nextChecked`.
    static func run(
        _ mapping: CompiledMapping, _ path: String, workers: Int, check: Bool = true, lending: Bool = false
    ) throws -> Run {
        let reader = try Readers.open(path, options: mapping.readerOptions)
        let bound = try #require(BoundMapping.bind(mapping, to: reader.source).mapping)
        var makeCheck: (() -> DocumentBuilder.Check)?
        if check { makeCheck = { Self.makeCheck() } }
        let builder = try DocumentBuilder(bound, reader: reader, workers: workers, makeCheck: makeCheck)
        var run = Run()
        func see(_ event: borrowing MappingEvent, _ diagnostics: [Diagnostic]?) {
            switch event {
            case .document(let document): run.seen.append(.document(document, diagnostics))
            case .rejected(let outcome): run.seen.append(.rejected(outcome))
            case .skipped(let outcome): run.seen.append(.skipped(outcome))
            }
        }
        do {
            if lending {
                while try builder.withNext({ event, diagnostics in see(event, diagnostics) }) != nil {}
            } else {
                while let (event, diagnostics) = try builder.nextChecked() { see(event, diagnostics) }
            }
        } catch let error as ReadError {
            run.error = error.diagnostic
        }
        run.stats = builder.stats
        return run
    }

    /// A Danish bank export in Windows-1252 with every kind of row: known and unknown texts,
    /// identical rows (their references count up), zero amounts (skipped), amounts and dates
    /// that do not parse, and rows with a field missing (rejected).
    static func bankFile(_ harness: Harness, rows: Int) throws -> String {
        var text = "Dato;Tekst;Beløb;Saldo;Valuta;Bilagsnr.\r\n"
        let texts = [
            "Overførsel fra kunde 1042", "Husleje marts", "Dankort-køb Netto Østerbro", "MobilePay salg uge 11",
            "Løn marts", "Renter", "Ukendt tekst", "Betalingsservice TDC",
        ]
        for row in 0..<rows {
            let day = row % 28 + 1
            let thousands = String(format: "%03d", row % 1000)
            let amount = row % 7 == 3 ? "0,00" : "\"\(row % 3 == 0 ? "-" : "")\(row % 90 + 1).\(thousands),50\""
            switch row % 97 {
            case 11: text += "0\(day % 9 + 1)-03-2026;Ukendt;ikke et beløb;0;DKK;\(row)\r\n"
            case 23: text += "31-02-2026;Ukendt;1,00;0;DKK;\(row)\r\n"
            case 41: text += "01-03-2026;Mangler felter\r\n"
            case 57, 58: text += "05-03-2026;Kaffe & kage;\"-86,00\";0;DKK;7\r\n"  // the same row twice
            default:
                text += "\(day < 10 ? "0" : "")\(day)-03-2026;\(texts[row % texts.count]);\(amount);0;DKK;\(row)\r\n"
            }
        }
        let url = harness.directory.appendingPathComponent("bank-\(rows).csv")
        try #require(text.data(using: .windowsCP1252)).write(to: url)
        return url.path
    }

    static func bankMapping() throws -> CompiledMapping {
        let (mapping, diagnostics) = MappingCompiler.compile(
            path: root.appendingPathComponent("mappings/bank-statement.yaml").path)
        return try #require(mapping, "\(diagnostics)")
    }

    @Test("several workers give what one gives: events, order, references, counts, checks", arguments: [2, 3, 5])
    func sameAsOne(workers: Int) throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let mapping = try Self.bankMapping()
        let path = try Self.bankFile(harness, rows: 5_000)
        let one = try Self.run(mapping, path, workers: 1)
        let many = try Self.run(mapping, path, workers: workers)
        #expect(one.stats.records == 5_000)
        #expect(one.stats.rowsRejected > 100 && one.stats.rowsRejected < 300)
        #expect(one.stats.documents > 3_500)
        #expect(one.stats.rowsSkipped > 500)
        // Identical rows get references that count up: the second one differs from the first.
        let coffee = one.seen.compactMap { seen -> Document? in
            if case .document(let document, _) = seen, document.description == "Kaffe & kage (checked)" {
                return document
            }
            return nil
        }
        #expect(coffee.count > 100)
        #expect(Set(coffee.map(\.reference)).count == coffee.count)
        #expect(one.seen.contains { if case .document(_, let d) = $0 { d?.isEmpty == false } else { false } })
        #expect(many.stats == one.stats)
        #expect(many.firstDifference(from: one) == nil)
        #expect(many.error == nil && one.error == nil)
        // Lent in place, on one thread and on several, the events are the same as moved out.
        for lentWorkers in [1, workers] {
            let lent = try Self.run(mapping, path, workers: lentWorkers, lending: true)
            #expect(lent.firstDifference(from: one) == nil, "\(lentWorkers) workers")
            #expect(lent.stats == one.stats)
        }
    }

    @Test("every sample mapping gives the same on several workers")
    func samples() throws {
        for (mappingName, sample) in [
            ("daily-sales", "daily-sales.csv"), ("expenses", "expenses.csv"), ("payroll", "payroll.json"),
            ("bank-statement", "bank-statement.csv"), ("journal", "journal.xml"),
        ] {
            let (compiled, diagnostics) = MappingCompiler.compile(
                path: Self.root.appendingPathComponent("mappings/\(mappingName).yaml").path)
            let mapping = try #require(compiled, "\(diagnostics)")
            let path = Self.root.appendingPathComponent("samples/\(sample)").path
            let one = try Self.run(mapping, path, workers: 1, check: false)
            let many = try Self.run(mapping, path, workers: 4, check: false)
            #expect(!one.seen.isEmpty, "\(sample)")
            #expect(many.firstDifference(from: one) == nil, "\(sample)")
            #expect(many.stats == one.stats, "\(sample)")
        }
    }

    @Test("a read error comes after the same rows, with the same diagnostic")
    func readErrorAfterTheSameRows() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let (compiled, diagnostics) = try harness.compile(lineMapping())
        let mapping = try #require(compiled, "\(diagnostics)")
        // Valid UTF-8 well past the encoding sample, then a byte that is not.
        var bytes = Array("date;text;amount\n".utf8)
        for row in 0..<3_000 { bytes += Array("0\(row % 9 + 1)-03-2026;Række \(row);\(row),00\n".utf8) }
        bytes += Array("09-03-2026;Ugyldig ".utf8) + [0xFF] + Array(";1,00\n".utf8)
        for row in 0..<500 { bytes += Array("01-03-2026;Efter \(row);1,00\n".utf8) }
        let path = harness.directory.appendingPathComponent("broken.csv").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let one = try Self.run(mapping, path, workers: 1)
        let many = try Self.run(mapping, path, workers: 3)
        let lent = try Self.run(mapping, path, workers: 3, lending: true)
        #expect(lent.error == one.error)
        #expect(lent.firstDifference(from: one) == nil)
        let error = try #require(one.error)
        #expect(error.code == ReaderCode.invalidBytes)
        #expect(error.location?.line == 3_002)
        #expect(one.seen.count == 3_000)
        #expect(many.error == one.error)
        #expect(many.firstDifference(from: one) == nil)
        #expect(many.stats.records == one.stats.records)
    }

    /// Once it has had to wait, the consumer waits for several batches at once: a file that ends
    /// sooner, on a batch boundary or not, must still end, with every row.
    @Test(
        "files of a few batches end with every row, whatever the rows after the last full batch",
        .timeLimit(.minutes(1)),
        arguments: [0, 1, 127, 128, 129, 255, 256, 257, 383, 384, 385, 640, 1_000])
    func fewBatches(rows: Int) throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let mapping = try Self.bankMapping()
        let path = try Self.bankFile(harness, rows: rows)
        let one = try Self.run(mapping, path, workers: 1)
        let many = try Self.run(mapping, path, workers: 2)
        #expect(one.stats.records == rows)
        #expect(many.stats.records == rows)
        #expect(many.firstDifference(from: one) == nil)
    }

    @Test("workers read at most a window ahead of the consumer, and end when the builder stops")
    func boundedAndStoppable() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let mapping = try Self.bankMapping()
        let path = try Self.bankFile(harness, rows: 20_000)
        let reader = try Readers.open(path, options: mapping.readerOptions)
        let bound = try #require(BoundMapping.bind(mapping, to: reader.source).mapping)
        let builder = try DocumentBuilder(bound, reader: reader, workers: 2)
        let pipeline = try #require(builder.pipeline)
        _ = try builder.next()
        // The consumer took one batch and stopped: the workers fill the window and wait.
        let waiting = pipeline.waitUntilBlocked()
        #expect(waiting == pipeline.window)
        #expect(builder.stats.records == MappingPipeline.batchSize)
        pipeline.stopAndWait()
        #expect(pipeline.waitUntilBlocked() == waiting)
    }

    @Test("grouped mappings are mapped on the calling thread, and give the same")
    func groupedStaysSequential() throws {
        let harness = try Harness()
        defer { harness.cleanup() }
        let (compiled, diagnostics) = try harness.compile(DocumentTests.grouped())
        let mapping = try #require(compiled, "\(diagnostics)")
        let path = try harness.write(
            "vouchers.csv",
            "voucher;date;account;amount\n1;2026-03-01;1000;-100\n1;2026-03-01;5500;100\n2;2026-03-02;2000;50\n2;2026-03-02;5500;-50\n"
        )
        let reader = try Readers.open(path, options: mapping.readerOptions)
        let bound = try #require(BoundMapping.bind(mapping, to: reader.source).mapping)
        #expect(try DocumentBuilder(bound, reader: reader, workers: 4).pipeline == nil)
        let one = try Self.run(mapping, path, workers: 1)
        let many = try Self.run(mapping, path, workers: 4)
        #expect(one.stats.documents == 2)
        #expect(many.firstDifference(from: one) == nil)
    }
}
