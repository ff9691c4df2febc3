import LedgerModel

/// Streaming JSON reader. Records are the objects of a top-level array, of an array at a
/// dotted path (`data.transactions`), or the lines of a JSON Lines file. Only one record is
/// held in memory at a time; numbers keep their exact text (never a `Double`).
final class JSONReader: RecordReader {
    private(set) var source: SourceFile
    private(set) var diagnostics: [Diagnostic] = []

    private enum Mode {
        case lines
        /// Records are the elements of an array nested `depth` objects deep.
        case array(enclosingObjects: Int)
        /// The whole document is one object: one record.
        case single
    }

    private var mode: Mode
    private let path: String
    private var window: ByteWindow
    private let validateUTF8: Bool
    private let maxDepth = 256
    private let maxRecordBytes: Int

    private var scratch: [UInt8] = []
    private var tree = TreeFields(indexBase: 0)
    private var recordCount = 0
    private var finished = false
    private var firstElement = true
    private var recordStartOffset = 0
    /// JSON Lines: a record may not continue past its window.line.
    private var stopAtLineEnd = false
    /// Context paths as member names from the root (nil: unresolvable), and the values met.
    private var contexts: [[String]?] = []
    private var contextValues: [String?] = []

    init(file: FileInput, sample: [UInt8], format: SourceFormat, options: ReaderOptions) throws {
        path = file.path
        let decision = EncodingDetector.decide(sample: sample, override: options.encoding)
        validateUTF8 = decision.encoding == .utf8
        maxRecordBytes = options.maxRecordBytes
        window = ByteWindow(input: Readers.decodedInput(file, decision), chunkSize: options.chunkSize)
        mode = format == .jsonLines ? .lines : .single
        let decisions = [
            "encoding": decision.reason, "format": options.format == nil ? "detected" : "given as an option",
        ]
        source = SourceFile(path: path, format: format, encoding: decision.encoding, decisions: decisions)
        if format == .json, options.recordPath != "$" {
            // `../` climbs from a records path that is given; binding the mapping says when it is not.
            let recordSteps = options.recordPath.map {
                $0.split(separator: ".").map { FieldPath.Step(name: String($0)) }
            }
            contexts = options.contextPaths.map { written in
                (try? ContextPath.resolve(written, recordSteps: recordSteps, separator: "."))?.map(\.name)
            }
            contextValues = Array(repeating: nil, count: contexts.count)
        }
        if format == .json, options.recordPath == "$" {
            // The whole document is one record.
            var single = decisions
            single["records"] = "the whole document (given as $)"
            source = SourceFile(
                path: path, format: format, encoding: decision.encoding, decisions: single, recordPath: "$")
        } else if format == .json {
            let requested = options.recordPath.map { $0.split(separator: ".").map(String.init) }
            let (found, depth) = try locateRecords(requested)
            if let found {
                mode = .array(enclosingObjects: depth)
                var withPath = decisions
                withPath["records"] = requested == nil ? "detected: first array of objects" : "given as an option"
                source = SourceFile(
                    path: path, format: format, encoding: decision.encoding, decisions: withPath,
                    recordPath: found)
            } else {
                // No array of objects: the top-level object is the only record. Read it again.
                let again = try FileInput(path: path)
                _ = try again.prefix(EncodingDetector.sampleSize)
                window = ByteWindow(input: Readers.decodedInput(again, decision), chunkSize: options.chunkSize)
                mode = .single
                var single = decisions
                single["records"] = "the whole document (no array of objects found)"
                source = SourceFile(
                    path: path, format: format, encoding: decision.encoding, decisions: single, recordPath: "")
            }
        }
    }

    /// True when the sample starts with an object that ends on its window.line and another follows.
    static func looksLikeJSONLines(_ sample: [UInt8]) -> Bool {
        guard let firstNewline = sample.firstIndex(of: 0x0A) else { return false }
        let first = sample[..<firstNewline].drop { $0 == 0x20 || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
        let last = first.reversed().drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }.first
        guard first.first == UInt8(ascii: "{"), last == UInt8(ascii: "}") else { return false }
        let next = sample[(firstNewline + 1)...].first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return next == UInt8(ascii: "{") || next == nil
    }

    // MARK: Records

