import CInline
import LedgerModel

/// Streaming RFC 4180 reader: quoted fields, doubled quotes, line breaks inside quotes, CRLF,
/// LF or CR line endings. Works on UTF-8 bytes in chunks; a field becomes a `String` only
/// when asked for.
final class CSVReader: RecordReader {
    private(set) var source: SourceFile
    private(set) var diagnostics: [Diagnostic] = []

    /// All mutable scanning state lives in a struct: the hot loop then touches no class
    /// properties, so Swift needs no dynamic exclusivity checks per byte.
    private var scanner: CSVScanner
    private let expectedFields: Int?
    /// Without a header: the fields the reader's user needs (``ReaderOptions/minimumFields``).
    private let minimumFields: Int?
    private var recordCount = 0

    init(file: FileInput, sample: [UInt8], options: ReaderOptions) throws {
        let decision = EncodingDetector.decide(sample: sample, override: options.encoding)
        let skip = options.headerLine > 0 ? options.headerLine - 1 : max(0, options.skipLines)
        var decisions = ["encoding": decision.reason]
        let delimiter: UInt8
        if let given = options.delimiter {
            delimiter = given
            decisions["delimiter"] = "given as an option"
        } else {
            // The sample as text, only to find the delimiter in.
            let decoded = TranscodingInput.decodeSample(
                sample[...].dropFirst(decision.bomLength), encoding: decision.encoding)
            let detected = DelimiterDetector.detect(decoded, skipLines: skip)
            delimiter = detected.delimiter
            decisions["delimiter"] = detected.reason
        }
        decisions["format"] = options.format == nil ? "detected" : "given as an option"
        scanner = CSVScanner(
            input: Readers.decodedInput(file, decision), path: file.path, delimiter: delimiter,
            validateUTF8: decision.encoding == .utf8, maxRecordBytes: options.maxRecordBytes,
            chunkSize: options.chunkSize)
        try scanner.skipPhysicalLines(skip)
        var columns: [String] = []
        var headerLine: Int?
        if options.headerLine > 0 {
            guard try scanner.readRow() else {
                throw ReadError(
                    ReaderCode.noHeader,
                    "no header row: the file has fewer than \(options.headerLine) non-blank lines",
                    hint: "check --header-line (or `header_line:` in the mapping)",
                    at: SourceLocation(file: file.path, line: options.headerLine))
            }
            headerLine = scanner.rowLine
            let fields = scanner.row
            columns = (0..<fields.count).map { String(fields.string(at: $0)?.trimmingWhitespace ?? "") }
            expectedFields = columns.count
        } else {
            expectedFields = nil
        }
        minimumFields = options.headerLine > 0 ? nil : options.minimumFields
        source = SourceFile(
            path: file.path, format: .csv, encoding: decision.encoding, decisions: decisions, delimiter: delimiter,
            headerLine: headerLine, columns: columns)
        scanner.columns = columns
        if let headerLine { diagnostics += Self.checkHeader(columns, source: source, line: headerLine) }
    }

    func next() throws -> Record? {
        guard try scanner.readRow() else { return nil }
        recordCount += 1
        return Record(
            source: source, number: recordCount, line: scanner.rowLine, fields: .columns(scanner.row),
            diagnostics: rowDiagnostics())
    }

    /// The row is copied into the record's buffers, which keep their capacity from row to row.
    func next(into record: inout Record, source: SourceFile?) throws -> Bool {
        guard try scanner.readRow() else { return false }
        recordCount += 1
        let diagnostics = rowDiagnostics()
        // One call per case, each passing the source where it lies: `source ?? self.source`, or
        // a local function over both, counted references on the record and its source every row.
        let refilled =
            if let source {
                record.refillColumns(
                    number: recordCount, line: scanner.rowLine, source: source, diagnostics: diagnostics
                ) { scanner.copyRow(into: &$0.bytes, &$0.ends) }
            } else {
                record.refillColumns(
                    number: recordCount, line: scanner.rowLine, source: self.source, diagnostics: diagnostics
                ) { scanner.copyRow(into: &$0.bytes, &$0.ends) }
            }
        if refilled { return true }
        var fields = ColumnFields(bytes: [], ends: [])
        scanner.copyRow(into: &fields.bytes, &fields.ends)
        record = Record(
            source: source ?? self.source, number: recordCount, line: scanner.rowLine, fields: .columns(fields),
            diagnostics: diagnostics)
        return true
    }

