import ArgumentParser
import Readers

/// Reader overrides shared by every command that reads files.
struct ReaderOptionGroup: ParsableArguments {
    @Option(help: "File format: csv, json, jsonl or xml (default: detected).")
    var format: String?

    @Option(help: "Text encoding: \(TextEncoding.acceptedNames) (default: detected).")
    var encoding: String?

    @Option(help: "CSV delimiter: ',', ';', 'tab' or '|' (default: detected).")
    var delimiter: String?

    @Option(help: "CSV: the line holding the header; lines before it are skipped. 0 for no header. (default: 1)")
    var headerLine: Int?

    @Option(help: "CSV without a header: lines to skip before the first record.")
    var skipLines: Int?

    @Option(
        name: .customLong("records"), help: "JSON: dotted path of the records' array; XML: path of the record elements."
    )
    var recordPath: String?

    @Option(name: .customLong("namespace"), help: "XML namespace prefix for paths, as prefix=uri (repeatable).")
    var namespaces: [String] = []

    @Option(help: "The largest record accepted, in bytes. (default: 1048576)")
    var maxRecordBytes: Int?

    @Option(
        help: "Threads that map and check rows; the output is the same for any number. (default: one per processor)")
    var workers: Int?

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be 1 or more") }
    }

    /// The options given on the command line, over `base` (a mapping's `source:`, or defaults).
    func readerOptions(over base: ReaderOptions = ReaderOptions()) throws -> ReaderOptions {
        var options = base
        if let headerLine { options.headerLine = headerLine }
        if let skipLines { options.skipLines = skipLines }
        if let recordPath { options.recordPath = recordPath }
        if let format {
            guard let parsed = SourceFormat(name: format) else {
                throw ValidationError("unknown format '\(format)'; use csv, json, jsonl or xml")
            }
            options.format = parsed
        }
        if let encoding {
            guard let parsed = TextEncoding(name: encoding) else {
                throw ValidationError("unknown encoding '\(encoding)'; use \(TextEncoding.acceptedNames)")
            }
            options.encoding = parsed
        }
        if let delimiter {
            switch delimiter.lowercased() {
            case "tab", "\\t", "\t": options.delimiter = 0x09
            case let d where d.utf8.count == 1 && d.utf8.first! < 0x80 && !["\"", "\n", "\r"].contains(d):
                options.delimiter = d.utf8.first!
            default:
                throw ValidationError("the delimiter must be one ASCII character (or 'tab'), not '\(delimiter)'")
            }
        }
        guard options.headerLine >= 0 else {
            throw ValidationError("--header-line must be 0 (no header) or a line number")
        }
        if let maxRecordBytes {
            guard maxRecordBytes >= 1024 else { throw ValidationError("--max-record-bytes must be at least 1024") }
            options.maxRecordBytes = maxRecordBytes
        }
        for pair in namespaces {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--namespace takes prefix=uri, not '\(pair)'")
            }
            options.namespaces[String(parts[0])] = String(parts[1])
        }
        return options
    }
}