    func next() throws -> Record? {
        switch mode {
        case .lines: return try nextLine()
        case .array(let depth): return try nextElement(enclosingObjects: depth)
        case .single:
            guard !finished else { return nil }
            finished = true
            try skipWhitespace()
            let startLine = window.line
            var diagnostics: [Diagnostic] = []
            try parseRecordValue(diagnostics: &diagnostics)
            try expectEndOfDocument()
            recordCount += 1
            return Record(source: source, number: 1, line: startLine, fields: .tree(tree), diagnostics: diagnostics)
        }
    }

    private func nextLine() throws -> Record? {
        while true {
            try skipWhitespace()
            guard try window.peek() != nil else { return nil }
            let startLine = window.line
            recordCount += 1
            var diagnostics: [Diagnostic] = []
            stopAtLineEnd = true
            defer { stopAtLineEnd = false }
            do {
                try parseRecordValue(diagnostics: &diagnostics)
                try skipSpacesOnLine()
                if let byte = try window.peek(), byte != 0x0A, byte != 0x0D {
                    throw syntaxError("more than one JSON value on the line", hint: "put one object on each line")
                }
            } catch let error as ReadError where error.diagnostic.code == ReaderCode.malformedJSON {
                // One bad window.line does not spoil the others: report it on its record and go on.
                diagnostics = [error.diagnostic]
                tree.reset(rootName: "", kind: .object)
                try skipRestOfLine()
            }
            return Record(
                source: source, number: recordCount, line: startLine, fields: .tree(tree), diagnostics: diagnostics)
        }
    }

    private func nextElement(enclosingObjects: Int) throws -> Record? {
        guard !finished else { return nil }
        try skipWhitespace()
        if firstElement {
            firstElement = false
            if try window.peek() == UInt8(ascii: "]") {
                window.pos += 1
                try finishDocument(enclosingObjects: enclosingObjects)
                return nil
            }
        }
        let startLine = window.line
        recordCount += 1
        var diagnostics: [Diagnostic] = []
        try parseRecordValue(diagnostics: &diagnostics)
        try skipWhitespace()
        switch try window.peek() {
        case UInt8(ascii: ","):
            window.pos += 1
        case UInt8(ascii: "]"):
            window.pos += 1
            try finishDocument(enclosingObjects: enclosingObjects)
        case nil:
            throw syntaxError(
                "the file ends inside the array of records", hint: "the file is cut short; export it again")
        default:
            throw syntaxError("expected `,` or `]` after a record")
        }
        if !contexts.isEmpty { tree.context = contextValues }
        return Record(
            source: source, number: recordCount, line: startLine, fields: .tree(tree), diagnostics: diagnostics)
    }

    /// Parses one record; a value that is not an object becomes an empty record with an error.
    private func parseRecordValue(diagnostics: inout [Diagnostic]) throws {
        recordStartOffset = window.offset
        tree.reset(rootName: "", kind: .object)
        if try window.peek() == UInt8(ascii: "{") {
            window.pos += 1
            try parseObjectMembers(into: 0, depth: 1)
        } else {
            let column = window.column
            let startLine = window.line
            try skipValue(depth: 0)
            diagnostics.append(
                .error(
                    ReaderCode.recordNotObject, "the record is not a JSON object",
                    hint: "each record must be an object {…}; check --records",
                    at: SourceLocation(file: path, line: startLine, column: column)))
        }
    }

    /// After the records' array: the enclosing objects must close properly and nothing follow.
    private func finishDocument(enclosingObjects: Int) throws {
        finished = true
        for _ in 0..<enclosingObjects {
            while true {
                try skipWhitespace()
                switch try window.peek() {
                case UInt8(ascii: "}"):
                    window.pos += 1
                case UInt8(ascii: ","):
                    window.pos += 1
                    try skipWhitespace()
                    _ = try parseKey()
                    try skipValue(depth: 1)
                    continue
                default:
                    throw syntaxError("expected `,` or `}`")
                }
                break
            }
        }
        try expectEndOfDocument()
    }

    private func expectEndOfDocument() throws {
        try skipWhitespace()
        if try window.peek() != nil {
            throw syntaxError("unexpected content after the end of the JSON document")
        }
    }

    // MARK: Locating the records