    @inline(__always)
    private func rowDiagnostics() -> [Diagnostic] {
        if let expected = expectedFields {
            guard scanner.fieldCount != expected else { return [] }
            return [fieldCountDiagnostic(expected: expected)]
        }
        guard let minimumFields, scanner.fieldCount < minimumFields else { return [] }
        return [shortRowDiagnostic(minimum: minimumFields)]
    }

    /// A row of a file without a header that stops before the last column the mapping reads.
    @inline(never)
    private func shortRowDiagnostic(minimum: Int) -> Diagnostic {
        let found = scanner.fieldCount
        return .error(
            ReaderCode.fieldCount,
            "row has \(found) field\(found == 1 ? "" : "s"); the mapping reads column #\(minimum)",
            hint: "fill in the missing fields, or check the delimiter (the file has no header to compare with)",
            at: SourceLocation(file: source.path, line: scanner.rowLine))
    }

    // MARK: Diagnostics

    private func fieldCountDiagnostic(expected: Int) -> Diagnostic {
        let found = scanner.fieldCount
        let hint =
            found > expected
            ? "a value probably contains the delimiter \(Self.name(of: scanner.delimiter)) without quotes; quote it"
            : "fill in the missing fields, or check the delimiter"
        return .error(
            ReaderCode.fieldCount, "row has \(found) field\(found == 1 ? "" : "s"), the header has \(expected)",
            hint: hint, at: SourceLocation(file: source.path, line: scanner.rowLine))
    }

    static func name(of delimiter: UInt8) -> String {
        switch delimiter {
        case 0x09: "TAB"
        case 0x2C: "\",\""
        case 0x3B: "\";\""
        case 0x7C: "\"|\""
        default: "\"\(Character(Unicode.Scalar(delimiter)))\""
        }
    }

    private static func checkHeader(_ columns: [String], source: SourceFile, line: Int) -> [Diagnostic] {
        var out: [Diagnostic] = []
        var seen: [String: Int] = [:]
        for (i, name) in columns.enumerated() {
            if name.isEmpty {
                out.append(
                    .warning(
                        ReaderCode.headerName, "column \(i + 1) has no name in the header",
                        hint: "refer to it by index (#\(i + 1))", at: source.location(line: line, field: "#\(i + 1)")))
            } else if let first = seen[name] {
                out.append(
                    .warning(
                        ReaderCode.headerName,
                        "column \(i + 1) is named \"\(name)\" like column \(first + 1); the name refers to column \(first + 1)",
                        hint: "refer to this one by index (#\(i + 1))", at: source.location(line: line, field: name)))
            } else {
                seen[name] = i
            }
        }
        return out
    }
}

/// The CSV scanning state and its hot loop.
struct CSVScanner {
    let delimiter: UInt8
    private let path: String
    private var window: ByteWindow
    private let table: UnsafeMutablePointer<UInt8>
    private let validateUTF8: Bool
    private let maxRecordBytes: Int
    /// Header names, for naming the field in encoding errors.
    var columns: [String] = []

    /// A row ended on CR: a following LF belongs to it.
    private var skipLineFeed = false

    /// The row being read: its field bytes end to end, and where each field ends. Kept in
    /// buffers of the scanner's own and written through pointers (an `Array` append checks
    /// uniqueness and capacity every time: eight fields cost about 700 instructions a row);
    /// `copyRow` hands the row over in one copy.
    private var bytes: UnsafeMutablePointer<UInt8>
    private var byteCount = 0
    private var byteCapacity = 1024
    private var ends: UnsafeMutablePointer<Int32>
    private(set) var fieldCount = 0
    private var endCapacity = 64
    private(set) var rowLine = 1
    private(set) var blankRows = 0

    init(
        input: any ByteInput, path: String, delimiter: UInt8, validateUTF8: Bool, maxRecordBytes: Int, chunkSize: Int
    ) {
        self.path = path
        self.delimiter = delimiter
        self.validateUTF8 = validateUTF8
        self.maxRecordBytes = maxRecordBytes
        window = ByteWindow(input: input, chunkSize: chunkSize)
        table = ByteClasses.makeTable(delimiter: delimiter)
        bytes = .allocate(capacity: byteCapacity)
        ends = .allocate(capacity: endCapacity)
        storage = ScannerStorage(table: table, bytes: bytes, ends: ends)
    }

