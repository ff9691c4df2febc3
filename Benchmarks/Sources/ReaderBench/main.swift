// ReaderBench: how fast the readers go, and how much memory they need.
//
//   ReaderBench csv [--rows N] [--dir DIR] [--repeat N]       1,000,000-row semicolon CSV (Danish bank export shape)
//   ReaderBench xml [--megabytes N] [--dir DIR] [--repeat N]  100 MiB namespaced SAF-T-like journal
//   ReaderBench map [--rows N] [--dir DIR] [--repeat N] [--mapping FILE] [--validate] [--plan]
//                                               read + map the CSV with mappings/bank-statement.yaml
//                                               (--validate: and validate against the example organization;
//                                               --plan: and total per account and VAT code, and count the calls)
//   ReaderBench map-xml [--megabytes N] [--dir DIR] [--repeat N] [--validate] [--plan]
//                                               the same for the XML journal with mappings/journal.yaml
//                                               (validated without reference data: its accounts are random)
//
// Inputs are generated deterministically (and kept in DIR for later runs). Measurements run
// in a fresh child process so its peak RSS is the reader's own, not the generator's; each
// pass runs --repeat times (default 5) and the median is reported, with the range.
import Foundation
import LedgerModel
import Mapping
import Pipeline
import Readers
import Targets
import Validation

let arguments = CommandLine.arguments
let command = arguments.dropFirst().first ?? "help"

func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

let repeats = max(1, Int(option("--repeat") ?? "") ?? 5)
/// Threads that map rows (`--workers N`); by default one per processor, as the commands do.
let workers = max(1, Int(option("--workers") ?? "") ?? ProcessInfo.processInfo.activeProcessorCount)
let directory =
    option("--dir") ?? FileManager.default.temporaryDirectory.appendingPathComponent("ledgerlift-bench").path

switch command {
case "csv":
    let rows = Int(option("--rows") ?? "") ?? 1_000_000
    let path = "\(directory)/bank-v2-\(rows).csv"
    try Generator.csv(path: path, rows: rows)
    try measure(["measure-csv", path, "--repeat", option("--repeat") ?? "5"])
case "xml":
    let megabytes = Int(option("--megabytes") ?? "") ?? 100
    let path = "\(directory)/journal-\(megabytes)mb.xml"
    try Generator.xml(path: path, megabytes: megabytes)
    try measure(["measure-xml", path, "--repeat", option("--repeat") ?? "5"])
case "map":
    let rows = Int(option("--rows") ?? "") ?? 1_000_000
    // Windows-1252, as Danish bank exports and the bank-statement mapping have it.
    let path = "\(directory)/bank-cp1252-v2-\(rows).csv"
    try Generator.csv(path: path, rows: rows, windows1252: true)
    let mapping = option("--mapping") ?? "mappings/bank-statement.yaml"
    try measure(
        ["measure-map", path, mapping, "--repeat", option("--repeat") ?? "5"]
            + ["--validate", "--plan"].filter(arguments.contains) + workerArguments)
case "map-xml":
    let megabytes = Int(option("--megabytes") ?? "") ?? 100
    let path = "\(directory)/journal-\(megabytes)mb.xml"
    try Generator.xml(path: path, megabytes: megabytes)
    try measure(
        ["measure-map", path, option("--mapping") ?? "mappings/journal.yaml", "--repeat", option("--repeat") ?? "5"]
            + ["--validate", "--plan"].filter(arguments.contains) + workerArguments)
case "measure-map":
    try Measure.map(path: arguments[2], mapping: arguments[3])
case "measure-csv":
    try Measure.csv(path: arguments[2])
case "measure-xml":
    try Measure.xml(path: arguments[2])
default:
    print("usage: ReaderBench csv [--rows N] [--dir DIR] | xml [--megabytes N] [--dir DIR]")
}

/// `--workers N` as given, for the measuring child.
var workerArguments: [String] { option("--workers").map { ["--workers", $0] } ?? [] }

/// Runs this program again with `arguments` and passes its output through.
func measure(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    if process.terminationStatus != 0 { exit(process.terminationStatus) }
}

enum Measure {
    /// Peak RSS after the first pass: what one run needs. (Later passes can raise the process's
    /// peak only because the C allocator keeps freed large blocks for reuse.)
    nonisolated(unsafe) static var firstPassPeak: String?