    /// Walks to the records' array and stops just inside it. Returns its path and how many
    /// objects enclose it, or nil when there is no array of objects and the document is one
    /// object.
    private func locateRecords(_ requested: [String]?) throws -> (String?, Int) {
        try skipWhitespace()
        guard let first = try window.peek() else {
            throw ReadError(ReaderCode.emptyFile, "the file holds only whitespace", at: SourceLocation(file: path))
        }
        if first == UInt8(ascii: "[") {
            if let requested, !requested.isEmpty {
                throw ReadError(
                    ReaderCode.recordPathNotFound,
                    "the document is an array, so it has no key `\(requested.joined(separator: "."))`",
                    hint: "leave out --records (`records:` in the mapping) to read the array's items",
                    at: SourceLocation(file: path, line: window.line))
            }
            window.pos += 1
            return ("", 0)
        }
        guard first == UInt8(ascii: "{") else {
            throw syntaxError("a JSON document of records must be an array or an object")
        }
        window.pos += 1
        if let requested {
            var depth = 1
            for (i, key) in requested.enumerated() {
                guard try seekMember(key, in: Array(requested[..<i])) else {
                    throw ReadError(
                        ReaderCode.recordPathNotFound,
                        "no key `\(key)` in the object at `\(requested[..<i].joined(separator: ".").nilIfEmpty ?? "top level")`",
                        hint: "check --records (`records:` in the mapping); `ledgerlift inspect` shows the keys",
                        at: SourceLocation(file: path, line: window.line))
                }
                try skipWhitespace()
                let isLast = i == requested.count - 1
                let expected = UInt8(ascii: isLast ? "[" : "{")
                guard try window.peek() == expected else {
                    throw ReadError(
                        ReaderCode.recordPathNotFound,
                        "`\(requested[...i].joined(separator: "."))` is not \(isLast ? "an array" : "an object")",
                        hint: "point --records at the array that holds the records",
                        at: SourceLocation(file: path, line: window.line, column: window.column))
                }
                window.pos += 1
                if !isLast { depth += 1 }
            }
            return (requested.joined(separator: "."), depth)
        }
        var keys: [String] = []
        if try discoverArray(keys: &keys) {
            return (keys.joined(separator: "."), keys.count)
        }
        return (nil, 0)
    }

    /// Inside an object (at `path` from the root): reads members until `key`, skipping the
    /// others but keeping the context values among them. False if absent.
    private func seekMember(_ key: String, in path: [String]) throws -> Bool {
        var first = true
        while true {
            try skipWhitespace()
            if try window.peek() == UInt8(ascii: "}") { return false }
            if !first {
                guard try window.peek() == UInt8(ascii: ",") else { throw syntaxError("expected `,` or `}`") }
                window.pos += 1
                try skipWhitespace()
            }
            first = false
            let name = try parseKey()
            if name == key { return true }
            try skipWhitespace()
            try skipOrCapture(path + [name], depth: path.count + 1)
        }
    }

    /// Skips a value, unless it is a context value (kept) or an object holding one (searched).
    private func skipOrCapture(_ path: [String], depth: Int) throws {
        guard !contexts.isEmpty else { return try skipValue(depth: depth) }
        let wanted = contexts.indices.filter { contexts[$0] == path }
        if !wanted.isEmpty {
            var value: String?
            var scalar = true
            switch try window.peek() ?? 0 {
            case UInt8(ascii: "\""):
                window.pos += 1
                value = try parseString()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try scanNumber()
                value = String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = "true"
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = "false"
            case UInt8(ascii: "n"):
                try expectLiteral("null")
            default:
                scalar = false
            }
            if scalar {
                for index in wanted { contextValues[index] = value }
                return
            }
        }
        let holdsOne = contexts.contains {
            ($0?.count ?? 0) > path.count && $0.map { Array($0.prefix(path.count)) } == path
        }
        guard holdsOne, try window.peek() == UInt8(ascii: "{") else { return try skipValue(depth: depth) }
        window.pos += 1
        try members(depth: depth) { name in try skipOrCapture(path + [name], depth: depth + 1) }
    }