    /// Owns the table and the row buffers, and frees them when the scanner goes.
    private let storage: ScannerStorage

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// Reads the next non-blank row into the row buffers. False at the end of input.
    mutating func readRow() throws -> Bool {
        while true {
            if skipLineFeed {
                skipLineFeed = false
                if window.pos == window.end { try window.refill() }
                if window.pos < window.end, window.buffer[window.pos] == 0x0A {
                    window.pos += 1
                    window.lineStart = window.base + window.pos
                }
            }
            rowLine = window.line
            var quoteLine = 0
            var quoteColumn = 0
            var crInQuotes = false
            var state = State.fieldStart

            // Most rows take the fast path, which sets the counts; the rest start again here,
            // byte by byte.
            let fast = fastRow()
            if !fast {
                byteCount = 0
                fieldCount = 0
            }
            scan: while !fast {
                if window.pos == window.end {
                    if byteCount > maxRecordBytes {
                        throw tooLarge(quoteLine: quoteLine, quoteColumn: quoteColumn)
                    }
                    try window.refill()
                    if window.pos == window.end {
                        // End of input.
                        if state == .quoted {
                            throw ReadError(
                                ReaderCode.unterminatedQuote,
                                "a quoted field starts here and is never closed",
                                hint: "close the quote, or double quotes inside quoted text (\"\")",
                                at: SourceLocation(file: path, line: quoteLine, column: quoteColumn))
                        }
                        if state == .fieldStart && fieldCount == 0 { return false }
                        endField()
                        break scan
                    }
                }
                let p = UnsafeBufferPointer(window.buffer)
                switch state {
                case .fieldStart:
                    if p[window.pos] == 0x22 {
                        quoteLine = window.line
                        quoteColumn = window.base + window.pos - window.lineStart + 1
                        window.pos += 1
                        state = .quoted
                        continue scan
                    }
                    state = .unquoted
                    fallthrough
                case .unquoted:
                    let i = Self.firstStop(
                        p.baseAddress!, from: window.pos, end: window.end, table: table, mask: 0xFF, delimiter, 0x22)
                    if i > window.pos {
                        append(p.baseAddress! + window.pos, i - window.pos)
                        window.pos = i
                        if i == window.end { continue scan }
                    }
                    let byte = p[i]
                    window.pos = i + 1
                    switch table[Int(byte)] & ~ByteClasses.quotedStop {
                    case ByteClasses.delimiter:
                        endField()
                        state = .fieldStart
                    case ByteClasses.lineFeed:
                        endField()
                        window.newLine()
                        break scan
                    case ByteClasses.carriageReturn:
                        endField()
                        window.newLine()
                        skipLineFeed = true
                        break scan
                    default:  // a quote inside an unquoted field: literal
                        append(byte)
                    }
                case .quoted:
                    let i = Self.firstStop(
                        p.baseAddress!, from: window.pos, end: window.end, table: table, mask: ByteClasses.quotedStop,
                        0x22, 0x22)
                    if i > window.pos {
                        append(p.baseAddress! + window.pos, i - window.pos)
                        crInQuotes = false
                        window.pos = i
                        if i == window.end { continue scan }
                    }
                    let byte = p[i]
                    window.pos = i + 1
                    switch byte {
                    case 0x22:
                        state = .quoteInQuoted
                    case 0x0A:
                        append(byte)
                        if !crInQuotes { window.line += 1 }
                        window.lineStart = window.base + window.pos
                        crInQuotes = false
                    case 0x0D:
                        append(byte)
                        window.line += 1
                        window.lineStart = window.base + window.pos
                        crInQuotes = true
                    default:  // not reached: only a quote, CR or LF stops the scan above
                        append(byte)
                        crInQuotes = false
                    }
                case .quoteInQuoted:
                    let byte = p[window.pos]
                    if byte == 0x22 {
                        append(0x22)  // "" inside quotes is one quote
                        window.pos += 1
                        state = .quoted
                    } else {
                        // Closing quote; anything up to the delimiter is taken literally.
                        state = .unquoted
                    }
                }
            }

            if byteCount > maxRecordBytes { throw tooLarge(quoteLine: quoteLine, quoteColumn: quoteColumn) }
            // Non-ASCII bytes continue a field like any other, so every row is checked here; its
            // ASCII passes eight bytes at a time.
            if validateUTF8, let bad = UTF8Validation.firstInvalidOffset(in: rowBuffer) {
                throw invalidUTF8(at: bad)
            }
            if byteCount == 0 {
                blankRows += 1
                continue
            }
            return true
        }
    }

