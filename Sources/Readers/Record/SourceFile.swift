public import LedgerModel

/// The file formats ledgerlift reads.
public enum SourceFormat: String, Sendable, CaseIterable, Codable {
    case csv
    case json
    case jsonLines = "jsonl"
    case xml

    /// Accepts `csv`, `json`, `jsonl`/`ndjson`, `xml` in any case.
    public init?(name: String) {
        switch name.lowercased() {
        case "csv", "txt", "tsv": self = .csv
        case "json": self = .json
        case "jsonl", "ndjson", "json-lines", "jsonlines": self = .jsonLines
        case "xml": self = .xml
        default: return nil
        }
    }
}

/// One input file as the reader understood it: format, encoding, delimiter, columns or record
/// path, and how each of those was decided. Shared by every record read from it.
public final class SourceFile: Sendable {
    /// The path as given by the user.
    public let path: String
    public let format: SourceFormat
    public let encoding: TextEncoding
    /// Why this format, encoding and delimiter (`"detected: byte-order mark"`), for `inspect`.
    public let decisions: [String: String]
    /// CSV only: the field delimiter.
    public let delimiter: UInt8?
    /// CSV only: the physical line holding the header, or nil when the file has none.
    public let headerLine: Int?
    /// CSV only: the column names (generated `column 1`, … when there is no header).
    public let columns: [String]
    /// JSON and XML: the path of the records (`data.transactions`, `AuditFile/…/Transaction`).
    public let recordPath: String?
    private let columnIndex: [String: Int]

    init(
        path: String, format: SourceFormat, encoding: TextEncoding, decisions: [String: String],
        delimiter: UInt8? = nil, headerLine: Int? = nil, columns: [String] = [], recordPath: String? = nil
    ) {
        self.path = path
        self.format = format
        self.encoding = encoding
        self.decisions = decisions
        self.delimiter = delimiter
        self.headerLine = headerLine
        self.columns = columns
        self.recordPath = recordPath
        var index: [String: Int] = [:]
        for (i, name) in columns.enumerated() where index[name] == nil {
            index[name] = i
        }
        self.columnIndex = index
    }

    /// An equal description of the same file, as a separate object (see ``Record/detached(source:)``).
    public func copy() -> SourceFile {
        SourceFile(
            path: path.ownCopy(), format: format, encoding: encoding,
            decisions: decisions, delimiter: delimiter, headerLine: headerLine, columns: columns,
            recordPath: recordPath)
    }

    /// The index of a column by its header name; exact match first, then ignoring case and
    /// surrounding spaces. Resolve once, then read by index.
    public func columnIndex(named name: String) -> Int? {
        if let i = columnIndex[name] { return i }
        let wanted = name.trimmingWhitespace.lowercased()
        return columns.firstIndex { $0.trimmingWhitespace.lowercased() == wanted }
    }

    /// A location in this file.
    public func location(
        line: Int? = nil, column: Int? = nil, element: String? = nil, field: String? = nil
    )
        -> SourceLocation
    {
        SourceLocation(file: path, line: line, column: column, element: element, field: field)
    }
}

extension String {
    /// The text without leading and trailing whitespace. Most values start and end with a
    /// visible ASCII character, which is checked on the bytes without Unicode lookups.
    public var trimmingWhitespace: Substring {
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F {
            return self[...]
        }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return self[first...last]
    }
}