    /// Depth-first search for the first array whose first item is an object.
    private func discoverArray(keys: inout [String]) throws -> Bool {
        var first = true
        while true {
            try skipWhitespace()
            if try window.peek() == UInt8(ascii: "}") {
                window.pos += 1
                return false
            }
            if !first {
                guard try window.peek() == UInt8(ascii: ",") else { throw syntaxError("expected `,` or `}`") }
                window.pos += 1
                try skipWhitespace()
            }
            first = false
            let name = try parseKey()
            try skipWhitespace()
            switch try window.peek() {
            case UInt8(ascii: "["):
                window.pos += 1
                try skipWhitespace()
                if try window.peek() == UInt8(ascii: "{") {
                    keys.append(name)
                    return true
                }
                try skipArrayItems(depth: keys.count + 2)
            case UInt8(ascii: "{"):
                window.pos += 1
                keys.append(name)
                if keys.count < 8, try discoverArray(keys: &keys) { return true }
                keys.removeLast()
            default:
                try skipOrCapture(keys + [name], depth: keys.count + 1)
            }
        }
    }

    // MARK: Values

    private func parseObjectMembers(into parent: TreeFields.NodeID, depth: Int) throws {
        try members(depth: depth) { key in try parseValue(into: parent, name: key, depth: depth) }
    }

    /// Just after an object's `{`: hands each member's key to `member`, which reads its value,
    /// and reads through the closing `}`.
    @inline(__always)
    private func members(depth: Int, _ member: (String) throws -> Void) throws {
        guard depth <= maxDepth else { throw tooDeep() }
        try skipWhitespace()
        if try window.peek() == UInt8(ascii: "}") {
            window.pos += 1
            return
        }
        while true {
            try skipWhitespace()
            let key = try parseKey()
            try skipWhitespace()
            try member(key)
            try skipWhitespace()
            switch try window.peek() {
            case UInt8(ascii: ","): window.pos += 1
            case UInt8(ascii: "}"):
                window.pos += 1
                return
            case nil: throw syntaxError("the file ends inside an object", hint: "the file is cut short")
            default: throw syntaxError("expected `,` or `}` after an object member")
            }
        }
    }

    private func parseValue(into parent: TreeFields.NodeID, name: String, depth: Int) throws {
        if window.offset - recordStartOffset > maxRecordBytes {
            throw ReadError(
                ReaderCode.recordTooLarge, "the record is larger than \(maxRecordBytes) bytes",
                hint: "raise the limit with --max-record-bytes, or point --records at a deeper array",
                at: SourceLocation(file: path, line: window.line))
        }
        guard let byte = try window.peek() else { throw syntaxError("the file ends where a value was expected") }
        switch byte {
        case UInt8(ascii: "{"):
            window.pos += 1
            let node = tree.append(to: parent, name: name, kind: .object)
            try parseObjectMembers(into: node, depth: depth + 1)
        case UInt8(ascii: "["):
            window.pos += 1
            let node = tree.append(to: parent, name: name, kind: .array)
            guard depth < maxDepth else { throw tooDeep() }
            try skipWhitespace()
            if try window.peek() == UInt8(ascii: "]") {
                window.pos += 1
                return
            }
            while true {
                try skipWhitespace()
                try parseValue(into: node, name: "", depth: depth + 1)
                try skipWhitespace()
                switch try window.peek() {
                case UInt8(ascii: ","): window.pos += 1
                case UInt8(ascii: "]"):
                    window.pos += 1
                    return
                case nil: throw syntaxError("the file ends inside an array", hint: "the file is cut short")
                default: throw syntaxError("expected `,` or `]` in an array")
                }
            }
        case UInt8(ascii: "\""):
            window.pos += 1
            try scanString()
            appendScratch(to: parent, name: name)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try scanNumber()
            scratch.withUnsafeBufferPointer { _ = tree.append(to: parent, name: name, kind: .number, value: $0) }
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            Self.trueBytes.withUnsafeBufferPointer { _ = tree.append(to: parent, name: name, kind: .scalar, value: $0) }
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            Self.falseBytes.withUnsafeBufferPointer {
                _ = tree.append(to: parent, name: name, kind: .scalar, value: $0)
            }
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            tree.append(to: parent, name: name, kind: .null)
        default:
            throw syntaxError("expected a value (object, array, string, number, true, false or null)")
        }
    }