    /// Reads the common row with the position and counts in locals (the general scan keeps them
    /// in `self`, stored and loaded again around every write of a byte): a row that lies in the
    /// current chunk, whose quoted fields hold no quote or line break and end at a delimiter,
    /// and that ends in LF, CRLF or CR. False for any other row, with the position unmoved and
    /// the row to be read again by the general scan.
    ///
    /// Fields are scanned 16 bytes at a time and copied 16 at a time where the chunk and the
    /// row buffer have room. A byte-at-a-time scan through the class table and a `memmove` per
    /// field made scanning a row of the bank benchmark about 1,130 instructions; this makes it
    /// about 835 (without transcoding).
    @inline(__always)
    private mutating func fastRow() -> Bool {
        guard let p = window.buffer.baseAddress else { return false }
        let end = window.end
        let table = self.table
        let delimiter = self.delimiter
        var i = window.pos
        var out = 0
        var fields = 0
        while true {
            guard i < end else { return false }
            let start: Int
            let stop: Int
            if p[i] == 0x22 {
                start = i + 1
                // Inside quotes only a quote, CR or LF stops the field.
                let j = Self.firstStop(p, from: start, end: end, table: table, mask: ByteClasses.quotedStop, 0x22, 0x22)
                // The closing quote, and the byte after it in this chunk.
                guard j + 1 < end, p[j] == 0x22 else { return false }
                stop = j
                i = j + 1
                let next = p[i]
                guard next == delimiter || next == 0x0A || next == 0x0D else { return false }
            } else {
                let j = Self.firstStop(p, from: i, end: end, table: table, mask: 0xFF, delimiter, 0x22)
                // A quote inside an unquoted field is literal: the general scan keeps it.
                guard j < end, p[j] != 0x22 else { return false }
                start = i
                stop = j
                i = j
            }
            let count = stop - start
            if out + count + 16 > byteCapacity {
                byteCount = out
                growBytes(to: out + count + 16)
            }
            if start + count + 16 <= end {
                // Whole vectors: up to 15 bytes past the field are read from the chunk and
                // written into the buffer's room, then written over by the next field.
                var k = 0
                while k < count {
                    ll_copy16(bytes + out + k, p + start + k)
                    k += 16
                }
            } else {
                (bytes + out).update(from: p + start, count: count)
            }
            out += count
            if fields == endCapacity {
                fieldCount = fields
                growEnds()
            }
            ends[fields] = Int32(truncatingIfNeeded: out)
            fields += 1
            let byte = p[i]
            i += 1
            if byte == delimiter { continue }
            if byte == 0x0D {
                // CR: a following LF belongs to it; one at the chunk's end is left to the general scan.
                guard i < end else { return false }
                if p[i] == 0x0A { i += 1 }
            }
            break
        }
        byteCount = out
        fieldCount = fields
        window.pos = i
        window.newLine()
        return true
    }

    /// The index of the first byte at or after `from` that is `a`, `b`, CR or LF (16 at a time)
    /// or, in the last 15 bytes of the chunk, whose class has a bit of `mask`; `end` when none is.
    @inline(__always)
    private static func firstStop(
        _ p: UnsafePointer<UInt8>, from: Int, end: Int, table: UnsafePointer<UInt8>, mask: UInt8, _ a: UInt8,
        _ b: UInt8
    ) -> Int {
        var j = from
        while j + 16 <= end {
            let stops = ll_stops16(p + j, a, b, 0x0A, 0x0D)
            if stops != 0 { return j + stops.trailingZeroBitCount }
            j += 16
        }
        while j < end && table[Int(p[j])] & mask == 0 { j += 1 }
        return j
    }

