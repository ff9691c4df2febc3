public import Readers

/// Reader settings given for a run (on the command line), over a mapping's `source:`.
public struct ReaderOverrides: Sendable {
    public var format: String?
    public var encoding: String?
    public var delimiter: String?
    public var headerLine: Int?
    public var skipLines: Int?
    public var recordPath: String?
    /// `prefix=uri` pairs.
    public var namespaces: [String] = []
    public var maxRecordBytes: Int?
    /// Threads that map and check rows (default: one per processor).
    public var workers: Int?

    public init() {}

    /// The overrides over `base` (a mapping's `source:`, or defaults); a value that cannot be
    /// used is a ``UsageError`` naming the option.
    public func readerOptions(over base: ReaderOptions = ReaderOptions()) throws(UsageError) -> ReaderOptions {
        var options = base
        if let headerLine { options.headerLine = headerLine }
        if let skipLines { options.skipLines = skipLines }
        if let recordPath { options.recordPath = recordPath }
        if let format {
            guard let parsed = SourceFormat(name: format) else {
                throw UsageError("unknown format '\(format)'; use csv, json, jsonl or xml")
            }
            options.format = parsed
        }
        if let encoding {
            guard let parsed = TextEncoding(name: encoding) else {
                throw UsageError("unknown encoding '\(encoding)'; use \(TextEncoding.acceptedNames)")
            }
            options.encoding = parsed
        }
        if let delimiter {
            switch delimiter.lowercased() {
            case "tab", "\\t", "\t": options.delimiter = 0x09
            case let d where d.utf8.count == 1 && d.utf8.first! < 0x80 && !["\"", "\n", "\r"].contains(d):
                options.delimiter = d.utf8.first!
            default:
                throw UsageError("the delimiter must be one ASCII character (or 'tab'), not '\(delimiter)'")
            }
        }
        guard options.headerLine >= 0 else {
            throw UsageError("--header-line must be 0 (no header) or a line number")
        }
        if let maxRecordBytes {
            guard maxRecordBytes >= 1024 else { throw UsageError("--max-record-bytes must be at least 1024") }
            options.maxRecordBytes = maxRecordBytes
        }
        for pair in namespaces {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw UsageError("--namespace takes prefix=uri, not '\(pair)'")
            }
            options.namespaces[String(parts[0])] = String(parts[1])
        }
        return options
    }
}