    /// Runs `pass` `repeats` times; returns the median, fastest and slowest seconds and the last result.
    static func timed<T>(_ pass: () throws -> T) rethrows -> (median: Double, min: Double, max: Double, result: T) {
        var times: [Double] = []
        var last: T?
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            last = try pass()
            times.append((ContinuousClock.now - start).seconds)
            if firstPassPeak == nil { firstPassPeak = peakRSSMegabytes() }
        }
        times.sort()
        return (times[times.count / 2], times.first!, times.last!, last!)
    }

    /// Reads the whole file once; `touch` visits a record and returns (fields seen, checksum).
    static func pass(
        _ path: String, _ options: ReaderOptions, touch: (Record) -> (Int, Int)
    ) throws -> (
        rows: Int, fields: Int, checksum: Int
    ) {
        let reader = try Readers.open(path, options: options)
        var (rows, fields, checksum) = (0, 0, 0)
        while let record = try reader.next() {
            rows += 1
            let (seen, sum) = touch(record)
            fields += seen
            checksum &+= sum
        }
        return (rows, fields, checksum)
    }

    /// Sums a value's bytes: every byte is read, as a parser of amounts and dates would.
    @inline(__always)
    static func digest(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var sum = bytes.count
        for byte in bytes { sum &+= Int(byte) }
        return sum
    }

    static func csv(path: String) throws {
        let size = try fileSize(path)
        let options = ReaderOptions()
        let bytes = try timed {
            try pass(path, options) { record in
                guard case .columns(let columns) = record.fields else { return (0, 0) }
                var sum = 0
                for i in 0..<columns.count { sum &+= columns.withUTF8(at: i, digest) ?? 0 }
                return (columns.count, sum)
            }
        }
        report("csv, every field's bytes", size, bytes)
        let strings = try timed {
            try pass(path, options) { record in
                guard case .columns(let columns) = record.fields else { return (0, 0) }
                var length = 0
                for i in 0..<columns.count { length &+= columns.string(at: i)?.utf8.count ?? 0 }
                return (columns.count, length)
            }
        }
        report("csv, every field as a String", size, strings)
        print("peak RSS: \(firstPassPeak ?? peakRSSMegabytes()) MB (one pass)")
    }

    static func xml(path: String) throws {
        let size = try fileSize(path)
        var options = ReaderOptions(recordPath: "AuditFile/GeneralLedgerEntries/Journal/Transaction")
        if let chunk = option("--chunk").flatMap(Int.init) { options.chunkSize = chunk }
        let bytes = try timed {
            try pass(path, options) { record in
                guard case .tree(let tree) = record.fields else { return (0, 0) }
                var (values, sum) = (0, 0)
                for node in 0..<tree.nodes.count where tree.nodes[node].hasValue {
                    values += 1
                    sum &+= tree.withValueBytes(of: node, digest) ?? 0
                }
                return (values, sum)
            }
        }
        report("xml, every value's bytes", size, bytes)
        let strings = try timed {
            try pass(path, options) { record in
                guard case .tree(let tree) = record.fields else { return (0, 0) }
                var (values, length) = (0, 0)
                for node in 0..<tree.nodes.count {
                    guard let value = tree.value(of: node) else { continue }
                    values += 1
                    length &+= value.utf8.count
                }
                return (values, length)
            }
        }
        report("xml, every value as a String", size, strings)
        print("peak RSS: \(firstPassPeak ?? peakRSSMegabytes()) MB (one pass)")
    }

    /// Read and map every row: documents built, references derived, nothing sent.
    static func map(path: String, mapping mappingPath: String) throws {
        let size = try fileSize(path)
        let (compiled, diagnostics) = MappingCompiler.compile(path: mappingPath)
        guard let mapping = compiled else {
            print(diagnostics.map(\.description).joined(separator: "\n"))
            exit(2)
        }
        let timing = try timed { () throws -> (rows: Int, fields: Int, checksum: Int) in
            let reader = try Readers.open(path, options: mapping.readerOptions)
            let (bound, problems) = BoundMapping.bind(mapping, to: reader.source)
            guard let bound else {
                print(problems.map(\.description).joined(separator: "\n"))
                exit(2)
            }
            let xml = reader.source.format == .xml
            let validator = try arguments.contains("--validate") ? exampleValidator(reference: !xml) : nil
            // Validation as the commands run it (the same step): each document checked on the
            // mapping workers, then the run-wide pass in file order.
            var step = ValidationStep(validator)
            let builder = try DocumentBuilder(bound, reader: reader, workers: workers, makeCheck: step.makeCheck)
            let planning = arguments.contains("--plan")
            var summary = PlanSummary()
            var calls = CallPlan.dinero()
            var (documents, lines, checksum) = (0, 0, 0)
            // Each event is lent, as `plan` reads them: nothing is copied, and the worker that
            // mapped a document frees it. (`switch`: `if case` and `guard case` copied the
            // document out of the lent event, retaining and releasing each of its texts.)
            while try builder.withNext({ (event, checked) -> Void in
                switch event {
                case .rejected, .skipped: break
                case .document(let document):
                    if case .rejected(let outcome) = step.review(
                        event, checked: checked, distinct: builder.referencesAreDistinct)
                    {
                        preconditionFailure("validation: \(outcome.diagnostics.prefix(3))")
                    }
                    if planning {
                        summary.add(document)
                        calls.add(document)
                    }
                    documents += 1
                    lines += document.lines.count
                    checksum &+=
                        Int(truncatingIfNeeded: document.lines[0].amount.minorUnits)
                        &+ document.referenceValue.utf8Count
                }
            }) != nil {}
            let stats = builder.stats
            precondition(stats.rowsRejected == 0, "rows rejected: \(stats.rowsRejected)")
            if planning { checksum &+= calls.batches(.ledgerItem) &+ calls.vouchers &+ summary.accounts.count }
            return (stats.records, documents, checksum)
        }
        let stages = ["read", "map"] + ["validate", "plan"].filter { arguments.contains("--" + $0) }
        report(
            "\(path.hasSuffix(".xml") ? "xml" : "csv") \(stages.joined(separator: " + ")) (\((mappingPath as NSString).lastPathComponent)), documents",
            size, timing)
        print("peak RSS: \(firstPassPeak ?? peakRSSMegabytes()) MB (one pass)")
    }

    /// Validation as `plan --reference mappings/reference/example-org.yaml` does it (or, for the
    /// generated journal, whose accounts are random, without reference data).
    static func exampleValidator(reference: Bool = true) throws -> Validator {
        let data = reference ? try ReferenceData.load(path: "mappings/reference/example-org.yaml") : nil
        var options = ValidationOptions(today: LocalDate(iso: "2026-12-31")!)
        options.futureDays = 3650
        options.currencies = DineroClient.currencyRules  // as plan checks them
        return Validator(vat: .dineroDenmark, reference: data, options: options)
    }

    static func report(
        _ label: String, _ bytes: Int,
        _ timing: (median: Double, min: Double, max: Double, result: (rows: Int, fields: Int, checksum: Int))
    ) {
        let (rows, fields) = (timing.result.rows, timing.result.fields)
        func rate(_ seconds: Double) -> String { "\(Int(Double(rows) / seconds))" }
        func mib(_ seconds: Double) -> String { String(format: "%.1f", Double(bytes) / 1_048_576 / seconds) }
        print(
            "\(label): \(rows) records, \(fields) fields, \(String(format: "%.1f", Double(bytes) / 1_048_576)) MiB; "
                + "median of \(repeats): \(String(format: "%.3f", timing.median)) s = \(rate(timing.median)) records/s, "
                + "\(mib(timing.median)) MiB/s (range \(mib(timing.max))–\(mib(timing.min)) MiB/s; "
                + "checksum \(timing.result.checksum))")
    }

    static func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }

    /// VmHWM: the most resident memory this process ever had.
    static func peakRSSMegabytes() -> String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return "?" }
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return String(format: "%.1f", kilobytes / 1024)
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Deterministic inputs: the same bytes on every machine for the same size.
enum Generator {
    static func csv(path: String, rows: Int, windows1252: Bool = false) throws {
        if FileManager.default.fileExists(atPath: path) { return }
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var writer = try ChunkWriter(path: path)
        writer.latin1 = windows1252
        var random = SplitMix(seed: 42)
        // Realistic variety: recurring texts, and card purchases at recurring shops whose texts
        // carry the card's last digits and the date (about 22,000 distinct texts a year).
        let recurring = [
            "Overførsel fra kunde 1042 Hansen ApS", "Husleje marts Ejendomsselskabet Øresund",
            "Betalingsservice TDC Erhverv",
            "Løn marts", "Gebyr kontoførelse", "Renter", "MobilePay salg uge 11",
            "\"Faktura \"\"1042\"\"; Møbelhuset\"",
            "Skattekontoen moms", "Indbetaling kontant",
        ]
        let shops = [
            "Netto Østerbro", "Rema 1000 Valby", "Føtex Vesterbro", "Bauhaus Glostrup", "Shell Valby",
            "7-Eleven Nørreport",
            "Irma Frederiksberg", "Matas Amager", "Bilka Hundige", "Lidl Sydhavn", "Kvickly Lyngby", "Circle K Køge",
            "Jem & Fix Ishøj", "Silvan Herlev", "Elgiganten Fisketorvet", "Power Glostrup", "Harald Nyborg Avedøre",
            "Q8 Roskildevej", "MobilePay Kaffe & kage", "Café Ø Østerbro",
        ]
        let cards = ["4521", "8830", "1177"]
        writer.write("Dato;Tekst;Beløb;Saldo;Valuta;Bilag;Konto;Reference\r\n")
        var balance = 1_000_000_00
        for row in 0..<rows {
            let day = row % 28 + 1
            let month = row / 28 % 12 + 1
            let amount = Int(random.next() % 2_000_000) - 1_000_000
            balance += amount
            let text: String
            if random.next() % 10 < 6 {
                text = recurring[Int(random.next() % UInt64(recurring.count))]
            } else {
                let shop = shops[Int(random.next() % UInt64(shops.count))]
                text = "Dankort-køb \(shop) \(cards[Int(random.next() % 3)]) \(pad(day)).\(pad(month))"
            }
            writer.write(
                "\(pad(day))-\(pad(month))-2026;\(text);"
                    + "\"\(danish(amount))\";\"\(danish(balance))\";DKK;\(row + 1);\(5000 + Int(random.next() % 900));"
                    + "REF\(random.next() % 1_000_000_000)\r\n")
        }
        try writer.finish()
    }

