import Foundation
import LedgerModel

/// Copies chosen records of a file into a new file of the same format, byte for byte: the
/// rejected rows of an inbox file, ready to be fixed and dropped back in.
///
/// - CSV: the lines before the first record (preamble and header), then each chosen record's
///   physical lines as they were, in the file's own encoding and line endings.
/// - JSON Lines: the chosen lines.
/// - JSON: the document with only the chosen elements left in the records' array.
/// - XML: the document with the other record elements taken out; everything else (the
///   declaration, namespaces, headers, the records' parents) stays.
///
/// The copy is read back with the same options and must hold exactly the chosen records.
public enum RecordSubset {
    /// Writes the records numbered `keep` (1-based, as readers number them) of `path` to
    /// `output`. Answers how many were written.
    @discardableResult
    public static func write(
        from path: String, options: ReaderOptions, keep: Set<Int>, to output: String
    ) throws -> Int {
        let reader = try Readers.open(path, options: options)
        let source = reader.source
        if source.encoding == .utf16LE || source.encoding == .utf16BE { throw unsupported(path, "UTF-16") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        var result = Data()
        var written = 0
        try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let buffer = raw.bindMemory(to: UInt8.self)
            switch source.format {
            case .csv, .jsonLines:
                var starts: [(number: Int, line: Int)] = []
                while let record = try reader.next() { starts.append((record.number, record.line)) }
                (result, written) = LineCopy.copy(buffer, recordStarts: starts, keep: keep)
            case .json:
                (result, written) = try JSONSubset.copy(buffer, path: source.recordPath ?? "", keep: keep, file: path)
            case .xml:
                (result, written) = try XMLSubset.copy(buffer, path: source.recordPath ?? "", keep: keep, file: path)
            }
        }
        try result.write(to: URL(fileURLWithPath: output), options: .atomic)
        // Read back: the copy must hold exactly the chosen records.
        let check = try Readers.open(output, options: options)
        var count = 0
        while try check.next() != nil { count += 1 }
        guard count == written, written == keep.count else {
            try? FileManager.default.removeItem(atPath: output)
            throw ReadError(
                ReaderCode.subsetNotCopied,
                "the rejected rows could not be copied faithfully (\(keep.count) chosen, \(written) copied, \(count) read back)",
                hint: "take the rejected rows from the report instead", at: SourceLocation(file: path))
        }
        return written
    }

    static func unsupported(_ path: String, _ what: String) -> ReadError {
        ReadError(
            ReaderCode.subsetNotCopied, "rejected rows are not copied out of \(what) files",
            hint: "take the rejected rows from the report", at: SourceLocation(file: path))
    }
}

/// Physical lines: CRLF, LF or a lone CR ends a line, as the CSV reader counts them.
enum LineCopy {
    static func copy(
        _ bytes: UnsafeBufferPointer<UInt8>, recordStarts: [(number: Int, line: Int)], keep: Set<Int>
    ) -> (Data, Int) {
        // The line ranges to copy: before the first record, and each kept record up to the next one.
        var ranges: [(from: Int, to: Int)] = []
        let firstLine = recordStarts.first?.line ?? Int.max
        if firstLine > 1 { ranges.append((1, firstLine)) }
        var written = 0
        for (index, start) in recordStarts.enumerated() where keep.contains(start.number) {
            let end = index + 1 < recordStarts.count ? recordStarts[index + 1].line : Int.max
            ranges.append((start.line, end))
            written += 1
        }
        var output = Data()
        var line = 1
        var lineStart = 0
        var rangeIndex = 0
        var i = 0
        func emit(_ end: Int) {
            while rangeIndex < ranges.count && line >= ranges[rangeIndex].to { rangeIndex += 1 }
            if rangeIndex < ranges.count && line >= ranges[rangeIndex].from {
                output.append(bytes.baseAddress! + lineStart, count: end - lineStart)
            }
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte == 0x0A || byte == 0x0D {
                if byte == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A { i += 1 }
                i += 1
                emit(i)
                line += 1
                lineStart = i
            } else {
                i += 1
            }
        }
        if lineStart < bytes.count { emit(bytes.count) }
        // A kept last record without a line end, followed by nothing: fine. A kept record copied
        // before another that had no line end cannot happen (only the last line lacks one).
        return (output, written)
    }
}