    /// Skips one value, checking its syntax, without building anything.
    private func skipValue(depth: Int) throws {
        guard depth <= maxDepth else { throw tooDeep() }
        guard let byte = try window.peek() else { throw syntaxError("the file ends where a value was expected") }
        switch byte {
        case UInt8(ascii: "{"):
            window.pos += 1
            try skipWhitespace()
            if try window.peek() == UInt8(ascii: "}") {
                window.pos += 1
                return
            }
            while true {
                try skipWhitespace()
                _ = try parseKey()
                try skipWhitespace()
                try skipValue(depth: depth + 1)
                try skipWhitespace()
                switch try window.peek() {
                case UInt8(ascii: ","): window.pos += 1
                case UInt8(ascii: "}"):
                    window.pos += 1
                    return
                default: throw syntaxError("expected `,` or `}` after an object member")
                }
            }
        case UInt8(ascii: "["):
            window.pos += 1
            try skipArrayItems(depth: depth + 1)
        case UInt8(ascii: "\""):
            window.pos += 1
            try scanString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try scanNumber()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        default: throw syntaxError("expected a value (object, array, string, number, true, false or null)")
        }
    }

    /// Just after `[`: skips the items and the closing `]`.
    private func skipArrayItems(depth: Int) throws {
        try skipWhitespace()
        if try window.peek() == UInt8(ascii: "]") {
            window.pos += 1
            return
        }
        while true {
            try skipWhitespace()
            try skipValue(depth: depth)
            try skipWhitespace()
            switch try window.peek() {
            case UInt8(ascii: ","): window.pos += 1
            case UInt8(ascii: "]"):
                window.pos += 1
                return
            default: throw syntaxError("expected `,` or `]` in an array")
            }
        }
    }

    private func parseKey() throws -> String {
        guard try window.peek() == UInt8(ascii: "\"") else { throw syntaxError("expected a key in double quotes") }
        window.pos += 1
        let key = try parseString()
        try skipWhitespace()
        guard try window.peek() == UInt8(ascii: ":") else { throw syntaxError("expected `:` after the key") }
        window.pos += 1
        try skipWhitespace()
        return key
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)

    /// Appends a scalar whose bytes are in `scratch`.
    private func appendScratch(to parent: TreeFields.NodeID, name: String) {
        scratch.withUnsafeBufferPointer { _ = tree.append(to: parent, name: name, kind: .scalar, value: $0) }
    }

    /// Just after the opening quote: reads up to and including the closing quote.
    private func parseString() throws -> String {
        try scanString()
        return String(decoding: scratch, as: UTF8.self)
    }

