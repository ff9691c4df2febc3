public import LedgerModel

/// What the reader sees in a file: detected layout, fields, record count, the first records and
/// every problem. `ledgerlift inspect` prints it; it is `Codable` for `--json`.
public struct Inspection: Sendable, Codable {
    public struct SampleRecord: Sendable, Codable {
        public var number: Int
        public var line: Int
        public var element: String?
        public var fields: [Field]
    }

    public struct Field: Sendable, Codable, Hashable {
        public var name: String
        public var value: String
    }

    public var file: String
    public var format: SourceFormat
    public var encoding: TextEncoding
    /// How each of format, encoding, delimiter and records was decided.
    public var decisions: [String: String]
    public var delimiter: String?
    public var headerLine: Int?
    public var recordPath: String?
    /// CSV: the header's columns. JSON/XML: the field paths seen (array indexes left out).
    public var fields: [String]
    public var recordCount: Int
    public var recordsWithErrors: Int
    public var sample: [SampleRecord]
    /// File and record diagnostics, at most ``diagnosticLimit``; `diagnosticCount` has them all.
    public var diagnostics: [Diagnostic]
    public var diagnosticCount: Int
    /// The error that stopped reading before the end of the file, if one did.
    public var stoppedBy: Diagnostic?

    public static let diagnosticLimit = 200
    /// Records whose paths are collected for `fields` (tree formats).
    static let pathScanLimit = 10_000
    static let pathLimit = 500

    /// Reads the whole file once. Throws ``ReadError`` when it cannot be read.
    public static func inspect(
        _ path: String, options: ReaderOptions = ReaderOptions(), sampleSize: Int = 10
    )
        throws -> Inspection
    {
        let reader = try Readers.open(path, options: options)
        let source = reader.source
        var sample: [SampleRecord] = []
        var count = 0
        var withErrors = 0
        var diagnostics: [Diagnostic] = []
        var diagnosticCount = 0
        var paths: [String] = []
        var seenPaths: Set<String> = []
        var readError: ReadError?
        do {
            while let record = try reader.next() {
                count += 1
                if record.hasErrors { withErrors += 1 }
                diagnosticCount += record.diagnostics.count
                for diagnostic in record.diagnostics where diagnostics.count < diagnosticLimit {
                    diagnostics.append(diagnostic)
                }
                let needsFields = sample.count < sampleSize || (source.format != .csv && count <= pathScanLimit)
                guard needsFields else { continue }
                let fields = record.flattened()
                if sample.count < sampleSize {
                    sample.append(
                        SampleRecord(
                            number: record.number, line: record.line, element: record.location.element,
                            fields: fields.map { Field(name: $0.name, value: $0.value) }))
                }
                if source.format != .csv && paths.count < pathLimit {
                    for field in fields {
                        let generic = Self.removingIndexes(field.name)
                        if seenPaths.insert(generic).inserted { paths.append(generic) }
                    }
                }
            }
        } catch let error as ReadError {
            readError = error
        }
        let fileDiagnostics = reader.diagnostics
        diagnostics.insert(contentsOf: fileDiagnostics.prefix(diagnosticLimit), at: 0)
        diagnosticCount += fileDiagnostics.count
        if let readError {
            diagnostics.append(readError.diagnostic)
            diagnosticCount += 1
        }
        return Inspection(
            file: path, format: source.format, encoding: source.encoding, decisions: source.decisions,
            delimiter: source.delimiter.map(Self.delimiterName), headerLine: source.headerLine,
            recordPath: source.recordPath, fields: source.format == .csv ? source.columns : paths,
            recordCount: count, recordsWithErrors: withErrors, sample: sample, diagnostics: diagnostics,
            diagnosticCount: diagnosticCount, stoppedBy: readError?.diagnostic)
    }

    static func delimiterName(_ byte: UInt8) -> String {
        byte == 0x09 ? "TAB" : String(Character(Unicode.Scalar(byte)))
    }

    /// `lines[0].amount` → `lines[].amount`; `Line[2]/Amount` → `Line[]/Amount`.
    static func removingIndexes(_ path: String) -> String {
        var out = ""
        var skipping = false
        for character in path {
            if character == "[" {
                skipping = true
                out.append("[]")
            } else if character == "]" {
                skipping = false
            } else if !skipping {
                out.append(character)
            }
        }
        return out
    }
}
