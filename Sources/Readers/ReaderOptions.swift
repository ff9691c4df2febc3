/// How to read a file. Everything left nil is detected; see `docs/readers.md` for the rules.
public struct ReaderOptions: Sendable, Hashable {
    public var format: SourceFormat?
    public var encoding: TextEncoding?
    /// CSV: the field delimiter (`,` `;` TAB `|` are detected).
    public var delimiter: UInt8?
    /// CSV: the physical line (1-based) holding the header; lines before it are skipped.
    /// 0 means the file has no header: columns are named `column 1`, `column 2`, …
    public var headerLine: Int
    /// CSV without a header: physical lines to skip before the first record.
    public var skipLines: Int
    /// JSON: dotted path of the array of records (`data.transactions`), or `$` for the whole
    /// document as one record; XML: slash path of the record elements
    /// (`AuditFile/GeneralLedgerEntries/Journal/Transaction`).
    public var recordPath: String?
    /// XML: namespace prefixes usable in paths, prefix → URI.
    public var namespaces: [String: String]
    /// The largest record accepted, in bytes; a larger one (often an unterminated quote) stops
    /// reading with an error that names this option.
    public var maxRecordBytes: Int
    /// Bytes read from the file at a time.
    public var chunkSize: Int
    /// JSON and XML: fields outside the record to read beside it (``ContextPath``), as the
    /// mapping writes them; each record's ``TreeFields/context`` holds their values in this order.
    public var contextPaths: [String] = []
    /// CSV without a header: the fields a row must have (the highest column the mapping reads,
    /// `#3`); a shorter row is an error rather than empty values.
    public var minimumFields: Int?

    public init(
        format: SourceFormat? = nil, encoding: TextEncoding? = nil, delimiter: UInt8? = nil, headerLine: Int = 1,
        skipLines: Int = 0, recordPath: String? = nil, namespaces: [String: String] = [:],
        maxRecordBytes: Int = 1 << 20, chunkSize: Int = 256 << 10
    ) {
        self.format = format
        self.encoding = encoding
        self.delimiter = delimiter
        self.headerLine = headerLine
        self.skipLines = skipLines
        self.recordPath = recordPath
        self.namespaces = namespaces
        self.maxRecordBytes = maxRecordBytes
        self.chunkSize = chunkSize
    }
}