    /// Just after the opening quote: the string's unescaped UTF-8 into `scratch`.
    private func scanString() throws {
        scratch.removeAll(keepingCapacity: true)
        let startLine = window.line
        let startColumn = window.column - 1
        var sawHigh = false
        while true {
            if window.pos == window.end {
                try window.refill()
                if window.pos == window.end {
                    throw ReadError(
                        ReaderCode.malformedJSON, "a string starts here and is never closed",
                        hint: "close it with `\"`; the file may be cut short",
                        at: SourceLocation(file: path, line: startLine, column: startColumn))
                }
            }
            var i = window.pos
            while i < window.end {
                let b = window.buffer[i]
                if b == 0x22 || b == 0x5C || b < 0x20 || b >= 0x80 { break }
                i += 1
            }
            if i > window.pos {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: window.buffer[window.pos..<i]))
                window.pos = i
                if i == window.end { continue }
            }
            let b = window.buffer[window.pos]
            window.pos += 1
            if b == 0x22 { break }
            if b >= 0x80 {
                sawHigh = true
                scratch.append(b)
            } else if b < 0x20 {
                window.pos -= 1
                throw syntaxError(
                    "a control character (0x\(String(b, radix: 16))) inside a string", hint: "escape it, e.g. \\n")
            } else {
                try parseEscape()
            }
            if scratch.count > maxRecordBytes {
                throw ReadError(
                    ReaderCode.recordTooLarge, "a string longer than \(maxRecordBytes) bytes",
                    hint: "raise the limit with --max-record-bytes",
                    at: SourceLocation(file: path, line: startLine, column: startColumn))
            }
        }
        if sawHigh && validateUTF8, let bad = UTF8Validation.firstInvalidOffset(scratch) {
            throw ReadError(
                ReaderCode.invalidBytes,
                "byte 0x\(String(scratch[bad], radix: 16, uppercase: true)) is not valid UTF-8",
                hint: "JSON must be UTF-8; if the file is Windows-1252, pass --encoding windows-1252",
                at: SourceLocation(file: path, line: startLine, column: startColumn))
        }
    }

    private func parseEscape() throws {
        guard let e = try window.peek() else { throw syntaxError("the file ends inside an escape") }
        window.pos += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                if try window.peek() == UInt8(ascii: "\\") {
                    window.pos += 1
                    guard try window.peek() == UInt8(ascii: "u") else {
                        throw syntaxError("expected a \\u low surrogate")
                    }
                    window.pos += 1
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw syntaxError("invalid surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    scalar = 0xFFFD
                }
            } else if (0xDC00...0xDFFF).contains(scalar) {
                scalar = 0xFFFD
            }
            scratch.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            window.pos -= 1
            throw syntaxError("unknown escape `\\\(Character(Unicode.Scalar(e)))` in a string")
        }
    }

    private func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let h = try window.peek() else { throw syntaxError("the file ends inside \\u") }
            let digit: UInt32
            switch h {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(h - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(h - 0x57)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(h - 0x37)
            default: throw syntaxError("\\u needs four hex digits")
            }
            value = value << 4 | digit
            window.pos += 1
        }
        return value
    }

    /// A JSON number's exact text into `scratch`.
    private func scanNumber() throws {
        scratch.removeAll(keepingCapacity: true)
        func digits() throws -> Int {
            var n = 0
            while let d = try window.peek(), d >= 0x30, d <= 0x39 {
                scratch.append(d)
                window.pos += 1
                n += 1
            }
            return n
        }
        if try window.peek() == UInt8(ascii: "-") {
            scratch.append(UInt8(ascii: "-"))
            window.pos += 1
        }
        let leadingZero = try window.peek() == UInt8(ascii: "0")
        let intDigits = try digits()
        guard intDigits > 0 else { throw syntaxError("a number needs digits") }
        if leadingZero && intDigits > 1 { throw syntaxError("a number may not start with 0") }
        if try window.peek() == UInt8(ascii: ".") {
            scratch.append(UInt8(ascii: "."))
            window.pos += 1
            guard try digits() > 0 else { throw syntaxError("a number needs digits after the decimal point") }
        }
        if let e = try window.peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            scratch.append(e)
            window.pos += 1
            if let sign = try window.peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                scratch.append(sign)
                window.pos += 1
            }
            guard try digits() > 0 else { throw syntaxError("a number needs digits in its exponent") }
        }
    }

    private func expectLiteral(_ word: StaticString) throws {
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for expected in bytes {
            guard try window.peek() == expected else { throw syntaxError("expected `\(word)`") }
            window.pos += 1
        }
    }

    // MARK: Bytes

    private func skipWhitespace() throws {
        while let b = try window.peek() {
            if stopAtLineEnd && (b == 0x0A || b == 0x0D) { return }
            switch b {
            case 0x20, 0x09:
                window.pos += 1
            case 0x0A:
                window.pos += 1
                window.line += 1
                window.lineStart = window.offset
            case 0x0D:
                window.pos += 1
                if try window.peek() == 0x0A { window.pos += 1 }
                window.line += 1
                window.lineStart = window.offset
            default:
                return
            }
        }
    }

    private func skipSpacesOnLine() throws {
        while let b = try window.peek(), b == 0x20 || b == 0x09 { window.pos += 1 }
    }

    private func skipRestOfLine() throws {
        while let b = try window.peek() {
            if b == 0x0A || b == 0x0D { return }
            window.pos += 1
        }
    }

    private func syntaxError(_ message: String, hint: String? = nil) -> ReadError {
        var found = ""
        if stopAtLineEnd
            && (window.pos == window.end || window.buffer[window.pos] == 0x0A || window.buffer[window.pos] == 0x0D)
        {
            return ReadError(
                ReaderCode.malformedJSON, "malformed JSON: the line ends before its JSON value is complete",
                hint: "JSON Lines needs each record whole on one line",
                at: SourceLocation(file: path, line: window.line, column: window.column))
        }
        if window.pos < window.end {
            let b = window.buffer[window.pos]
            found = b >= 0x21 && b < 0x7F ? ", found `\(Character(Unicode.Scalar(b)))`" : ""
        }
        return ReadError(
            ReaderCode.malformedJSON, "malformed JSON: \(message)\(found)", hint: hint ?? "fix the JSON syntax here",
            at: SourceLocation(file: path, line: window.line, column: window.column))
    }

    private func tooDeep() -> ReadError {
        ReadError(
            ReaderCode.tooDeep, "JSON nested deeper than \(maxDepth) levels", hint: "flatten the data",
            at: SourceLocation(file: path, line: window.line))
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