    private var rowBuffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: bytes, count: byteCount) }

    private var endBuffer: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(start: ends, count: fieldCount) }

    /// The current row, in arrays of its own.
    var row: ColumnFields { ColumnFields(bytes: Array(rowBuffer), ends: Array(endBuffer)) }

    /// Replaces the contents of `bytes` and `ends` with the current row, keeping their capacity.
    /// (Mutating only so that it is called in place: a non-mutating call copies the scanner.)
    mutating func copyRow(into bytes: inout [UInt8], _ ends: inout [Int32]) {
        bytes.replaceSubrange(bytes.indices, with: rowBuffer)
        ends.replaceSubrange(ends.indices, with: endBuffer)
    }

    @inline(__always)
    private mutating func append(_ source: UnsafePointer<UInt8>, _ count: Int) {
        if byteCount + count > byteCapacity { growBytes(to: byteCount + count) }
        (bytes + byteCount).update(from: source, count: count)
        byteCount += count
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        if byteCount == byteCapacity { growBytes(to: byteCount + 1) }
        bytes[byteCount] = byte
        byteCount += 1
    }

    @inline(__always)
    private mutating func endField() {
        if fieldCount == endCapacity { growEnds() }
        ends[fieldCount] = Int32(truncatingIfNeeded: byteCount)
        fieldCount += 1
    }

    private mutating func growBytes(to needed: Int) {
        byteCapacity = max(needed, byteCapacity * 2)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: byteCapacity)
        larger.initialize(from: bytes, count: byteCount)
        bytes.deallocate()
        bytes = larger
        storage.bytes = larger
    }

    private mutating func growEnds() {
        endCapacity *= 2
        let larger = UnsafeMutablePointer<Int32>.allocate(capacity: endCapacity)
        larger.initialize(from: ends, count: fieldCount)
        ends.deallocate()
        ends = larger
        storage.ends = larger
    }

    /// Skips physical lines (a preamble before the header), quotes not considered.
    mutating func skipPhysicalLines(_ count: Int) throws {
        var remaining = count
        while remaining > 0 {
            if window.pos == window.end {
                try window.refill()
                if window.pos == window.end { return }
            }
            let byte = window.buffer[window.pos]
            window.pos += 1
            if byte == 0x0A || byte == 0x0D {
                if byte == 0x0D {
                    if window.pos == window.end { try window.refill() }
                    if window.pos < window.end, window.buffer[window.pos] == 0x0A { window.pos += 1 }
                }
                remaining -= 1
                window.line += 1
                window.lineStart = window.base + window.pos
            }
        }
    }

    private func tooLarge(quoteLine: Int, quoteColumn: Int) -> ReadError {
        var message = "record starting here is larger than \(maxRecordBytes) bytes"
        if quoteLine > 0 {
            message += "; a quote opened at line \(quoteLine), column \(quoteColumn) is probably never closed"
        }
        return ReadError(
            ReaderCode.recordTooLarge, message,
            hint: "fix the quote, or raise the limit with --max-record-bytes (`max_record_bytes:` in the mapping)",
            at: SourceLocation(file: path, line: rowLine))
    }

    /// Names the window.line and the field: delimiters and quotes are not kept in the row, so the
    /// field is exact where a column would not be.
    private func invalidUTF8(at offset: Int) -> ReadError {
        let lineNumber = rowLine + rowBuffer[..<offset].count(where: { $0 == 0x0A })
        let fieldIndex = endBuffer.firstIndex { Int($0) > offset } ?? fieldCount
        let field =
            fieldIndex < columns.count && !columns[fieldIndex].isEmpty
            ? columns[fieldIndex] : "#\(fieldIndex + 1)"
        let hex = String(bytes[offset], radix: 16, uppercase: true)
        return ReadError(
            ReaderCode.invalidBytes,
            "byte 0x\(hex) in field \(field) is not valid UTF-8 (the first \(EncodingDetector.sampleSize / 1024) KiB were)",
            hint:
                "if the file is Windows-1252 or ISO-8859-1, pass --encoding windows-1252 (`encoding:` in the mapping)",
            at: SourceLocation(file: path, line: lineNumber, field: field))
    }

}

/// Frees the scanner's class table and row buffers when the scanner goes. The scanner keeps
/// its own copies of the pointers for its hot loop (a class property would be checked for
/// exclusive access at every use) and updates these when it grows a buffer.
private final class ScannerStorage {
    let table: UnsafeMutablePointer<UInt8>
    var bytes: UnsafeMutablePointer<UInt8>
    var ends: UnsafeMutablePointer<Int32>

    init(table: UnsafeMutablePointer<UInt8>, bytes: UnsafeMutablePointer<UInt8>, ends: UnsafeMutablePointer<Int32>) {
        self.table = table
        self.bytes = bytes
        self.ends = ends
    }

    deinit {
        table.deallocate()
        bytes.deallocate()
        ends.deallocate()
    }
}

/// Byte classes for the CSV scanner: 0 is a byte that continues a field, ASCII or not (UTF-8
/// is checked a row at a time, and a non-ASCII byte stopping the scan cost a call per byte).
struct ByteClasses {
    static let delimiter: UInt8 = 1
    static let lineFeed: UInt8 = 2
    static let carriageReturn: UInt8 = 3
    static let quote: UInt8 = 4
    /// Set on bytes that stop a scan inside quotes (quote, CR, LF).
    static let quotedStop: UInt8 = 0x80

    /// A 256-entry table; the caller deallocates it.
    static func makeTable(delimiter: UInt8) -> UnsafeMutablePointer<UInt8> {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        table.initialize(repeating: 0, count: 256)
        table[0x0A] = Self.lineFeed | Self.quotedStop
        table[0x0D] = Self.carriageReturn | Self.quotedStop
        table[0x22] = Self.quote | Self.quotedStop
        table[Int(delimiter)] = Self.delimiter
        return table
    }
}