    static func xml(path: String, megabytes: Int) throws {
        if FileManager.default.fileExists(atPath: path) { return }
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var writer = try ChunkWriter(path: path)
        var random = SplitMix(seed: 7)
        writer.write(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<n1:AuditFile xmlns:n1=\"urn:StandardAuditFile-Taxation-Financial:DK\">\n"
                + "<n1:Header><n1:AuditFileVersion>1.0</n1:AuditFileVersion></n1:Header>\n<n1:GeneralLedgerEntries>\n<n1:Journal>\n"
        )
        var n = 0
        while writer.written < megabytes * 1_048_576 {
            n += 1
            let amount = Int(random.next() % 10_000_000)
            let lines = Int(random.next() % 3) + 2
            var text =
                "<n1:Transaction id=\"T\(n)\">\n  <n1:TransactionID>T-\(n)</n1:TransactionID>\n"
                + "  <n1:TransactionDate>2026-\(pad(n % 12 + 1))-\(pad(n % 28 + 1))</n1:TransactionDate>\n"
                + "  <n1:Description>Bilag \(n) køb &amp; salg</n1:Description>\n"
            for line in 0..<lines {
                let side = line == 0 ? "DebitAmount" : "CreditAmount"
                let share = line == 0 ? amount : amount / (lines - 1) + (line == 1 ? amount % (lines - 1) : 0)
                text +=
                    "  <n1:Line>\n    <n1:RecordID>\(line + 1)</n1:RecordID>\n    <n1:AccountID>\(1000 + Int(random.next() % 8000))</n1:AccountID>\n"
                    + "    <n1:\(side)><n1:Amount>\(share / 100).\(pad(share % 100))</n1:Amount></n1:\(side)>\n"
                    + "    <n1:TaxInformation><n1:TaxCode>U25</n1:TaxCode></n1:TaxInformation>\n  </n1:Line>\n"
            }
            text += "</n1:Transaction>\n"
            writer.write(text)
        }
        writer.write("</n1:Journal>\n</n1:GeneralLedgerEntries>\n</n1:AuditFile>\n")
        try writer.finish()
    }