/// The elements of the records' array, located by a structural scan of the raw bytes.
enum JSONSubset {
    struct Scan {
        let bytes: UnsafeBufferPointer<UInt8>
        let file: String
        var i = 0

        mutating func whitespace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains(bytes[i]) { i += 1 }
        }

        func fail(_ what: String) -> ReadError {
            ReadError(ReaderCode.malformedJSON, what, at: SourceLocation(file: file))
        }

        /// Skips a string starting at its quote; answers the bytes between the quotes.
        mutating func string() throws -> Range<Int> {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("a string was expected") }
            i += 1
            let start = i
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\\"): i += 2
                case UInt8(ascii: "\""):
                    i += 1
                    return start..<(i - 1)
                default: i += 1
                }
            }
            throw fail("a string does not end")
        }

        /// Skips any value.
        mutating func value() throws {
            whitespace()
            guard i < bytes.count else { throw fail("the document ends early") }
            switch bytes[i] {
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while i < bytes.count {
                    switch bytes[i] {
                    case UInt8(ascii: "\""):
                        _ = try string()
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            i += 1
                            return
                        }
                    default: break
                    }
                    i += 1
                }
                throw fail("the document ends early")
            default:
                while i < bytes.count, ![0x2C, 0x5D, 0x7D, 0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
            }
        }
    }

    static func copy(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, keep: Set<Int>, file: String
    ) throws -> (Data, Int) {
        var scan = Scan(bytes: bytes, file: file)
        let keys = path.isEmpty || path == "$" ? [] : path.split(separator: ".").map { Array($0.utf8) }
        // Walk the objects down to the array.
        scan.whitespace()
        for key in keys {
            guard scan.i < bytes.count, bytes[scan.i] == UInt8(ascii: "{") else {
                throw scan.fail("no object on the path")
            }
            scan.i += 1
            var found = false
            while !found {
                scan.whitespace()
                guard scan.i < bytes.count, bytes[scan.i] != UInt8(ascii: "}") else { throw scan.fail("no `\(path)`") }
                let name = try scan.string()
                scan.whitespace()
                guard scan.i < bytes.count, bytes[scan.i] == UInt8(ascii: ":") else { throw scan.fail("`:` expected") }
                scan.i += 1
                scan.whitespace()
                if bytes[name].elementsEqual(key) {
                    found = true
                } else {
                    try scan.value()
                    scan.whitespace()
                    if scan.i < bytes.count, bytes[scan.i] == UInt8(ascii: ",") { scan.i += 1 }
                }
            }
        }
        guard path != "$", scan.i < bytes.count, bytes[scan.i] == UInt8(ascii: "[") else {
            // The whole document is the one record.
            return keep.contains(1) ? (Data(buffer: bytes), 1) : (Data(), 0)
        }
        let open = scan.i
        scan.i += 1
        var elements: [Range<Int>] = []
        while true {
            scan.whitespace()
            guard scan.i < bytes.count else { throw scan.fail("the records' array does not end") }
            if bytes[scan.i] == UInt8(ascii: "]") { break }
            let start = scan.i
            try scan.value()
            elements.append(start..<scan.i)
            scan.whitespace()
            if scan.i < bytes.count, bytes[scan.i] == UInt8(ascii: ",") { scan.i += 1 }
        }
        let close = scan.i
        // Keep the file's own layout: what came before the first element, between two, after the last.
        let leading = elements.first.map { (open + 1)..<$0.lowerBound } ?? (open + 1)..<(open + 1)
        let between = elements.count > 1 ? elements[0].upperBound..<elements[1].lowerBound : nil
        let trailing = elements.last.map { $0.upperBound..<close } ?? close..<close
        var output = Data(buffer: UnsafeBufferPointer(rebasing: bytes[..<(open + 1)]))
        output.append(contentsOf: bytes[leading])
        var written = 0
        for (index, element) in elements.enumerated() where keep.contains(index + 1) {
            if written > 0 {
                if let between {
                    output.append(contentsOf: bytes[between])
                } else {
                    output.append(contentsOf: Array(",".utf8))
                }
            }
            output.append(contentsOf: bytes[element])
            written += 1
        }
        output.append(contentsOf: bytes[trailing])
        output.append(contentsOf: bytes[close...])
        return (output, written)
    }
}

/// The record elements, located by a scan of tags (comments, CDATA, processing instructions
/// and quoted attribute values are skipped). Names are compared without their prefixes.
enum XMLSubset {
    static func copy(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, keep: Set<Int>, file: String
    ) throws -> (Data, Int) {
        let anyDepth = path.hasPrefix("//")
        let steps = path.split(separator: "/").map { step -> [UInt8] in
            Array((step.split(separator: ":").last ?? step).utf8)
        }
        func fail(_ what: String) -> ReadError {
            ReadError(ReaderCode.malformedXML, what, at: SourceLocation(file: file))
        }
        func find(_ needle: String, from start: Int) throws -> Int {
            let pattern = Array(needle.utf8)
            var i = start
            while i + pattern.count <= bytes.count {
                if bytes[i] == pattern[0] && bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                    return i + pattern.count
                }
                i += 1
            }
            throw fail("`\(needle)` expected")
        }
        func localName(_ range: Range<Int>) -> [UInt8] {
            let name = bytes[range]
            if let colon = name.lastIndex(of: UInt8(ascii: ":")) { return Array(bytes[(colon + 1)..<range.upperBound]) }
            return Array(name)
        }
        func matches(_ stack: [[UInt8]]) -> Bool {
            anyDepth ? stack.count >= steps.count && Array(stack.suffix(steps.count)) == steps : stack == steps
        }

        var stack: [[UInt8]] = []
        var records: [Range<Int>] = []
        var recordStart: (offset: Int, depth: Int)?
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "<") else {
                i += 1
                continue
            }
            let start = i
            if i + 3 < bytes.count, bytes[i + 1] == UInt8(ascii: "!"), bytes[i + 2] == UInt8(ascii: "-") {
                i = try find("-->", from: i + 4)
            } else if i + 8 < bytes.count, bytes[(i + 1)..<(i + 9)].elementsEqual("![CDATA[".utf8) {
                i = try find("]]>", from: i + 9)
            } else if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "?") || bytes[i + 1] == UInt8(ascii: "!") {
                i = try find(">", from: i + 2)
            } else if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "/") {
                i = try find(">", from: i + 2)
                stack.removeLast()
                if let open = recordStart, open.depth == stack.count {
                    records.append(open.offset..<i)
                    recordStart = nil
                }
            } else {
                var j = i + 1
                while j < bytes.count,
                    ![0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "/"), UInt8(ascii: ">")].contains(bytes[j])
                {
                    j += 1
                }
                let name = localName((i + 1)..<j)
                var quote: UInt8?
                while j < bytes.count {
                    let byte = bytes[j]
                    if let open = quote {
                        if byte == open { quote = nil }
                    } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                        quote = byte
                    } else if byte == UInt8(ascii: ">") {
                        break
                    }
                    j += 1
                }
                guard j < bytes.count else { throw fail("a tag does not end") }
                let selfClosing = bytes[j - 1] == UInt8(ascii: "/")
                i = j + 1
                stack.append(name)
                if recordStart == nil && matches(stack) {
                    recordStart = (start, stack.count - 1)
                }
                if selfClosing {
                    stack.removeLast()
                    if let open = recordStart, open.depth == stack.count {
                        records.append(open.offset..<i)
                        recordStart = nil
                    }
                }
            }
        }
        // Copy everything but the records left out, each with the blank space before it.
        var output = Data()
        var copied = 0
        var written = 0
        for (index, record) in records.enumerated() {
            if keep.contains(index + 1) {
                written += 1
                continue
            }
            var cut = record.lowerBound
            while cut > copied, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[cut - 1]) { cut -= 1 }
            output.append(contentsOf: bytes[copied..<cut])
            copied = record.upperBound
        }
        output.append(contentsOf: bytes[copied...])
        return (output, written)
    }
}