    static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// 123456 øre → "1.234,56"
    static func danish(_ minor: Int) -> String {
        let sign = minor < 0 ? "-" : ""
        let value = abs(minor)
        var whole = String(value / 100)
        var groups: [String] = []
        while whole.count > 3 {
            groups.insert(String(whole.suffix(3)), at: 0)
            whole.removeLast(3)
        }
        groups.insert(whole, at: 0)
        return sign + groups.joined(separator: ".") + "," + pad(value % 100)
    }
}

/// Buffered file writing, so generating never holds the file in memory.
struct ChunkWriter {
    let handle: FileHandle
    var buffer: [UInt8] = []
    var written = 0

    init(path: String) throws {
        _ = FileManager.default.createFile(atPath: path + ".tmp", contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path + ".tmp"))
        self.path = path
        buffer.reserveCapacity(1 << 20)
    }

    let path: String

    /// Write Latin-1 bytes (the generator's texts are all in Windows-1252's Latin-1 range).
    var latin1 = false

    mutating func write(_ text: String) {
        let before = buffer.count
        if latin1 {
            buffer.append(contentsOf: text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        } else {
            buffer.append(contentsOf: text.utf8)
        }
        written += buffer.count - before
        if buffer.count >= 1 << 20 { flush() }
    }

    mutating func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func finish() throws {
        flush()
        try handle.close()
        try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
